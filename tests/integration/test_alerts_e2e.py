"""End to end: generated lag alerts fire on a real cluster and reach the paged team's chat room.

Real Kafka (scripts/kafka) + a real lag exporter (klag-exporter, the kafka-lag-exporter dialect) +
real Prometheus loading the rules `busctl alerts` wrote + real Alertmanager with the generated
routes, delivering to a local webhook standing in for the chat relay. A declared group consumes
part of a topic and stops: the lag alert must go pending, then firing with the right `team`,
reach that team's room, and clear once the group catches up.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult, write_files
from tests.integration.clients import consume_and_commit, produce
from tests.integration.conftest import Broker, bus_for
from tests.integration.monitoring import (
    alertmanager,
    http_json,
    klag_exporter,
    prometheus,
    wait_for,
    webhook_receiver,
)

pytestmark = [pytest.mark.kafka, pytest.mark.prometheus, pytest.mark.slow]
Run = Callable[..., CliResult]

TOPIC = "audit.alert-e2e.v1"
GROUP = "alert-e2e-reader"
ALERT = "KafkaConsumerGroupLagHigh"
EXPORTER_PORT, PROMETHEUS_PORT, ALERTMANAGER_PORT, WEBHOOK_PORT = 39200, 39201, 39202, 39203
TOPIC_FILE = f"""\
name: {TOPIC}
owner: audit
description: Written by the end-to-end alert test.
schema: acme.audit.v1.AuditEvent
partitions: 1
consumers:
  - group: {GROUP}
    team: billing
    lag: {{max_messages: 20, for: 5s, severity: critical}}
"""
ALERT_SETTINGS = f"""\
alerts:
  exporter: kafka-lag-exporter
  rate_window: 1m
  missing_for: 10m
  webhook_url: http://127.0.0.1:{WEBHOOK_PORT}/rooms/{{team}}
"""


def _lag_alerts(url: str) -> list[dict[str, Any]]:
    alerts = http_json(f"{url}/api/v1/alerts")["data"]["alerts"]
    return [a for a in alerts if a["labels"]["alertname"] == ALERT and a["labels"]["consumergroup"] == GROUP]


def test_lag_alert_fires_for_the_paged_team_reaches_its_room_and_clears(
    run: Run, kafka_single: Broker, tmp_path: Path
) -> None:
    started = time.monotonic()
    # klag-exporter labels every series cluster_name=<its [[clusters]] name>: the cluster's selector
    root = bus_for(kafka_single, tmp_path / "bus", "    alerts: {selector: {cluster_name: local}}\n")
    write_files(
        root,
        {
            "topics/billing/invoice-created.yaml": None,
            "topics/audit/events.yaml": None,
            "topics/audit/alert-e2e.yaml": TOPIC_FILE,
        },
    )
    (root / "bus.yaml").write_text((root / "bus.yaml").read_text() + ALERT_SETTINGS)
    applied = run("apply", "--cluster", "local", "--repo", str(root), "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    generated = run("alerts", "--repo", str(root))
    assert generated.code == 0, generated.out + generated.err
    rule_files = sorted((root / "alerts").glob("*.rules.yml"))
    assert [p.name for p in rule_files] == ["_exporter.rules.yml", "billing.rules.yml"]

    work = tmp_path / "monitoring"
    with (
        webhook_receiver(WEBHOOK_PORT) as received,
        alertmanager(work / "alertmanager", ALERTMANAGER_PORT, root / "alerts/alertmanager.yml") as am_url,
        klag_exporter(work / "exporter", kafka_single.bootstrap, EXPORTER_PORT) as exporter,
        prometheus(
            work / "prometheus",
            PROMETHEUS_PORT,
            rule_files,
            job="kafka-lag-exporter",
            target=exporter,
            alertmanager=am_url.removeprefix("http://"),
        ) as prom_url,
    ):
        produce(kafka_single.bootstrap, TOPIC, 100)
        consume_and_commit(kafka_single.bootstrap, TOPIC, GROUP, 10)  # 90 behind, objective 20
        states: list[str] = []

        def firing() -> dict[str, Any] | None:
            for alert in _lag_alerts(prom_url):
                if not states or states[-1] != alert["state"]:
                    states.append(alert["state"])  # the sequence of states seen: pending, firing
                if alert["state"] == "firing":
                    return alert
            return None

        alert = wait_for(f"{ALERT} firing in Prometheus", firing, 120, work / "prometheus/prometheus.log")
        fired_after = time.monotonic() - started
        assert states[0] == "pending", states  # `for: 5s` holds it pending first
        assert alert["labels"]["team"] == "billing"  # the paged team, not the topic owner
        assert alert["labels"]["owner"] == "audit"
        assert alert["labels"]["severity"] == "critical"
        assert alert["labels"]["topic"] == TOPIC
        assert alert["labels"]["cluster"] == "local"
        assert float(alert["value"]) == 90
        assert alert["annotations"]["description"].startswith(f"Consumer group {GROUP} is 90 messages behind")

        def delivered() -> dict[str, Any] | None:
            for post in received:
                alerts = post["body"]["alerts"]
                if any(a["labels"]["alertname"] == ALERT and a["status"] == "firing" for a in alerts):
                    return post
            return None

        post = wait_for(
            "the alert at the billing room's webhook", delivered, 120, work / "alertmanager/alertmanager.log"
        )
        assert post["path"] == "/rooms/billing"
        assert post["body"]["receiver"] == "team-billing"
        delivered_after = time.monotonic() - started

        consume_and_commit(kafka_single.bootstrap, TOPIC, GROUP, 90)  # caught up
        wait_for(
            f"{ALERT} to clear", lambda: not _lag_alerts(prom_url), 120, work / "prometheus/prometheus.log"
        )
        cleared_after = time.monotonic() - started
    print(
        f"\nalert e2e: firing after {fired_after:.0f}s, delivered after {delivered_after:.0f}s, "
        f"cleared after {cleared_after:.0f}s, total {time.monotonic() - started:.0f}s"
    )
