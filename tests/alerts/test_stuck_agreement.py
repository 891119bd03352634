"""`busctl lag` and the KafkaConsumerGroupStuck alert agree: one table of scenarios (when messages were
written, when the group committed what) drives the pure `assess` with the offset samples, message
timestamps and offsets-for-times answers `busctl lag` would read, and the generated rule through real
`promtool test rules` with the series an exporter scraping every 15 s would have recorded.

The default dialect (kafka_exporter) is fed here; the other dialects' Stuck rules have the same shape
and pass their own generated tests (test_dialects.py)."""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from busctl.adapters import prometheus
from busctl.core.alert_tests import humanize
from busctl.core.alerts import LagTarget, Objective
from busctl.core.lag import GroupOffsets, OffsetSample, Position, Stamp, assess, probes, suspects
from tests.alerts import CONSUMER_TOPIC
from tests.conftest import CliResult

Run = Callable[..., CliResult]
EPOCH = 1_800_000_000.0  # "now" (relative time 0), in epoch seconds
FOR, FOR_TEXT = 600, "10m"  # the objective's `for`
SPAN, SCRAPE = 1800, 15  # the series cover the last 30 minutes, one sample every 15 s
INTERVAL = 35  # busctl lag's default --interval
TOPIC = "audit.events.v1"
LIMIT = 1_000_000  # max_messages, never reached: only the stuck verdict is compared


@dataclass(frozen=True)
class Scenario:
    """One group on a one-partition topic: message write times and commits, in seconds before now."""

    name: str
    written: tuple[float, ...]  # the write time of each offset, ascending
    commits: tuple[tuple[float, int], ...]  # (time, committed offset), ascending
    stuck: bool

    def end(self, at: float) -> int:
        """The log-end offset at a time."""
        return bisect.bisect_right(self.written, at)

    def committed(self, at: float) -> int:
        """The committed offset at a time (0 before the first commit)."""
        done = [offset for time, offset in self.commits if time <= at]
        return done[-1] if done else 0


def _every(step: float, start: float, stop: float) -> tuple[float, ...]:
    count = int((stop - start) / step)
    return tuple(start + i * step for i in range(count + 1))


def _commits(times: tuple[float, ...], offset: Callable[[float], int]) -> tuple[tuple[float, int], ...]:
    return tuple((t, offset(t)) for t in times)


BUSY = _every(2, -SPAN, -1)  # a message every 2 s
IDLE = _every(1, -SPAN, -SPAN + 99)  # 100 messages half an hour ago, none since
SLOW = _every(1, -SPAN, -1)  # a message a second, read at one every 2 s


def _busy_until(stop: float, every: float) -> tuple[tuple[float, int], ...]:
    """A consumer in real time on BUSY, committing every `every` seconds until `stop`."""
    return _commits(_every(every, -SPAN + 5, stop), lambda t: bisect.bisect_right(BUSY, t))


SCENARIOS = [
    Scenario("healthy-slow-committer", BUSY, _busy_until(0, 30), stuck=False),  # Kafka Streams' 30 s
    Scenario("stopped-consumer", BUSY, _busy_until(-720, 5), stuck=True),  # stopped 12 minutes ago
    Scenario("stopped-recently", BUSY, _busy_until(-120, 5), stuck=False),  # 2 minutes: not yet `for`
    Scenario("stopped-on-idle-topic", IDLE, ((-SPAN + 50, 40),), stuck=True),
    Scenario("idle-topic", IDLE, ((-SPAN + 110, 100),), stuck=False),
    Scenario("one-message-waiting-3s", (*IDLE, -3.0), ((-SPAN + 110, 100),), stuck=False),
    Scenario("batch-consumer-message-waiting-3m", (*IDLE, -180.0), ((-SPAN + 110, 100),), stuck=False),
    Scenario(
        "slow-but-moving-far-behind",
        SLOW,
        _commits(_every(10, -SPAN + 10, 0), lambda t: int((t + SPAN) / 2)),
        stuck=False,
    ),
]


def _target(scenario: Scenario) -> LagTarget:
    objective = Objective(LIMIT, None, FOR_TEXT, "warning")
    return LagTarget("audit", TOPIC, scenario.name, "audit", "topics/audit/events.yaml", objective)


