"""Live consumer lag against the declared objectives (`busctl lag`): pure judgement of offset samples.

Every verdict means what the generated alert means, judged from what the cluster can tell now,
without watching for the objective's `for`:

- lag: messages behind, summed over the partitions the group has committed on (like the alerts' sum).
- behind: age of the oldest unconsumed message, the worst partition's.
- stuck (KafkaConsumerGroupStuck: lag present and no committed offset moved for `for`). Evidence,
  cheapest first, from message timestamps:
  (a) lag has been present for at most the age of the oldest unconsumed message: when on every
      lagging partition that message is younger than `for`, the group is not stuck (one message
      waiting 3 s; a consumer in real time that commits every 30 s);
  (b) the commit that made offset N was made after message N-1 was written: when the last consumed
      message of any partition is younger than `for`, an offset moved within `for`, not stuck;
  (c) a group that neither clears is sampled again after `--interval`: any committed offset moved
      means not stuck, none means stuck. The interval must exceed the group's commit interval;
      (c) only sees the interval, not all of `for`, so a group that commits less often than that
      while far behind can be called stuck when it is not.
- breaks max_messages (KafkaConsumerGroupLagHigh: lag over the limit for `for`): committed offsets
  only grow, so the lag throughout the last `for` was at least the sum over partitions of
  max(0, end then - committed now), "end then" being the first offset written at or after
  now - `for` (Kafka's offsets-for-times). Over the limit now and that bound over it too: breaks.
  Over it now only: over_objective, shown but not failing (the alert, which saw the history, decides).
- breaks max_seconds: a message unconsumed now was unconsumed throughout its life, so a group A
  behind now was at least A - `for` behind throughout the last `for`: breaks when A > max + `for`,
  over_objective when max < A <= max + `for`. (The alert estimates time to catch up from the
  produce rate instead; both read "too far behind", they need not agree to the second.)
- out of retention: a committed offset below the log start (messages were deleted unread).

Timestamps are the messages' own (CreateTime unless the topic appends LogAppendTime): producers that
write old timestamps make lag look older (more second samples, never a false "not stuck"); clocks
ahead of the broker's make it look younger. Breaking an objective, stuck and lost messages fail the
health check. A group without committed offsets, or a declared topic the cluster does not have yet,
is reported but does not fail it (the Missing alert covers the former).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from busctl.core.alerts import LagTarget
from busctl.core.units import format_age

Partition = tuple[str, int]
Position = tuple[str, int, int]  # topic, partition, offset
Stamp = tuple[int, float]  # the first message at or after a position: its offset, its timestamp (epoch s)
Moment = tuple[str, int, int]  # topic, partition, epoch milliseconds (a question for offsets-for-times)


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

    def last_consumed(self, group: str, partition: Partition) -> Position | None:
        """Where the group's last consumed message is (committed - 1), None if none is retained."""
        committed = self.committed(group, partition)
        if committed is None or committed - 1 < self.log_start.get(partition, 0):
            return None
        return (*partition, committed - 1)

    def lag(self, group: str, partition: Partition) -> int | None:
        """Messages between the committed offset and the log end (None without a committed offset)."""
        committed = self.committed(group, partition)
        if committed is None:
            return None
        return max(self.log_end.get(partition, 0) - self.position(group, partition)[2], 0)


class Status(StrEnum):
    """The verdict on one (group, topic); breaks, stuck and out_of_retention fail the health check."""

    BREAKS = "breaks"
    STUCK = "stuck"
    LOST = "out_of_retention"
    OVER = "over_objective"  # over a threshold now, not known to last `for`: does not fail
    OK = "ok"
    NO_OFFSETS = "no_offsets"
    NO_TOPIC = "no_topic"

    @property
    def fails(self) -> bool:
        """Does this verdict fail `busctl lag`?"""
        return self in (Status.BREAKS, Status.STUCK, Status.LOST)


class Progress(StrEnum):
    """The evidence behind a group's stuck verdict, strongest first (module docstring: a, b, c)."""

    NO_LAG = "no_lag"
    LAG_RECENT = "lag_younger_than_for"  # (a)
    CONSUMED_RECENTLY = "consumed_within_for"  # (b)
    MOVED = "moved_between_samples"  # (c), not stuck
    NOT_MOVING = "not_moving"  # (c), stuck
    UNJUDGED = "not_judged"  # neither (a) nor (b) cleared it and one sample was taken (--interval 0)


@dataclass(frozen=True)
class PartitionLag:
    """One partition of a group's topic: offsets, lag, the ages of its next and last consumed messages."""

    partition: int
    committed: int | None
    log_start: int
    log_end: int
    lag: int | None
    seconds_behind: float | None  # age of the oldest unconsumed message (0: nothing waits)
    consumed_seconds_ago: float | None  # age of the last consumed message (committed - 1)
    end_for_ago: int | None  # first offset written at or after now - `for` (read when over max_messages)
    moved: bool | None  # committed offset changed between the samples (None: one sample)


