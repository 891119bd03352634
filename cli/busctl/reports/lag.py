"""The lag document ("lag-report"): what `busctl lag --format json` prints, one entry per declared
(consumer group, topic) with its verdict and the evidence behind it (see busctl.core.lag)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from busctl.core.lag import GroupLag, LagReport, PartitionLag, Progress, Status
from busctl.reports import Document

LAG_FORMAT_VERSION = 2


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


class ObjectiveDocument(Document):
    """The group's lag objective, bus.yaml's default_lag filled in."""

    max_messages: int | None
    max_seconds: int | None
    for_: str = Field(alias="for", description="how long a threshold must be broken (a Prometheus duration)")
    severity: str


class PartitionDocument(Document):
    """One partition of the topic, as the group sees it."""

    partition: int
    committed: int | None = Field(description="the group's committed offset (null: none)")
    log_start: int
    log_end: int
    lag: int | None
    seconds_behind: float | None = Field(description="age of the oldest unconsumed message (0: none waits)")
    consumed_seconds_ago: float | None = Field(
        description="age of the last consumed message (committed - 1): its commit came later"
    )
    end_for_ago: int | None = Field(
        description="the first offset written at or after now - for (read only when over max_messages)"
    )
    moved: bool | None = Field(description="committed offset changed between the samples (null: one sample)")


class GroupDocument(Document):
    """The verdict on one declared consumer group of one topic."""

    group: str
    topic: str
    team: str
    file: str
    objective: ObjectiveDocument
    state: str
    members: int
    lag: int | None
    lag_throughout: int | None = Field(description="lag held at least throughout the last `for` (when read)")
    seconds_behind: float | None
    stuck: bool | None = Field(description="lag and no committed progress for `for` (null: not judged)")
    stuck_evidence: Progress | None = Field(description="what the stuck verdict rests on")
    status: Status = Field(description="breaks, stuck and out_of_retention fail the health check")
    problems: list[str]
    partitions: list[PartitionDocument]


class LagReportDocument(Document):
    """Every declared group's verdict on one cluster; `ok` is false when `busctl lag` exits 1."""

    format_version: Literal[2]
    cluster: str
    interval_seconds: float | None = Field(description="between the two samples (null: one sufficed)")
    ok: bool
    groups: list[GroupDocument]


def lag_report(report: LagReport) -> LagReportDocument:
    """The report as its document."""
    return LagReportDocument(
        format_version=LAG_FORMAT_VERSION,
        cluster=report.cluster,
        interval_seconds=report.interval,
        ok=not report.failing,
        groups=[_group(g) for g in report.groups],
    )


def _group(group: GroupLag) -> GroupDocument:
    target, objective = group.target, group.target.objective
    return GroupDocument(
        group=target.group,
        topic=target.topic,
        team=target.team,
        file=target.file,
        objective=ObjectiveDocument.model_validate(
            {
                "max_messages": objective.max_messages,
                "max_seconds": objective.max_seconds,
                "for": objective.for_,
                "severity": objective.severity,
            }
        ),
        state=group.state,
        members=group.members,
        lag=group.lag,
        lag_throughout=group.lag_throughout,
        seconds_behind=_seconds(group.seconds_behind),
        stuck=group.stuck,
        stuck_evidence=group.progress,
        status=group.status,
        problems=list(group.problems),
        partitions=[_partition(p) for p in group.partitions],
    )


def _partition(row: PartitionLag) -> PartitionDocument:
    return PartitionDocument(
        partition=row.partition,
        committed=row.committed,
        log_start=row.log_start,
        log_end=row.log_end,
        lag=row.lag,
        seconds_behind=_seconds(row.seconds_behind),
        consumed_seconds_ago=_seconds(row.consumed_seconds_ago),
        end_for_ago=row.end_for_ago,
        moved=row.moved,
    )
