"""Producing and consuming for integration tests: real confluent-kafka clients against a test broker."""

from __future__ import annotations

import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition


def produce(
    bootstrap: str,
    topic: str,
    count: int,
    partition: int = -1,
    timestamp_ms: int = 0,
    auth: dict[str, str] | None = None,
) -> None:
    """Write `count` messages (to one partition, with a set create time, as a SASL user, when given)."""
    producer = Producer({"bootstrap.servers": bootstrap, **(auth or {})})
    for index in range(count):
        producer.produce(topic, value=f"event {index}".encode(), partition=partition, timestamp=timestamp_ms)
    assert producer.flush(30) == 0, "messages were not delivered within 30 s"


def consume_and_commit(
    bootstrap: str,
    topic: str,
    group: str,
    count: int,
    partition: int | None = None,
    auth: dict[str, str] | None = None,
) -> None:
    """Read `count` messages of `topic` (or of one partition of it) as `group`, committing each
    synchronously; then leave the group."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            **(auth or {}),
        }
    )
    if partition is None:
        consumer.subscribe([topic])
    else:
        consumer.assign([TopicPartition(topic, partition, OFFSET_BEGINNING)])
    read, deadline = 0, time.monotonic() + 60
    try:
        while read < count and time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is not None and message.error() is None:
                read += 1
                consumer.commit(message=message, asynchronous=False)
        assert read == count, f"read {read} of {count} messages within 60 s"
    finally:
        consumer.close()