@dataclass(frozen=True)
class GroupLag:
    """The verdict on one declared consumer group of one topic."""

    target: LagTarget
    state: str
    members: int
    partitions: tuple[PartitionLag, ...]
    lag: int | None
    lag_throughout: int | None  # lag the group had at least throughout the last `for` (when read)
    seconds_behind: float | None
    stuck: bool | None  # None when it could not be judged
    progress: Progress | None
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

    @property
    def over(self) -> list[GroupLag]:
        """The groups over a threshold now, not known to last their objective's `for`."""
        return [g for g in self.groups if g.status is Status.OVER]


def _partitions(target: LagTarget, sample: OffsetSample) -> list[Partition]:
    return [(target.topic, p) for p in range(sample.partitions.get(target.topic, 0))]


def _lags(target: LagTarget, sample: OffsetSample) -> bool:
    return any((sample.lag(target.group, p) or 0) > 0 for p in _partitions(target, sample))


def probes(targets: list[LagTarget], sample: OffsetSample) -> set[Position]:
    """The messages whose timestamps the verdicts need: for each lagging group, its next unconsumed
    message on every lagging partition and its last consumed one on every partition."""
    found: set[Position] = set()
    for target in targets:
        if not _lags(target, sample):
            continue
        for partition in _partitions(target, sample):
            if (sample.lag(target.group, partition) or 0) > 0:
                found.add(sample.position(target.group, partition))
            if (last := sample.last_consumed(target.group, partition)) is not None:
                found.add(last)
    return found


def _window_start(target: LagTarget, now: float) -> int:
    """now - the objective's `for`, in epoch milliseconds (the offsets-for-times question)."""
    return int((now - target.objective.for_seconds) * 1000)


def window_starts(targets: list[LagTarget], sample: OffsetSample, now: float) -> set[Moment]:
    """For each group over its max_messages now: (topic, partition, now - `for` in epoch ms) of its
    committed partitions, the offsets-for-times questions that bound its lag over `for`."""
    return {
        (*partition, _window_start(target, now))
        for target in targets
        if target.objective.max_messages is not None
        and sum(sample.lag(target.group, p) or 0 for p in _partitions(target, sample))
        > target.objective.max_messages
        for partition in _partitions(target, sample)
        if sample.committed(target.group, partition) is not None
    }


def suspects(
    targets: list[LagTarget], sample: OffsetSample, stamps: Mapping[Position, Stamp], now: float
) -> list[LagTarget]:
    """The groups that lag and that neither (a) nor (b) clears: only they need a second sample."""
    return [
        t
        for t in targets
        if _progress(t, _rows(t, sample, None, stamps, {}, now), None, sample) is Progress.UNJUDGED
    ]


def assess(
    cluster: str,
    targets: list[LagTarget],
    last: OffsetSample,
    first: OffsetSample | None,
    stamps: Mapping[Position, Stamp],
    ends_then: Mapping[Moment, int],
    now: float,
) -> LagReport:
    """Judge every target. `first` is the earlier sample (None: only one was taken); `stamps` holds
    what was found at `probes(targets, last)`, `ends_then` the offsets-for-times answers to
    `window_starts(targets, last, now)` (-1: nothing written since), `now` the epoch seconds."""
    groups = tuple(_assess_one(t, last, first, stamps, ends_then, now) for t in targets)
    interval = None if first is None else round(last.taken_at - first.taken_at, 1)
    return LagReport(cluster=cluster, interval=interval, groups=groups)


def _assess_one(
    target: LagTarget,
    last: OffsetSample,
    first: OffsetSample | None,
    stamps: Mapping[Position, Stamp],
    ends_then: Mapping[Moment, int],
    now: float,
) -> GroupLag:
    offsets = last.groups.get(target.group, GroupOffsets(state="UNKNOWN", members=0))
    rows = _rows(target, last, first, stamps, ends_then, now)
    known = [r for r in rows if r.lag is not None]
    lag = sum(r.lag for r in known if r.lag is not None) if known else None
    behind = None if lag is None else _worst_age(known)
    progress = _progress(target, rows, first, last)
    stuck = None if progress in (None, Progress.UNJUDGED) else progress is Progress.NOT_MOVING
    throughout = _lag_throughout(known)
    status, problems = _verdict(target, rows, lag, throughout, behind, progress, last, first)
    return GroupLag(
        target=target,
        state=offsets.state,
        members=offsets.members,
        partitions=rows,
        lag=lag,
        lag_throughout=throughout,
        seconds_behind=behind,
        stuck=stuck,
        progress=progress,
        status=status,
        problems=problems,
    )


def _rows(
    target: LagTarget,
    last: OffsetSample,
    first: OffsetSample | None,
    stamps: Mapping[Position, Stamp],
    ends_then: Mapping[Moment, int],
    now: float,
) -> tuple[PartitionLag, ...]:
    moment = _window_start(target, now)
    return tuple(
        _partition(target.group, partition, last, first, stamps, ends_then.get((*partition, moment)), now)
        for partition in _partitions(target, last)
    )


