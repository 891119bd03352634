"""`busctl lag` against a real broker: lag, age and stuck verdicts per declared group, checked against
Kafka's own kafka-consumer-groups tool, and the exit code a health check relies on."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient

from tests.conftest import CliResult, write_files
from tests.integration.clients import consume_and_commit, produce
from tests.integration.conftest import Broker, bus_for

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
Run = Callable[..., CliResult]

TOPIC, OLD_TOPIC = "audit.lag-e2e.v1", "audit.lag-old.v1"
TOPIC_FILES = {
    "topics/billing/invoice-created.yaml": None,
    "topics/audit/lag.yaml": f"""\
name: {TOPIC}
owner: audit
description: Read by the lag test's groups.
schema: acme.audit.v1.AuditEvent
partitions: 2
consumers:
  - {{group: lag-current, lag: {{max_messages: 100}}}}
  - {{group: lag-behind, team: billing, lag: {{max_messages: 5, severity: critical}}}}
  - {{group: lag-unseen}}
  - {{group: lag-moving, lag: {{max_messages: 1000}}}}
""",
    "topics/audit/lag-old.yaml": f"""\
name: {OLD_TOPIC}
owner: audit
description: Holds messages written two hours ago.
schema: acme.audit.v1.AuditEvent
partitions: 1
consumers:
  - {{group: lag-old, lag: {{max_seconds: 600}}}}
""",
}


@pytest.fixture(scope="module")
def lag_bus(kafka_single: Broker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = bus_for(kafka_single, tmp_path_factory.mktemp("lag") / "bus")
    write_files(root, TOPIC_FILES)
    yield root


@pytest.fixture
def moving_consumer(kafka_single: Broker) -> Iterator[threading.Event]:
    """`lag-moving` reads and commits one message every 0.3 s in the background; the event is set once
    its first commit landed."""
    first_commit, stop = threading.Event(), threading.Event()

    def consume() -> None:
        consumer = Consumer(
            {
                "bootstrap.servers": kafka_single.bootstrap,
                "group.id": "lag-moving",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
            }
        )
        consumer.subscribe([TOPIC])
        deadline = time.monotonic() + 120
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                message = consumer.poll(0.3)
                if message is not None and message.error() is None:
                    consumer.commit(message=message, asynchronous=False)
                    first_commit.set()
                    time.sleep(0.3)
        finally:
            consumer.close()

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    yield first_commit
    stop.set()
    thread.join(30)


def _groups(result: CliResult) -> dict[str, dict[str, Any]]:
    return {g["group"]: g for g in json.loads(result.out)["groups"]}


def _kafka_tool_lag(broker: Broker, group: str) -> int:
    """Total LAG of a group as kafka-consumer-groups --describe reports it."""
    out = broker.tool("consumer-groups", "--describe", "--group", group)
    lines = [line.split() for line in out.splitlines() if line.strip()]
    header = next(line for line in lines if "LAG" in line)
    column = header.index("LAG")
    return sum(int(row[column]) for row in lines if row[0] == group and row[column].isdigit())


def test_lag_judges_each_declared_group_and_fails_the_health_check(
    run: Run, kafka_single: Broker, lag_bus: Path, moving_consumer: threading.Event
) -> None:
    applied = run("apply", "--cluster", "local", "--repo", str(lag_bus), "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    for partition in (0, 1):
        produce(kafka_single.bootstrap, TOPIC, 20, partition=partition)
    two_hours_ago = int((time.time() - 7200) * 1000)
    produce(kafka_single.bootstrap, OLD_TOPIC, 5, timestamp_ms=two_hours_ago)
    consume_and_commit(kafka_single.bootstrap, TOPIC, "lag-current", 40)
    for partition in (0, 1):
        consume_and_commit(kafka_single.bootstrap, TOPIC, "lag-behind", 5, partition=partition)
    consume_and_commit(kafka_single.bootstrap, OLD_TOPIC, "lag-old", 1)
    assert moving_consumer.wait(60), "lag-moving did not commit within 60 s"

    result = run("lag", "--cluster", "local", "--repo", str(lag_bus), "--format", "json", "--interval", "3")
    assert result.code == 1, result.out + result.err
    document = json.loads(result.out)
    assert document["format_version"] == 1 and document["ok"] is False
    assert document["interval_seconds"] >= 3
    groups = _groups(result)
    assert set(groups) == {"lag-current", "lag-behind", "lag-unseen", "lag-moving", "lag-old"}

    current = groups["lag-current"]
    assert (current["status"], current["lag"], current["seconds_behind"]) == ("ok", 0, 0)
    assert [p["log_end"] for p in current["partitions"]] == [20, 20]

    behind = groups["lag-behind"]
    assert behind["team"] == "billing" and behind["objective"]["severity"] == "critical"
    assert behind["lag"] == 30 == _kafka_tool_lag(kafka_single, "lag-behind")
    assert behind["stuck"] is True and behind["status"] == "stuck"
    assert behind["problems"] == ["lag 30 > 5 messages", "stuck: 30 waiting and no committed offset moved"]
    assert 0 <= behind["seconds_behind"] < 120  # its oldest unread message was written moments ago

    moving = groups["lag-moving"]
    assert moving["status"] == "ok" and moving["stuck"] is False, moving
    assert any(p["moved"] for p in moving["partitions"])

    unseen = groups["lag-unseen"]
    assert (unseen["status"], unseen["lag"], unseen["state"]) == ("no_offsets", None, "DEAD")

    old = groups["lag-old"]
    assert old["lag"] == 4 and old["status"] == "stuck"
    assert 7100 < old["seconds_behind"] < 7400, old
    assert old["problems"][0].startswith("2h") and old["problems"][0].endswith("behind > 600s")

    text = run("lag", "--cluster", "local", "--repo", str(lag_bus), "--interval", "0")
    assert text.code == 1
    assert "busctl lag · cluster local · 5 groups · 2 break the objective" in text.out
    row = next(line for line in text.out.splitlines() if line.startswith("✗ lag-behind "))
    assert row.split()[2:5] == [TOPIC, "billing", "30"]


def test_a_group_within_its_objective_passes_and_lost_messages_fail(
    run: Run, kafka_single: Broker, lag_bus: Path
) -> None:
    healthy = run("lag", "--cluster", "local", "--repo", str(lag_bus), "--group", "lag-current")
    assert healthy.code == 0, healthy.out + healthy.err
    assert "· all within objective" in healthy.out.splitlines()[0]

    admin = AdminClient(kafka_single.admin_config())
    for future in admin.delete_records([TopicPartition(TOPIC, p, 20) for p in (0, 1)]).values():
        future.result(30)  # the log now starts after everything lag-behind has not read
    lost = run("lag", "--cluster", "local", "--repo", str(lag_bus), "--group", "lag-behind", "-f", "json")
    assert lost.code == 1
    group = _groups(lost)["lag-behind"]
    assert (group["status"], group["lag"]) == ("out_of_retention", 0)
    assert group["problems"][0].startswith("committed offset below the log start on partition(s)")


def test_lag_filters_that_match_nothing_are_errors(run: Run, lag_bus: Path) -> None:
    result = run("lag", "--cluster", "local", "--repo", str(lag_bus), "--group", "nope-*")
    assert result.code == 1
    assert "no declared consumer group matches" in result.err
