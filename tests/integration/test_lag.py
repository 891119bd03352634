"""`busctl lag` against a real broker: lag, age and stuck verdicts per declared group, checked against
Kafka's own kafka-consumer-groups tool, and the exit code a health check relies on. A consumer in real
time that commits every 4 s is not stuck even when --interval is shorter than that; a stopped one with
lag older than its `for` is."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from tests.conftest import CliResult, write_files
from tests.integration.clients import consume_and_commit, produce
from tests.integration.conftest import Broker, bus_for
from tests.reports import assert_report

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
Run = Callable[..., CliResult]

TOPIC, OLD_TOPIC, LIVE_TOPIC = "audit.lag-e2e.v1", "audit.lag-old.v1", "audit.lag-live.v1"
TXN_TOPIC = "audit.lag-txn.v1"
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
  - {{group: lag-old, lag: {{max_messages: 3, max_seconds: 600}}}}
""",
    "topics/audit/lag-txn.yaml": f"""\
name: {TXN_TOPIC}
owner: audit
description: A transaction on partition 0, old messages on partition 1.
schema: acme.audit.v1.AuditEvent
partitions: 2
consumers:
  - {{group: lag-txn}}
""",
    "topics/audit/lag-live.yaml": f"""\
name: {LIVE_TOPIC}
owner: audit
description: Written continuously, read in real time by a group that commits every 4 s.
schema: acme.audit.v1.AuditEvent
partitions: 1
consumers:
  - {{group: lag-streams, lag: {{max_messages: 1000}}}}
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


@pytest.fixture
def slow_committer(kafka_single: Broker) -> Iterator[Callable[[], threading.Event]]:
    """Starts (once LIVE_TOPIC exists) a message every 0.1 s to it, and `lag-streams` reading them as
    they come but committing only every 4 s (as Kafka Streams does every 30 s); the event it returns
    is set after the second commit."""
    committed_twice, stop = threading.Event(), threading.Event()

    def write() -> None:
        producer = Producer({"bootstrap.servers": kafka_single.bootstrap})
        deadline = time.monotonic() + 120
        while not stop.is_set() and time.monotonic() < deadline:
            producer.produce(LIVE_TOPIC, value=b"live")
            producer.poll(0.1)
        producer.flush(10)

    def read() -> None:
        consumer = Consumer(
            {
                "bootstrap.servers": kafka_single.bootstrap,
                "group.id": "lag-streams",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
            }
        )
        consumer.subscribe([LIVE_TOPIC])
        commits, last_commit, deadline = 0, time.monotonic(), time.monotonic() + 120
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                consumer.poll(0.1)
                if time.monotonic() - last_commit >= 4:
                    with contextlib.suppress(KafkaException):  # nothing consumed yet to commit
                        consumer.commit(asynchronous=False)
                        commits += 1
                    last_commit = time.monotonic()
                    if commits >= 2:
                        committed_twice.set()
        finally:
            consumer.close()

    threads = [threading.Thread(target=write, daemon=True), threading.Thread(target=read, daemon=True)]

    def start() -> threading.Event:
        for thread in threads:
            thread.start()
        return committed_twice

    yield start
    stop.set()
    for thread in threads:
        if thread.is_alive():
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
    run: Run,
    kafka_single: Broker,
    lag_bus: Path,
    moving_consumer: threading.Event,
    slow_committer: Callable[[], threading.Event],
) -> None:
    applied = run("apply", "--cluster", "local", "--repo", str(lag_bus), "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    streams_committed = slow_committer()
    for partition in (0, 1):
        produce(kafka_single.bootstrap, TOPIC, 20, partition=partition)
    two_hours_ago = int((time.time() - 7200) * 1000)
    produce(kafka_single.bootstrap, OLD_TOPIC, 5, timestamp_ms=two_hours_ago)
    consume_and_commit(kafka_single.bootstrap, TOPIC, "lag-current", 40)
    for partition in (0, 1):
        consume_and_commit(kafka_single.bootstrap, TOPIC, "lag-behind", 5, partition=partition)
    consume_and_commit(kafka_single.bootstrap, OLD_TOPIC, "lag-old", 1)
    assert moving_consumer.wait(60), "lag-moving did not commit within 60 s"
    assert streams_committed.wait(60), "lag-streams did not commit twice within 60 s"

    # --interval 3 is shorter than lag-streams' commit interval: only the evidence of its messages'
    # ages keeps it from being called stuck
    result = run("lag", "--cluster", "local", "--repo", str(lag_bus), "--format", "json", "--interval", "3")
    assert result.code == 1, result.out + result.err
    document = assert_report("lag-report", result.out)
    assert document["format_version"] == 2 and document["ok"] is False
    assert document["interval_seconds"] >= 3  # lag-old needed the second sample
    groups = _groups(result)
    assert set(groups) == {
        *("lag-current", "lag-behind", "lag-unseen", "lag-moving", "lag-old", "lag-streams", "lag-txn")
    }

    current = groups["lag-current"]
    assert (current["status"], current["lag"], current["seconds_behind"]) == ("ok", 0, 0)
    assert (current["stuck"], current["stuck_evidence"]) == (False, "no_lag")
    assert [p["log_end"] for p in current["partitions"]] == [20, 20]

    # 30 waiting since moments ago: over its 5 now, but neither shown for 10m nor stuck
    behind = groups["lag-behind"]
    assert behind["team"] == "billing" and behind["objective"]["severity"] == "critical"
    assert behind["lag"] == 30 == _kafka_tool_lag(kafka_single, "lag-behind")
    assert behind["status"] == "over_objective", behind
    assert (behind["stuck"], behind["stuck_evidence"]) == (False, "lag_younger_than_for")
    assert behind["lag_throughout"] == 0  # every message was written within the last 10m
    assert behind["problems"] == ["lag 30 > 5 messages now, not known to last 10m"]
    assert 0 <= behind["seconds_behind"] < 120

    streams = groups["lag-streams"]
    assert streams["status"] == "ok" and streams["stuck"] is False, streams
    assert streams["stuck_evidence"] in ("no_lag", "lag_younger_than_for"), streams

    moving = groups["lag-moving"]
    assert moving["status"] == "ok" and moving["stuck"] is False, moving

    unseen = groups["lag-unseen"]
    assert (unseen["status"], unseen["lag"], unseen["state"]) == ("no_offsets", None, "DEAD")

    # stopped, its lag two hours old: stuck, and 2h behind is over 600 s for far longer than 10m
    old = groups["lag-old"]
    assert old["lag"] == 4 and old["status"] == "stuck"
    assert (old["stuck"], old["stuck_evidence"]) == (True, "not_moving")
    assert 7100 < old["seconds_behind"] < 7400, old
    assert 7100 < old["partitions"][0]["consumed_seconds_ago"] < 7400, old
    assert old["problems"][0].startswith("stuck: 4 waiting over 10m, none consumed in ")
    # every message is older than 10m (offsets-for-times answers -1): the 4 waited throughout
    assert old["lag_throughout"] == 4
    assert old["problems"][1] == "lag 4 > 3 messages for 10m (at least 4)"
    assert old["problems"][2].startswith("2h") and old["problems"][2].endswith("behind > 600s for 10m")

    text = run("lag", "--cluster", "local", "--repo", str(lag_bus), "--interval", "0")
    assert text.code == 1  # lag-old still breaks its max_seconds; without a second sample, not judged stuck
    lines = text.out.splitlines()
    assert max(map(len, lines)) <= 80, text.out
    headline = " ".join(lines[:2])
    assert "busctl lag · cluster local · 7 groups · 1 breaks the objective · 1 over it now" in headline
    row = next(line for line in lines if line.startswith("✗ lag-old "))
    assert row.startswith(f"✗ lag-old · {OLD_TOPIC} · lag 4 · 2h") and row.endswith(" behind"), row
    assert f"! lag-behind · {TOPIC} · lag 30 · " in text.out


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


def test_a_probe_that_finds_only_a_transaction_marker_does_not_wait_for_the_timeout(
    run: Run, kafka_single: Broker, lag_bus: Path
) -> None:
    applied = run("apply", "--cluster", "local", "--repo", str(lag_bus), "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    producer = Producer({"bootstrap.servers": kafka_single.bootstrap, "transactional.id": "lag-txn-test"})
    producer.init_transactions(30)
    producer.begin_transaction()
    for _ in range(5):
        producer.produce(TXN_TOPIC, value=b"in a transaction", partition=0)
    producer.commit_transaction(30)  # offsets 0-4 the messages, 5 the commit marker
    produce(kafka_single.bootstrap, TXN_TOPIC, 3, partition=1, timestamp_ms=int((time.time() - 7200) * 1000))
    # the group read all of partition 0 (past the marker) and none of partition 1
    admin = AdminClient(kafka_single.admin_config())
    done = [TopicPartition(TXN_TOPIC, 0, 6), TopicPartition(TXN_TOPIC, 1, 0)]
    for future in admin.alter_consumer_group_offsets(
        [ConsumerGroupTopicPartitions("lag-txn", done)]
    ).values():
        future.result(30)

    started = time.monotonic()
    result = run(
        "lag", "--cluster", "local", "--repo", str(lag_bus), "-g", "lag-txn", "--interval", "1", "-f", "json"
    )
    elapsed = time.monotonic() - started
    assert result.code == 1, result.out + result.err
    group = _groups(result)["lag-txn"]
    assert (group["lag"], group["status"], group["stuck_evidence"]) == (3, "stuck", "not_moving"), group
    # at committed - 1 on partition 0 there is only the marker: no consumed message, and no 30 s wait
    assert group["partitions"][0]["consumed_seconds_ago"] is None
    assert elapsed < 20, f"lag took {elapsed:.1f}s"


def test_lag_filters_that_match_nothing_are_errors(run: Run, lag_bus: Path) -> None:
    result = run("lag", "--cluster", "local", "--repo", str(lag_bus), "--group", "nope-*")
    assert result.code == 1
    assert "no declared consumer group matches" in result.err