def _sample(scenario: Scenario, at: float) -> OffsetSample:
    partition = (TOPIC, 0)
    return OffsetSample(
        taken_at=at,
        partitions={TOPIC: 1},
        log_start={partition: 0},
        log_end={partition: scenario.end(at)},
        groups={scenario.name: GroupOffsets("STABLE", 1, {partition: scenario.committed(at)})},
    )


def _stamps(scenario: Scenario, positions: set[Position], at: float) -> dict[Position, Stamp]:
    """What the probe consumer finds at each position: the first message at or after it, if written."""
    found = {}
    for position in positions:
        offset = position[2]
        if offset < scenario.end(at):
            found[position] = (offset, EPOCH + scenario.written[offset])
    return found


def _busctl_stuck(scenario: Scenario) -> bool | None:
    """`busctl lag`'s steps: a sample and its probes, a second sample after INTERVAL only for a
    group neither (a) nor (b) clears, then the verdict (judged at relative time 0)."""
    targets = [_target(scenario)]
    start = -INTERVAL
    first = _sample(scenario, start)
    stamps = _stamps(scenario, probes(targets, first), start)
    if not suspects(targets, first, stamps, EPOCH + start):
        report = assess("prod", targets, first, None, stamps, {}, EPOCH + start)
    else:
        last = _sample(scenario, 0)
        stamps |= _stamps(scenario, probes(targets, last), 0)
        report = assess("prod", targets, last, first, stamps, {}, EPOCH)
    (group,) = report.groups
    assert group.status.fails is bool(group.stuck), group
    return group.stuck


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_busctl_lag_calls_stuck_what_the_alert_calls_stuck(scenario: Scenario) -> None:
    assert _busctl_stuck(scenario) is scenario.stuck


def _series(metric: str, scenario: Scenario, value: Callable[[float], int]) -> dict[str, str]:
    labels = f'consumergroup="{scenario.name}",instance="exporter:9308",job="kafka-exporter",partition="0"'
    values = [str(value(float(t))) for t in range(-SPAN, 1, SCRAPE)]
    return {"series": f'{metric}{{{labels},topic="{TOPIC}"}}', "values": " ".join(values)}


def _expected(rule: dict[str, Any], scenario: Scenario) -> dict[str, Any]:
    lag = scenario.end(0) - scenario.committed(0)
    value = humanize(lag)
    annotations = {k: v.replace("{{ $value | humanize }}", value) for k, v in rule["annotations"].items()}
    return {"exp_labels": {**rule["labels"], "topic": TOPIC}, "exp_annotations": annotations}


@pytest.mark.prometheus
def test_the_stuck_alert_fires_on_the_same_scenarios(run: Run, bus_repo: Callable[..., Path]) -> None:
    consumers = "".join(
        f"  - {{group: {s.name}, lag: {{max_messages: {LIMIT}, for: {FOR_TEXT}}}}}\n" for s in SCENARIOS
    )
    repo = bus_repo({"topics/audit/events.yaml": CONSUMER_TOPIC.format(consumers=consumers)})
    assert run("alerts", "--repo", str(repo)).code == 0
    rules = yaml.safe_load((repo / "alerts/audit.rules.yml").read_text())["groups"]
    stuck_rules = {
        r["labels"]["consumergroup"]: r
        for group in rules
        for r in group["rules"]
        if r["alert"] == "KafkaConsumerGroupStuck"
    }
    series = [
        item
        for s in SCENARIOS
        for item in (
            _series("kafka_consumergroup_lag", s, lambda t, s=s: s.end(t) - s.committed(t)),
            _series("kafka_consumergroup_current_offset", s, s.committed),
        )
    ]
    firing = [_expected(stuck_rules[s.name], s) for s in SCENARIOS if s.stuck]
    test = {
        "rule_files": ["../audit.rules.yml"],
        "evaluation_interval": f"{SCRAPE}s",
        "tests": [
            {
                "interval": f"{SCRAPE}s",
                "input_series": series,
                "alert_rule_test": [
                    {"eval_time": f"{SPAN}s", "alertname": "KafkaConsumerGroupStuck", "exp_alerts": firing}
                ],
            }
        ],
    }
    (repo / "alerts/tests/agreement.test.yml").write_text(yaml.safe_dump(test, sort_keys=False))
    outcome = prometheus.test_rules(repo, ["alerts/tests/agreement.test.yml"])
    assert outcome.ok, outcome.output
    assert {s.name for s in SCENARIOS if s.stuck} == {"stopped-consumer", "stopped-on-idle-topic"}
