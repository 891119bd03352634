"""Live consumer lag against the declared objectives (`busctl lag`): pure judgement of offset samples.

The Kafka adapter samples offsets (log start and end per partition, each declared group's committed
offsets, group state) once, and a second time after an interval when anything lags; it reads the
timestamp of the oldest unconsumed message of each lagging partition. This module turns those into a
verdict per (consumer group, topic):

- lag: messages behind, summed over the partitions the group has committed on (like the alerts' sum);
- behind: age of the oldest unconsumed message, the worst partition's (a direct measure, where the
  generated alerts can only estimate it from the produce rate);
- stuck: lag in both samples and no committed offset moved between them;
- out of retention: a committed offset below the log start (messages were deleted unread).

Breaking any of those fails the health check. A group without committed offsets, or a declared topic
the cluster does not have yet, is reported but does not fail it (the Missing alert covers the former).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from busctl.core.alerts import LagTarget
from busctl.core.units import format_age

LAG_FORMAT_VERSION = 1
Partition = tuple[str, int]
Position = tuple[str, int, int]  # topic, partition, offset


@dataclass(frozen=True)
class GroupOffsets:
    """One consumer group as the cluster reports it: state, member count, committed offsets."""

    state: str
    members: int
    committed: Mapping[Partition, int] = field(default_factory=dict)


@dataclass(frozen=True)
class OffsetSample:
    """Offsets read from the cluster at one moment (`taken_at`: seconds, monotonic clock)."""

    taken_at: float
    partitions: Mapping[str, int]  # topic -> partition count, for the declared topics that exist
    log_start: Mapping[Partition, int]
    log_end: Mapping[Partition, int]
    groups: Mapping[str, GroupOffsets]

    def committed(self, group: str, partition: Partition) -> int | None:
        """The group's committed offset on a partition, None if it has none."""
        offsets = self.groups.get(group)
        return None if offsets is None else offsets.committed.get(partition)

    def position(self, group: str, partition: Partition) -> Position:
        """The offset of the group's next message on a partition (the log start if it fell behind it)."""
        committed = self.committed(group, partition) or 0
        return (*partition, max(committed, self.log_start.get(partition, 0)))

    def lag(self, group: str, partition: Partition) -> int | None:
        """Messages between the committed offset and the log end (None without a committed offset)."""
        committed = self.committed(group, partition)
        if committed is None:
            return None
        return max(self.log_end.get(partition, 0) - self.position(group, partition)[2], 0)


class Status(StrEnum):
    """The verdict on one (group, topic); the first three fail the health check."""

    BREAKS = "breaks"
    STUCK = "stuck"
    LOST = "out_of_retention"
    OK = "ok"
    NO_OFFSETS = "no_offsets"
    NO_TOPIC = "no_topic"

    @property
    def fails(self) -> bool:
        """Does this verdict fail `busctl lag`?"""
        return self in (Status.BREAKS, Status.STUCK, Status.LOST)


@dataclass(frozen=True)
class PartitionLag:
    """One partition of a group's topic: offsets, lag, and the age of its oldest unconsumed message."""

    partition: int
    committed: int | None
    log_start: int
    log_end: int
    lag: int | None
    seconds_behind: float | None
    moved: bool | None  # committed offset changed between the samples (None: one sample)


@dataclass(frozen=True)
class GroupLag:
    """The verdict on one declared consumer group of one topic."""

    target: LagTarget
    state: str
    members: int
    partitions: tuple[PartitionLag, ...]
    lag: int | None
    seconds_behind: float | None
    stuck: bool | None  # None when it could not be judged (one sample, or nothing lags)
    status: Status
    problems: tuple[str, ...]


@dataclass(frozen=True)
class LagReport:
    """Every declared group's verdict on one cluster."""

    cluster: str
    interval: float | None  # seconds between the two samples; None when one sample sufficed
    groups: tuple[GroupLag, ...]

    @property
    def failing(self) -> list[GroupLag]:
        """The groups that break their objective (stuck and lost messages included)."""
        return [g for g in self.groups if g.status.fails]


def unconsumed_positions(targets: list[LagTarget], sample: OffsetSample) -> set[Position]:
    """Where each lagging group's next unconsumed message is: (topic, partition, offset). Their
    timestamps tell how far behind the groups are; any at all calls for a second sample."""
    return {
        sample.position(t.group, (t.topic, p))
        for t in targets
        for p in range(sample.partitions.get(t.topic, 0))
        if (sample.lag(t.group, (t.topic, p)) or 0) > 0
    }


def assess(
    cluster: str,
    targets: list[LagTarget],
    last: OffsetSample,
    first: OffsetSample | None,
    timestamps: Mapping[Position, float],
    now: float,
) -> LagReport:
    """Judge every target. `first` is the earlier sample (None: only one was taken); `timestamps` holds
    the timestamp (epoch seconds) of the message at each of `last`'s unconsumed positions that could be
    read, and `now` the epoch seconds they are compared with."""
    groups = tuple(_assess_one(t, last, first, timestamps, now) for t in targets)
    interval = None if first is None else round(last.taken_at - first.taken_at, 1)
    return LagReport(cluster=cluster, interval=interval, groups=groups)


