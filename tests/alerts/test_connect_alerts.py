"""`busctl alerts` for connectors: a failed connector, a failed task and a missing connector per declared
connector, paged to its owner; the Connect workers not scraped, paged to the platform team; each with
promtool tests that catch a rule watching the wrong thing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from busctl.adapters import prometheus
from tests.conftest import CliResult

Run = Callable[..., CliResult]
MakeRepo = Callable[..., Path]
FLEET = """\
clusters:
  prod-eu:
    bootstrap_servers: 127.0.0.1:9092
    connect: {url: http://connect-eu:8083}
    alerts: {selector: {kafka_cluster: prod-eu}}
  prod-us:
    bootstrap_servers: 127.0.0.1:9093
    connect: {url: http://connect-us:8083}
    alerts: {selector: {kafka_cluster: prod-us}}
  dev:
    bootstrap_servers: 127.0.0.1:9094
    alerts: {selector: {kafka_cluster: dev}}
defaults: {partitions: 6, replication_factor: 3, config: {min.insync.replicas: 2}}
policy:
  min_replication_factor: 3
  protected_topics: ['^__', '^_schemas$']
  platform_team: platform
"""


def _connector(name: str, owner: str = "billing", extra: str = "") -> str:
    return (
        f"name: {name}\nowner: {owner}\ndescription: x\n"
        "class: org.apache.kafka.connect.file.FileStreamSinkConnector\ntype: sink\n"
        f"topics: [billing.invoice-created.v1]\nconfig: {{file: /tmp/{name}.txt}}\n{extra}"
    )


def _alerts(repo: Path, name: str) -> dict[tuple[str, str, str], dict[str, Any]]:
    """(alertname, connector, cluster) -> rule, from alerts/<name>.rules.yml."""
    data = yaml.safe_load((repo / f"alerts/{name}.rules.yml").read_text())
    return {
        (r["alert"], r["labels"].get("connector", ""), r["labels"]["cluster"]): r
        for group in data["groups"]
        for r in group["rules"]
    }


@pytest.fixture
def repo(bus_repo: MakeRepo) -> Path:
    return bus_repo(
        {
            "bus.yaml": FLEET,
            "connectors/billing/ledger-sink.yaml": _connector("ledger-sink"),
            "connectors/billing/archive-sink.yaml": _connector(
                "archive-sink", extra="placement: [prod-eu]\n"
            ),
            "connectors/billing/retired-sink.yaml": _connector("retired-sink", extra="lifecycle: deleted\n"),
            "connectors/audit/audit-sink.yaml": _connector("audit-sink", owner="audit"),
        }
    )


def test_each_connector_gets_its_rules_on_each_cluster_it_runs_on(run: Run, repo: Path) -> None:
    assert run("alerts", "--repo", str(repo)).code == 0
    billing = _alerts(repo, "billing.connect")
    assert set(billing) == {
        (alert, connector, cluster)
        for alert in ("KafkaConnectConnectorFailed", "KafkaConnectTaskFailed", "KafkaConnectConnectorMissing")
        for connector, cluster in (
            ("ledger-sink", "prod-eu"),
            ("ledger-sink", "prod-us"),
            ("archive-sink", "prod-eu"),
        )
    }  # not on dev (no Connect cluster), not for the tombstone
    failed = billing[("KafkaConnectTaskFailed", "ledger-sink", "prod-us")]
    assert 'connector="ledger-sink"' in failed["expr"] and 'kafka_cluster="prod-us"' in failed["expr"]
    assert 'job="kafka-connect"' in failed["expr"]
    assert failed["labels"] | {} == {
        "severity": "critical",
        "team": "billing",
        "connector": "ledger-sink",
        "cluster": "prod-us",
    }
    assert "connectors/billing/ledger-sink.yaml" in failed["annotations"]["description"]
    assert set(_alerts(repo, "audit.connect")) >= {("KafkaConnectConnectorFailed", "audit-sink", "prod-eu")}
    workers = _alerts(repo, "_connect")
    assert set(workers) == {
        ("KafkaConnectWorkersDown", "", "prod-eu"),
        ("KafkaConnectWorkersDown", "", "prod-us"),
    }
    assert workers[("KafkaConnectWorkersDown", "", "prod-eu")]["labels"]["team"] == "platform"
    routes = yaml.safe_load((repo / "alerts/alertmanager.yml").read_text())
    inhibit = [r for r in routes["inhibit_rules"] if "KafkaConnectWorkersDown" in str(r["source_matchers"])]
    assert inhibit and inhibit[0]["equal"] == ["cluster"]


def test_no_connector_no_connect_files(run: Run, bus_repo: MakeRepo) -> None:
    repo = bus_repo()
    assert run("alerts", "--repo", str(repo)).code == 0
    assert not [p for p in (repo / "alerts").rglob("*connect*")]
    assert "KafkaConnectWorkersDown" not in (repo / "alerts/alertmanager.yml").read_text()


@pytest.mark.prometheus
def test_the_generated_connector_alerts_pass_promtool_and_route_to_their_owner(run: Run, repo: Path) -> None:
    result = run("alerts", "--repo", str(repo), "--verify")
    assert result.code == 0, result.out + result.err
    for name in ("billing.connect", "audit.connect", "_connect"):
        assert f"ok: promtool test rules alerts/tests/{name}.test.yml" in result.out


@pytest.mark.prometheus
@pytest.mark.parametrize(
    ("broken", "into"),
    [
        ('status="failed", job="kafka-connect", kafka_cluster="prod-us"}) == 1', 'status="failed"}) == 1'),
        (
            'kafka_connect_connector_task_status{connector="ledger-sink", status="failed"',
            'kafka_connect_connector_task_status{status="failed"',
        ),
        (
            'absent(kafka_connect_connector_status{connector="ledger-sink", job="kafka-connect", '
            'kafka_cluster="prod-eu"})',
            'absent(kafka_connect_connector_status{job="kafka-connect", kafka_cluster="prod-eu"})',
        ),
    ],
    ids=["failed-on-any-cluster", "task-of-any-connector", "missing-of-any-connector"],
)
def test_promtool_tests_catch_a_rule_watching_the_wrong_series(
    run: Run, repo: Path, broken: str, into: str
) -> None:
    assert run("alerts", "--repo", str(repo)).code == 0
    rules = repo / "alerts/billing.connect.rules.yml"
    text = rules.read_text()
    assert broken in text
    rules.write_text(text.replace(broken, into))
    assert prometheus.check_rules(repo, ["alerts/billing.connect.rules.yml"]).ok
    assert not prometheus.test_rules(repo, ["alerts/tests/billing.connect.test.yml"]).ok