def _partition(
    group: str,
    partition: Partition,
    last: OffsetSample,
    first: OffsetSample | None,
    stamps: Mapping[Position, Stamp],
    end_then: int | None,
    now: float,
) -> PartitionLag:
    committed = last.committed(group, partition)
    lag = last.lag(group, partition)
    log_end = last.log_end.get(partition, 0)
    if lag == 0:
        behind: float | None = 0.0
    elif lag is not None and (stamp := stamps.get(last.position(group, partition))) is not None:
        behind = max(now - stamp[1], 0.0)
    else:
        behind = None
    consumed = last.last_consumed(group, partition)
    stamp = None if consumed is None else stamps.get(consumed)
    # the first message at or after committed - 1 must be below committed to be a consumed one
    consumed_age = max(now - stamp[1], 0.0) if stamp and committed and stamp[0] < committed else None
    return PartitionLag(
        partition=partition[1],
        committed=committed,
        log_start=last.log_start.get(partition, 0),
        log_end=log_end,
        lag=lag,
        seconds_behind=behind,
        consumed_seconds_ago=consumed_age,
        end_for_ago=None if end_then is None else (log_end if end_then < 0 else min(end_then, log_end)),
        moved=None if first is None else first.committed(group, partition) != committed,
    )


def _worst_age(rows: list[PartitionLag]) -> float | None:
    """The oldest unconsumed message's age over the lagging partitions whose timestamp was read (a lower
    bound when some could not be read); 0 when nothing lags, None when no age is known."""
    if not any(r.lag for r in rows):
        return 0.0
    ages = [r.seconds_behind for r in rows if r.lag and r.seconds_behind is not None]
    return max(ages) if ages else None


def _lag_throughout(rows: list[PartitionLag]) -> int | None:
    """Σ max(0, end `for` ago - committed now): the lag held at least throughout the last `for`
    (committed offsets only grow); None unless every committed partition's end then was read."""
    if not rows or any(r.end_for_ago is None for r in rows):
        return None
    return sum(max((r.end_for_ago or 0) - (r.committed or 0), 0) for r in rows)


def _progress(
    target: LagTarget, rows: tuple[PartitionLag, ...], first: OffsetSample | None, last: OffsetSample
) -> Progress | None:
    """Evidence (a), (b), (c) of the module docstring, in that order; None without committed offsets."""
    known = [r for r in rows if r.lag is not None]
    if not known:
        return None
    lagging = [r for r in known if r.lag]
    if not lagging:
        return Progress.NO_LAG
    window = target.objective.for_seconds
    if all(r.seconds_behind is not None and r.seconds_behind < window for r in lagging):
        return Progress.LAG_RECENT
    if any(r.consumed_seconds_ago is not None and r.consumed_seconds_ago < window for r in known):
        return Progress.CONSUMED_RECENTLY
    if first is None:
        return Progress.UNJUDGED
    if any(r.moved for r in known):
        return Progress.MOVED
    if not _lags(target, first):
        return Progress.LAG_RECENT  # nothing waited at the first sample
    return Progress.NOT_MOVING


def _verdict(
    target: LagTarget,
    rows: tuple[PartitionLag, ...],
    lag: int | None,
    throughout: int | None,
    behind: float | None,
    progress: Progress | None,
    last: OffsetSample,
    first: OffsetSample | None,
) -> tuple[Status, tuple[str, ...]]:
    """The worst status (lost, stuck, breaks, over) and every problem found, in that order of checks."""
    if not rows:
        return Status.NO_TOPIC, ("the topic does not exist on the cluster (not applied yet?)",)
    if lag is None:
        return Status.NO_OFFSETS, ("no committed offsets: the group has not consumed this topic yet",)
    objective = target.objective
    held = f"for {objective.for_}"
    problems: list[tuple[Status, str]] = []
    lost = [r.partition for r in rows if r.committed is not None and r.committed < r.log_start]
    if lost:
        listed = ", ".join(map(str, lost))
        problems.append((Status.LOST, f"committed offset below the log start on partition(s) {listed}"))
    if progress is Progress.NOT_MOVING and first is not None:
        interval = f"{last.taken_at - first.taken_at:.0f}s"
        # (a) failed on a message older than `for`, or on timestamps that could not be read
        since = f" over {objective.for_}" if behind is not None and behind >= objective.for_seconds else ""
        problems.append((Status.STUCK, f"stuck: {lag} waiting{since}, none consumed in {interval}"))
    limit = objective.max_messages
    if limit is not None and lag > limit:
        if throughout is not None and throughout > limit:
            problems.append((Status.BREAKS, f"lag {lag} > {limit} messages {held} (at least {throughout})"))
        else:
            problems.append(
                (Status.OVER, f"lag {lag} > {limit} messages now, not known to last {objective.for_}")
            )
    if objective.max_seconds is not None and behind is not None and behind > objective.max_seconds:
        over = f"{format_age(behind)} behind > {objective.max_seconds}s"
        if behind > objective.max_seconds + objective.for_seconds:
            problems.append((Status.BREAKS, f"{over} {held}"))
        else:
            problems.append((Status.OVER, f"{over} now, not known to last {objective.for_}"))
    if not problems:
        return Status.OK, ()
    order = [Status.LOST, Status.STUCK, Status.BREAKS, Status.OVER]
    worst = min((s for s, _ in problems), key=order.index)
    return worst, tuple(text for _, text in problems)
