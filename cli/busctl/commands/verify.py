"""`busctl verify`: is what is on the wire what the declarations say? The newest records of every
declared topic, checked against its key and value messages."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated

import typer

from busctl.adapters import kafka_sample, protoc
from busctl.adapters import registry as registry_api
from busctl.commands.common import FormatOption, OutputFormat, RepoOption, echo_report, progress
from busctl.commands.plan import ClusterOption, TimeoutOption, TopicOption
from busctl.core.bus import Bus, TopicDecl
from busctl.core.desired import placed
from busctl.core.diagnostics import BusctlError, did_you_mean
from busctl.core.diff import selected_by
from busctl.core.model import KEY_KINDS
from busctl.core.subjects import key_subject, value_subject
from busctl.core.verify import TopicVerdict, VerifyReport, Violation
from busctl.planning import compiled_schemas, connect, schema_problems, valid_bus
from busctl.protobuf.descriptors import DescriptorIndex
from busctl.protobuf.wire import Contract, SubjectsOf, problem
from busctl.render import verify as render

SamplesOption = Annotated[
    int,
    typer.Option(
        "--samples", "-n", min=1, max=100000, metavar="N", help="The newest records read per partition."
    ),
]


def command(
    cluster: ClusterOption,
    repo: RepoOption = Path("."),
    output: FormatOption = OutputFormat.text,
    topic: TopicOption = None,
    samples: SamplesOption = 20,
    timeout: TimeoutOption = 30.0,
) -> int:
    """Check sampled records against their declared messages.

    Reads the newest N records of every partition of each declared topic placed on the cluster (no
    consumer group is joined, no offset committed) and checks each value, and each key declared as
    a protobuf message: in Confluent's wire format, the schema id must be one of the topic's subject
    (TOPIC-value, TOPIC-key) in the cluster's registry and name the declared message; plain protobuf
    must parse strictly as it (no unknown fields, no wrong wire types, nothing truncated or left over).
    Exit 1 when any record does not conform, or a topic cannot be read.

    Example: busctl verify --cluster prod --topic 'billing.*' --samples 100"""
    bus = valid_bus(repo, untouched="nothing was read from the cluster")
    admin = connect(bus.config, cluster, timeout)
    declared = [d for d in placed(bus, cluster) if d.topic.lifecycle != "deleted"]
    chosen = [d for d in declared if selected_by(d.topic.name, topic)]
    if topic is not None and not chosen:
        raise BusctlError(
            f"no declared topic on cluster {cluster} matches --topic {topic}",
            did_you_mean(topic, [d.topic.name for d in declared]) or "`busctl topics` lists them",
        )
    with progress("compiling the schemas"):
        verdicts, contracts = _contracts(repo.resolve(), bus, chosen)
    settings = bus.config.clusters[cluster].registry
    registry = registry_api.connect(cluster, settings, timeout) if settings is not None else None
    subjects_of: SubjectsOf | None = None
    if registry is not None:

        @cache
        def subjects_of(schema_id: int) -> list[str] | None:
            found = registry.subjects_of_id(schema_id)
            return [subject for subject, _ in found] if found else None

    with progress(f"reading the newest {samples} records per partition of {len(contracts)} topic(s)"):
        read = kafka_sample.newest(admin, sorted(contracts), samples)
    try:
        for name, (value, key) in contracts.items():
            _judge(verdicts[name], read.get(name), value, key, subjects_of)
    finally:
        if registry is not None:
            registry.close()
    url = registry.url if registry is not None else None
    report = VerifyReport(cluster, samples, url, sorted(verdicts.values(), key=lambda v: v.topic))
    echo_report(output, render, report, repo)
    return 1 if report.failing else 0


def _contracts(
    repo: Path, bus: Bus, chosen: list[TopicDecl]
) -> tuple[dict[str, TopicVerdict], dict[str, tuple[Contract, Contract | None]]]:
    """A verdict (still empty) per chosen topic, and the value and key contracts of those whose
    schemas compile; a topic whose schema has an error gets that as its problem."""
    compiled = compiled_schemas(repo, bus)
    schemas = compiled[0]
    problems = schema_problems(repo, bus, compiled)
    verdicts: dict[str, TopicVerdict] = {}
    for decl in chosen:
        t = decl.topic
        key = None if t.key in KEY_KINDS else t.key
        verdicts[t.name] = TopicVerdict(t.name, t.owner, decl.file, t.schema_, key)
        if t.name in problems:
            verdicts[t.name].problem = f"its schema has errors: {problems[t.name]}"
    good = [v for v in verdicts.values() if not v.problem]
    root = bus.config.schemas.root
    files = sorted({f for v in good for fqn in (v.value, v.key) if fqn and (f := schemas.import_path(fqn))})
    index = DescriptorIndex(protoc.descriptor_set(repo, root, files))
    contracts = {
        v.topic: (
            Contract(index.message_class(v.value), value_subject(v.topic)),
            Contract(index.message_class(v.key), key_subject(v.topic)) if v.key else None,
        )
        for v in good
    }
    return verdicts, contracts


def _judge(
    verdict: TopicVerdict,
    sample: kafka_sample.Sample | None,
    value: Contract,
    key: Contract | None,
    subjects_of: SubjectsOf | None,
) -> None:
    """Fill the verdict from the topic's sample (None: the cluster has no such topic)."""
    if sample is None:
        verdict.absent = True
        return
    verdict.problem = sample.problem
    for record in sample.records:
        found = [("value", problem(record.value, value, subjects_of))]
        if key is not None:
            found.insert(0, ("key", problem(record.key, key, subjects_of)))
        broken = [Violation(record.partition, record.offset, part, why) for part, why in found if why]
        verdict.sampled += 1
        verdict.conforming += not broken
        verdict.violations += broken
