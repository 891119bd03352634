"""`busctl describe TOPIC`: one topic's desired state and, with --cluster, its actual state beside it."""

from __future__ import annotations

from pathlib import Path

import typer

from busctl.commands.common import (
    ReadFormat,
    ReadFormatOption,
    RepoOption,
    echo_document,
    progress,
    use_color,
)
from busctl.commands.plan import TimeoutOption
from busctl.commands.topics import ClusterOption
from busctl.core.bus import Bus, TopicDecl, is_placed, placement
from busctl.core.desired import desired_topics
from busctl.core.diagnostics import BusctlError, did_you_mean
from busctl.core.topic_configs import load_catalogue
from busctl.planning import compiled_schemas, planner, valid_bus
from busctl.render import describe as render
from busctl.reports.describe import from_declaration


def command(
    topic: str = typer.Argument(..., metavar="TOPIC", help="A declared topic name."),
    cluster: ClusterOption = None,
    repo: RepoOption = Path("."),
    output: ReadFormatOption = ReadFormat.text,
    timeout: TimeoutOption = 30.0,
) -> int:
    """Show one topic, declared and actual side by side.

    Show one topic: owner, file, schema message and where it is defined; partitions, replication
    and every config worth knowing with its source (declared, bus default, cluster override,
    catalogue default); its ACLs (from producers and consumers) and consumer groups with their lag
    objectives. With --cluster, what the cluster has beside it: effective values with Kafka's config
    source, partitions (leader, replicas, ISR), ACLs present or missing, and the drift plan sees.

    Example: busctl describe billing.invoice-created.v1 --cluster prod
    """
    catalogue = load_catalogue()
    if cluster is None:
        bus = valid_bus(repo, untouched="nothing was described")
        decl = _declared(bus.topics_by_name, topic)
        # no cluster: no cluster's values apply (the ACLs wanted do not depend on one)
        desired = next(t for t in desired_topics(bus, None, catalogue) if t.name == topic)
        state = plan = None
        schemas = compiled_schemas(repo.resolve(), bus)[0]
    else:
        reader = planner(repo, cluster, topic_filter=topic, timeout=timeout)
        bus = reader.bus
        for held in reader.options.held:
            if held.topic == topic:
                raise BusctlError(
                    f"topic {topic} is declared in {held.file}, which has lint errors: {held.error}",
                    "fix the file (`busctl lint` shows every error), then describe it again",
                )
        decl = _declared(bus.topics_by_name, topic)
        _placed_on(bus, decl, cluster)
        with progress(f"reading cluster {cluster}"):
            survey = reader.survey()
        desired = next(t for t in survey.desired if t.name == topic)
        state, plan = survey.state, survey.plan
        schemas = reader.schemas or compiled_schemas(repo.resolve(), bus)[0]
    report = from_declaration(bus, schemas, decl, desired, catalogue, cluster, state, plan)
    echo_document(
        output,
        report,
        lambda: render.as_text(report, color=use_color()),
        lambda: render.as_markdown(report),
    )
    return 0


def _placed_on(bus: Bus, decl: TopicDecl, cluster: str) -> None:
    if not is_placed(bus.config, decl.topic, cluster):
        where = ", ".join(placement(bus.config, decl.topic)) or "no cluster"
        raise BusctlError(
            f"topic {decl.topic.name} is not placed on cluster {cluster} (it lives on: {where})",
            f"describe it on one of those, or add {cluster} to placement: in {decl.file}",
        )


def _declared(declared: dict[str, TopicDecl], topic: str) -> TopicDecl:
    if topic not in declared:
        raise BusctlError(
            f'topic "{topic}" is not declared in topics/',
            did_you_mean(topic, declared, cutoff=0.5)
            or "`busctl topics` lists the declared topics; `busctl topics --cluster NAME` the unmanaged ones",
        )
    return declared[topic]