def _assess_one(
    target: LagTarget,
    last: OffsetSample,
    first: OffsetSample | None,
    timestamps: Mapping[Position, float],
    now: float,
) -> GroupLag:
    offsets = last.groups.get(target.group, GroupOffsets(state="UNKNOWN", members=0))
    rows = tuple(
        _partition(target.group, (target.topic, p), last, first, timestamps, now)
        for p in range(last.partitions.get(target.topic, 0))
    )
    known = [r for r in rows if r.lag is not None]
    lag = sum(r.lag for r in known if r.lag is not None) if known else None
    behind = None if lag is None else _worst_age(known)
    stuck = _stuck(target.group, target.topic, known, first)
    status, problems = _verdict(target, rows, lag, behind, stuck)
    return GroupLag(
        target=target,
        state=offsets.state,
        members=offsets.members,
        partitions=rows,
        lag=lag,
        seconds_behind=behind,
        stuck=stuck,
        status=status,
        problems=problems,
    )


def _partition(
    group: str,
    partition: Partition,
    last: OffsetSample,
    first: OffsetSample | None,
    timestamps: Mapping[Position, float],
    now: float,
) -> PartitionLag:
    committed = last.committed(group, partition)
    lag = last.lag(group, partition)
    if lag == 0:
        behind: float | None = 0.0
    elif lag is not None and (position := last.position(group, partition)) in timestamps:
        behind = max(now - timestamps[position], 0.0)
    else:
        behind = None
    moved = None if first is None else first.committed(group, partition) != committed
    return PartitionLag(
        partition=partition[1],
        committed=committed,
        log_start=last.log_start.get(partition, 0),
        log_end=last.log_end.get(partition, 0),
        lag=lag,
        seconds_behind=behind,
        moved=moved,
    )


def _worst_age(rows: list[PartitionLag]) -> float | None:
    """The oldest unconsumed message's age over the lagging partitions whose timestamp was read (a lower
    bound when some could not be read); 0 when nothing lags, None when no age is known."""
    if not any(r.lag for r in rows):
        return 0.0
    ages = [r.seconds_behind for r in rows if r.lag and r.seconds_behind is not None]
    return max(ages) if ages else None


def _stuck(group: str, topic: str, rows: list[PartitionLag], first: OffsetSample | None) -> bool | None:
    """Lag in both samples while no committed offset moved; None when there is nothing to judge."""
    if first is None or not any(r.lag for r in rows):
        return None
    lagged_before = any((first.lag(group, (topic, r.partition)) or 0) > 0 for r in rows)
    return lagged_before and not any(r.moved for r in rows)


def _verdict(
    target: LagTarget,
    rows: tuple[PartitionLag, ...],
    lag: int | None,
    behind: float | None,
    stuck: bool | None,
) -> tuple[Status, tuple[str, ...]]:
    """The worst status (lost, stuck, breaks) and every problem found, in that order of checks."""
    if not rows:
        return Status.NO_TOPIC, ("the topic does not exist on the cluster (not applied yet?)",)
    if lag is None:
        return Status.NO_OFFSETS, ("no committed offsets: the group has not consumed this topic yet",)
    objective = target.objective
    problems: list[tuple[Status, str]] = []
    lost = [r.partition for r in rows if r.committed is not None and r.committed < r.log_start]
    if lost:
        listed = ", ".join(map(str, lost))
        problems.append((Status.LOST, f"committed offset below the log start on partition(s) {listed}"))
    if objective.max_messages is not None and lag > objective.max_messages:
        problems.append((Status.BREAKS, f"lag {lag} > {objective.max_messages} messages"))
    if objective.max_seconds is not None and behind is not None and behind > objective.max_seconds:
        problems.append((Status.BREAKS, f"{format_age(behind)} behind > {objective.max_seconds}s"))
    if stuck:
        problems.append((Status.STUCK, f"stuck: {lag} waiting and no committed offset moved"))
    if not problems:
        return Status.OK, ()
    order = [Status.LOST, Status.STUCK, Status.BREAKS]
    worst = min((s for s, _ in problems), key=order.index)
    return worst, tuple(text for _, text in problems)


def report_to_dict(report: LagReport) -> dict[str, Any]:
    """The stable JSON document of `busctl lag --format json`."""
    return {
        "format_version": LAG_FORMAT_VERSION,
        "cluster": report.cluster,
        "interval_seconds": report.interval,
        "ok": not report.failing,
        "groups": [
            {
                "group": g.target.group,
                "topic": g.target.topic,
                "team": g.target.team,
                "file": g.target.file,
                "objective": {
                    "max_messages": g.target.objective.max_messages,
                    "max_seconds": g.target.objective.max_seconds,
                    "for": g.target.objective.for_,
                    "severity": g.target.objective.severity,
                },
                "state": g.state,
                "members": g.members,
                "lag": g.lag,
                "seconds_behind": None if g.seconds_behind is None else round(g.seconds_behind, 1),
                "stuck": g.stuck,
                "status": g.status.value,
                "problems": list(g.problems),
                "partitions": [
                    {
                        "partition": p.partition,
                        "committed": p.committed,
                        "log_start": p.log_start,
                        "log_end": p.log_end,
                        "lag": p.lag,
                        "seconds_behind": None if p.seconds_behind is None else round(p.seconds_behind, 1),
                        "moved": p.moved,
                    }
                    for p in g.partitions
                ],
            }
            for g in report.groups
        ],
    }
