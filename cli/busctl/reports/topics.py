"""The `busctl topics` document: declared topics, and with a cluster, what is there and the drift."""

from __future__ import annotations

from pydantic import Field

from busctl.core.bus import Bus, is_placed, placement
from busctl.core.inventory import (
    DriftStatus,
    changes_by_topic,
    count_setting,
    drift,
)
from busctl.core.plan import Plan
from busctl.core.state import ClusterState, TopicState
from busctl.reports import Document

TOPICS_FORMAT_VERSION = 1


class Actual(Document):
    """The topic as read from the cluster."""

    partitions: int
    replication_factor: int
    under_replicated_partitions: int
    offline_partitions: int


class TopicDrift(Document):
    """How the cluster's topic compares with its declaration (the plan's view)."""

    status: DriftStatus
    fields: list[str] = Field(
        description="What differs: config keys, partitions, replication_factor, acls, schema (its subject)."
    )


class TopicEntry(Document):
    """One topic: declared (owner, file, settings) and, with a cluster, actual and drift."""

    name: str
    owner: str | None = Field(description="The owning team; null for an unmanaged topic.")
    file: str | None = Field(description="The file declaring it; null for an unmanaged topic.")
    partitions: int | None = Field(
        description="Declared partitions (defaults and cluster overrides applied)."
    )
    replication_factor: int | None
    clusters: list[str] = Field(description="The bus.yaml clusters the topic is placed on.")
    lifecycle: str | None
    actual: Actual | None = Field(description="Null without --cluster, or when the cluster lacks it.")
    drift: TopicDrift | None = Field(description="Null without --cluster.")


class TopicsReport(Document):
    """`busctl topics [--team T] [--cluster C] --format json`."""

    format_version: int = TOPICS_FORMAT_VERSION
    cluster: str | None
    cluster_id: str | None
    team: str | None
    topics: list[TopicEntry]
    notes: list[str] = Field(description="What the plan noted about the cluster (health, visibility).")


def _actual(observed: TopicState | None) -> Actual | None:
    if observed is None:
        return None
    return Actual(
        partitions=observed.partitions,
        replication_factor=observed.replication_factor,
        under_replicated_partitions=observed.under_replicated_partitions,
        offline_partitions=observed.offline_partitions,
    )


def from_bus(
    bus: Bus,
    team: str | None = None,
    cluster: str | None = None,
    state: ClusterState | None = None,
    plan: Plan | None = None,
) -> TopicsReport:
    """The report of the declared topics (of `team`), compared with `state` through `plan` if given.
    Unmanaged topics are listed with --cluster; with --team, those whose name starts with "TEAM."."""
    changes = changes_by_topic(plan, bus) if plan is not None else {}
    entries = []
    for decl in sorted(bus.topics, key=lambda d: d.topic.name):
        topic = decl.topic
        if team is not None and topic.owner != team:
            continue
        if cluster is not None and not is_placed(bus.config, topic, cluster):
            continue
        found = None
        if state is not None:
            found = drift(topic.name, topic.lifecycle == "deleted", state, changes.get(topic.name, []))
        entries.append(
            TopicEntry(
                name=topic.name,
                owner=topic.owner,
                file=decl.file,
                partitions=count_setting(bus, decl, cluster, "partitions")[0],
                replication_factor=count_setting(bus, decl, cluster, "replication_factor")[0],
                clusters=placement(bus.config, topic),
                lifecycle=topic.lifecycle,
                actual=_actual(state.topics.get(topic.name)) if state is not None else None,
                drift=None if found is None else TopicDrift(status=found.status, fields=list(found.fields)),
            )
        )
    if state is not None and plan is not None:
        entries += [
            TopicEntry(
                name=name,
                owner=None,
                file=None,
                partitions=None,
                replication_factor=None,
                clusters=[],
                lifecycle=None,
                actual=_actual(state.topics[name]),
                drift=TopicDrift(status=DriftStatus.UNMANAGED, fields=[]),
            )
            for name in plan.unmanaged
            if team is None or name.startswith(f"{team}.")
        ]
    return TopicsReport(
        cluster=cluster,
        cluster_id=state.cluster_id if state is not None else None,
        team=team,
        topics=entries,
        notes=list(plan.notes) if plan is not None else [],
    )
