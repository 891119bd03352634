"""The promtool unit tests generated next to every rule file: which inputs, when, what must fire.

Pure. Tests are combined across targets: one promtool test per (alert kind, scenario) feeds every
target of that kind its scenario's series at once (series are per group and topic, so they do not
interfere) and expects exactly the targets whose scenario fires. That keeps a team's test file to
a couple of dozen tests however many groups it declares, and it catches rules that match more
than their own group. Expected annotations quote `$value` as Prometheus's `humanize` and
`humanizeDuration` print it, reproduced here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from busctl.core.alerts import (
    EXPORTER_DOWN,
    LAG_MESSAGES,
    LAG_SECONDS,
    MISSING,
    NO_MEMBERS,
    OUT_OF_RETENTION,
    STUCK,
    AlertKind,
    AlertRule,
)
from busctl.core.model import AlertSettings
from busctl.core.units import prometheus_duration_seconds

Offsets = dict[int, tuple[int, int]]


def humanize(value: float) -> str:
    """Prometheus's `humanize` for the values tests expect (>= 1): 2100 -> "2.1k", 7 -> "7"."""
    if value < 1:
        raise ValueError(f"scenarios expect values >= 1, not {value}")
    prefix = ""
    for unit in ("k", "M", "G", "T", "P", "E", "Z", "Y"):
        if value < 1000:
            break
        prefix, value = unit, value / 1000
    return f"{value:.4g}{prefix}"  # Go's %.4g: the same text below 1000


def humanize_duration(value: float) -> str:
    """Prometheus's `humanizeDuration` for values >= 1 s: 630.5 -> "10m 30s", 2.5 -> "2.5s"."""
    if value < 1:
        raise ValueError(f"scenarios expect durations >= 1 s, not {value}")
    total = int(value)
    days, hours = total // 86400, total // 3600 % 24
    minutes, seconds = total // 60 % 60, total % 60
    if days:
        return f"{days}d {hours}h {minutes}m {seconds}s"
    if hours:
        return f"{hours}h {minutes}m {seconds}s"
    if minutes:
        return f"{minutes}m {seconds}s"
    return f"{value:.4g}s"


@dataclass(frozen=True)
class Inputs:
    """Abstract input series of one target in one test, constant or linear over `samples` steps.

    The dialect template turns them into its exporter's metric names and labels. Offsets are
    (start, increase per step); a missing entry means the series is absent. `group` replaces the
    target's group (to feed some other group's series); `lag_since` makes the lag appear late.
    """

    samples: int
    lag: dict[int, int] = field(default_factory=dict)
    committed: Offsets = field(default_factory=dict)
    log_end: Offsets = field(default_factory=dict)
    log_start: dict[int, int] = field(default_factory=dict)
    members: int | None = None
    up: int | None = None
    group: str | None = None
    lag_since: int | None = None  # lag only in the last this many samples (0 before), else throughout


@dataclass(frozen=True)
class Scenario:
    """One target's part of a test: its inputs and whether (with what value) its alert fires."""

    name: str
    inputs: Inputs
    fires: bool
    value: str = ""


@dataclass(frozen=True)
class PromtoolTest:
    """One promtool test: a scenario for every rule of one kind, evaluated once at the end."""

    kind: AlertKind
    name: str
    interval_seconds: int
    eval_seconds: int
    cases: tuple[tuple[AlertRule, Scenario], ...]


def _window(rule: AlertRule, settings: AlertSettings) -> float:
    """The range the expression looks back over: the rate window, Stuck's objective `for`, or none."""
    if rule.kind is LAG_SECONDS:
        return prometheus_duration_seconds(settings.rate_window)
    if rule.kind is STUCK and rule.target is not None:
        return rule.target.objective.for_seconds
    return 0


