"""The exporter dialects (bus.yaml alerts.exporter): each one's rules pass the promtool tests generated
for them, support the kinds its template documents, and its tests catch a wrong rule."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from busctl.adapters import prometheus
from tests.alerts import CONSUMER_TOPIC
from tests.conftest import REPO_ROOT, CliResult

Run = Callable[..., CliResult]
MakeRepo = Callable[..., Path]

ALL_KINDS = {
    "KafkaConsumerGroupLagHigh",
    "KafkaConsumerGroupTimeLagHigh",
    "KafkaConsumerGroupStuck",
    "KafkaConsumerGroupMissing",
    "KafkaConsumerGroupNoActiveMembers",
    "KafkaConsumerGroupOffsetOutOfRetention",
}
# exporter -> (its group label, label selector as a user of that exporter would set it, alert kinds)
DIALECTS: dict[str, tuple[str, dict[str, str], set[str]]] = {
    "kafka_exporter": ("consumergroup", {"cluster": "prod"}, ALL_KINDS),
    "kminion": ("group_id", {}, ALL_KINDS),
    "kafka-lag-exporter": ("group", {"cluster_name": "prod"}, ALL_KINDS),
    # Burrow exports neither group members nor log-start offsets
    "burrow": (
        "consumer_group",
        {"cluster": "prod"},
        ALL_KINDS - {"KafkaConsumerGroupNoActiveMembers", "KafkaConsumerGroupOffsetOutOfRetention"},
    ),
}
TOPIC = CONSUMER_TOPIC.format(
    consumers="""\
  - group: fast
    lag: {max_messages: 100, max_seconds: 30, for: 1m, severity: critical}
  - group: slow
    team: billing
    lag: {max_messages: 5000000, max_seconds: 3600, for: 15m}"""
)


def _repo(bus_repo: MakeRepo, exporter: str) -> Path:
    _, selector, _ = DIALECTS[exporter]
    bus = (REPO_ROOT / "tests/rules/base/bus.yaml").read_text()
    settings = {"alerts": {"exporter": exporter, "selector": selector}}
    return bus_repo({"bus.yaml": bus + yaml.safe_dump(settings), "topics/audit/events.yaml": TOPIC})


def _rules(repo: Path, team: str) -> list[dict[str, Any]]:
    data = yaml.safe_load((repo / f"alerts/{team}.rules.yml").read_text())
    return [rule for group in data["groups"] for rule in group["rules"]]


@pytest.mark.parametrize("exporter", DIALECTS)
def test_dialect_writes_the_kinds_it_supports_in_its_own_labels(
    run: Run, bus_repo: MakeRepo, exporter: str
) -> None:
    group_label, selector, kinds = DIALECTS[exporter]
    repo = _repo(bus_repo, exporter)
    assert run("alerts", "--repo", str(repo)).code == 0
    rules = [rule for team in ("audit", "billing") for rule in _rules(repo, team)]
    assert {rule["alert"] for rule in rules} == kinds
    fast = [rule for rule in rules if rule["labels"]["consumergroup"] == "fast"]
    assert len(fast) == len(kinds)
    for rule in fast:
        assert f'{group_label}="fast"' in rule["expr"], rule["expr"]
        for label, value in selector.items():
            assert f'{label}="{value}"' in rule["expr"], rule["expr"]
    [down] = _rules(repo, "_exporter")
    assert f'up{{job="{exporter.replace("_", "-")}"}}' in down["expr"]


@pytest.mark.prometheus
@pytest.mark.parametrize("exporter", DIALECTS)
def test_dialect_rules_pass_their_promtool_tests(run: Run, bus_repo: MakeRepo, exporter: str) -> None:
    repo = _repo(bus_repo, exporter)
    result = run("alerts", "--repo", str(repo), "--verify")
    assert result.code == 0, result.out + result.err
    lines = result.out.splitlines()
    tested = [line for line in lines if line.startswith("ok: promtool test rules alerts/tests/")]
    assert len(tested) == len(list((repo / "alerts/tests").glob("*.test.yml"))) > 0  # one line a file
    assert "FAILED" not in result.out
    assert "ok: routes of 3 team(s)" in result.out


@pytest.mark.prometheus
@pytest.mark.parametrize("exporter", DIALECTS)
def test_dialect_tests_catch_a_wrong_threshold(run: Run, bus_repo: MakeRepo, exporter: str) -> None:
    repo = _repo(bus_repo, exporter)
    assert run("alerts", "--repo", str(repo)).code == 0
    rules = repo / "alerts/audit.rules.yml"
    text = rules.read_text()
    assert text.count("> 100\n") == 1  # fast's message objective
    rules.write_text(text.replace("> 100\n", "> 1000\n"))
    outcome = prometheus.test_rules(repo, ["alerts/tests/audit.test.yml"])
    assert not outcome.ok
    assert "KafkaConsumerGroupLagHigh" in outcome.output
    rules.write_text(text)
    assert prometheus.test_rules(repo, ["alerts/tests/audit.test.yml"]).ok


@pytest.mark.prometheus
@pytest.mark.parametrize("exporter", DIALECTS)
def test_dialect_tests_catch_a_stuck_rule_blind_to_when_the_lag_began(
    run: Run, bus_repo: MakeRepo, exporter: str
) -> None:
    repo = _repo(bus_repo, exporter)
    assert run("alerts", "--repo", str(repo)).code == 0
    rules = repo / "alerts/billing.rules.yml"
    lines = rules.read_text().splitlines(keepends=True)
    guards = [i for i, line in enumerate(lines) if " offset 15m" in line]
    assert len(guards) == 1  # slow's Stuck rule: lag `for` (15m) ago
    # without "lag `for` ago" the rule pages for messages that arrived a moment ago on an idle topic
    del lines[guards[0] : guards[0] + 2]  # the guard and the `and on (...)` after it
    rules.write_text("".join(lines))
    outcome = prometheus.test_rules(repo, ["alerts/tests/billing.test.yml"])
    assert not outcome.ok
    assert "KafkaConsumerGroupStuck" in outcome.output


# exporter -> the label telling clusters apart: its own (kafka_exporter --kafka.labels=cluster=NAME,
# kafka-lag-exporter's cluster_name, Burrow's cluster) or, for kminion, one the scrape config adds
CLUSTER_LABELS = {
    "kafka_exporter": "cluster",
    "kminion": "kafka_cluster",
    "kafka-lag-exporter": "cluster_name",
    "burrow": "cluster",
}


@pytest.mark.prometheus
@pytest.mark.parametrize("exporter", DIALECTS)
def test_dialect_per_cluster_rules_pass_and_their_tests_catch_a_lost_cluster_matcher(
    run: Run, bus_repo: MakeRepo, exporter: str
) -> None:
    label = CLUSTER_LABELS[exporter]
    clusters = {
        name: {"bootstrap_servers": f"127.0.0.1:{port}", "alerts": {"selector": {label: name}}}
        for name, port in (("prod-eu", 9092), ("prod-us", 9093))
    }
    bus = {
        "clusters": clusters,
        "policy": {"min_replication_factor": 3, "platform_team": "platform"},
        "alerts": {"exporter": exporter},
    }
    repo = bus_repo({"bus.yaml": yaml.safe_dump(bus), "topics/audit/events.yaml": TOPIC})
    result = run("alerts", "--repo", str(repo), "--verify")
    assert result.code == 0, result.out + result.err
    eu = [r for r in _rules(repo, "audit") if r["labels"]["cluster"] == "prod-eu"]
    assert eu and all(f'{label}="prod-eu"' in r["expr"] for r in eu)
    rules = repo / "alerts/audit.rules.yml"
    rules.write_text(rules.read_text().replace(f', {label}="prod-eu"', ""))  # eu's rules read us's too
    outcome = prometheus.test_rules(repo, ["alerts/tests/audit.test.yml"])
    assert not outcome.ok