def _interval(rule: AlertRule) -> int:
    shortest = rule.for_seconds
    if rule.kind is STUCK and rule.target is not None:  # samples fine enough to see a commit in its window
        shortest = min(shortest, rule.target.objective.for_seconds)
    return int(min(60, max(1, shortest // 2)))


def _settle(rule: AlertRule, settings: AlertSettings, step: int) -> int:
    return int(_window(rule, settings) + rule.for_seconds + 3 * step)


def _scenarios(rule: AlertRule, step: int, samples: int) -> list[Scenario]:
    def case(name: str, fires: bool, value: str = "", **series: object) -> Scenario:
        return Scenario(name, Inputs(samples=samples, **series), fires, value)  # type: ignore[arg-type]

    moving = {0: (1000, 10), 1: (1000, 10)}
    if rule.kind is EXPORTER_DOWN:
        return [
            case("exporter reports up=0", True, up=0),
            case("exporter never scraped", True),
            case("exporter up", False, up=1),
        ]
    assert rule.target is not None
    objective = rule.target.objective
    if rule.kind is LAG_MESSAGES:
        limit = objective.max_messages or 0
        over = limit + 3  # with -1 and -5 beside it: a sum without clamp_min stays under the limit
        return [
            case(
                "lag over the objective",
                True,
                humanize(over),
                lag={0: over, 1: -1, 2: -5},
                committed=moving,
                members=1,
            ),
            case("lag at the objective", False, lag={0: limit, 1: -1}, committed=moving, members=1),
            case("caught up", False, lag={0: 0, 1: 0}, committed=moving, members=1),
            case("no committed offset (-1) and negative lag", False, lag={0: -1, 1: -5}, members=1),
        ]
    if rule.kind is LAG_SECONDS:
        limit = objective.max_seconds or 0
        per_second = 2
        produced = {0: (1_000_000, per_second * step)}
        behind = per_second * 2 * limit + 1  # 2 x the objective + half a second: no rounding edge
        return [
            case(
                "behind more than the objective",
                True,
                humanize_duration(behind / per_second),
                lag={0: behind},
                log_end=produced,
                committed=moving,
                members=1,
            ),
            case(
                "busy topic, small lag",
                False,
                lag={0: per_second * limit // 2},
                log_end=produced,
                committed=moving,
                members=1,
            ),
            case(
                "idle topic, caught up",
                False,
                lag={0: 0},
                log_end={0: (1_000_000, 0)},
                committed={0: (1000, 0)},
                members=1,
            ),
        ]
    if rule.kind is STUCK:
        still = {0: (1000, 0)}
        # lag for longer than the rule's own `for:` (so a rule blind to when the lag began fires) but
        # for less than the objective's `for`
        recent = max(1, int((objective.for_seconds + rule.for_seconds) / 2 / step))
        return [
            case("lag and no committed progress", True, humanize(5), lag={0: 5}, committed=still, members=1),
            case(
                "messages waiting for less than the objective's for",
                False,
                lag={0: 5},
                lag_since=recent,
                committed=still,
                members=1,
            ),
            case("lag but committing progress", False, lag={0: 5}, committed={0: (1000, 10)}, members=1),
            case("idle and caught up", False, lag={0: 0}, committed=still, members=1),
        ]
    if rule.kind is MISSING:
        return [
            case("no series for the group", True, lag={0: 3}, group="busctl-test-other-group"),
            case("group reported", False, lag={0: 0}, committed={0: (1000, 0)}),
        ]
    if rule.kind is NO_MEMBERS:
        return [
            case("messages waiting, no members", True, humanize(7), lag={0: 7, 1: -1}, members=0),
            case("messages waiting, members active", False, lag={0: 7}, members=2),
            case("no members, nothing waiting", False, lag={0: 0}, members=0),
        ]
    if rule.kind is OUT_OF_RETENTION:
        return [
            case(
                "committed offset below log start",
                True,
                humanize(1),
                committed={0: (5, 0), 1: (50, 0)},
                log_start={0: 10, 1: 10},
                lag={0: 3, 1: 3},
            ),
            case("committed offset retained", False, committed={0: (15, 0)}, log_start={0: 10}, lag={0: 3}),
            case("no committed offset (-1)", False, committed={0: (-1, 0)}, log_start={0: 10}, lag={0: -1}),
        ]
    raise ValueError(f"no scenarios for alert kind {rule.kind.key}")


def promtool_tests(rules: Sequence[AlertRule], settings: AlertSettings) -> list[PromtoolTest]:
    """The tests for one rule file, kind by kind, in the order the rules first appear."""
    kinds = list(dict.fromkeys(rule.kind for rule in rules))
    tests = []
    for kind in kinds:
        of_kind = [rule for rule in rules if rule.kind is kind]
        step = min(_interval(rule) for rule in of_kind)
        settle = max(_settle(rule, settings, step) for rule in of_kind)
        samples = settle // step + 2
        per_rule = [_scenarios(rule, step, samples) for rule in of_kind]
        for index, first in enumerate(per_rule[0]):
            cases = tuple((rule, scenarios[index]) for rule, scenarios in zip(of_kind, per_rule, strict=True))
            tests.append(PromtoolTest(kind, first.name, step, settle, cases))
    return tests


def evaluation_interval(tests: Sequence[PromtoolTest]) -> int:
    """The file-wide evaluation interval: fine enough for the test with the shortest `for:`."""
    return min((test.interval_seconds for test in tests), default=60)
