"""Sample the newest records of topics: a consumer that joins no group and commits nothing (explicit
partitions and offsets assigned, auto-commit and offset storing off), read within one deadline."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from confluent_kafka import Consumer, KafkaError, TopicPartition

from busctl.adapters.kafka import KafkaAdmin, SilentLogger
from busctl.adapters.kafka_errors import describe_kafka_error
from busctl.core.lag import Partition

GROUP = "busctl-verify"  # librdkafka requires a group.id; it is never joined nor committed to


@dataclass(frozen=True)
class Record:
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


@dataclass
class Sample:
    """What was read of one topic: its records, and why it could not all be read (empty: it was)."""

    records: list[Record] = field(default_factory=list)
    problem: str = ""


def newest(admin: KafkaAdmin, topics: list[str], per_partition: int) -> dict[str, Sample]:
    """Up to `per_partition` of the newest records of each partition of each topic the cluster has
    (those it lacks are left out), read until each partition's end or the admin's timeout."""
    offsets = admin.read_offsets(set(topics), set())
    samples = {t: Sample() for t in offsets.partitions}
    wanted: dict[Partition, tuple[int, int]] = {}  # partition -> (first offset read, log end)
    for part, end in offsets.log_end.items():
        start = max(offsets.log_start.get(part, 0), end - per_partition)
        if end > start:
            wanted[part] = (start, end)
    if not wanted:
        return samples
    consumer = Consumer(
        {
            **admin.settings,
            "group.id": GROUP,
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "enable.partition.eof": True,  # the end of a partition ends its wait (markers, compaction)
            "logger": SilentLogger(),
        }
    )
    try:
        unread = _read(consumer, wanted, samples, time.monotonic() + admin.timeout)
    finally:
        consumer.close()  # nothing to commit: no group was joined, no offset stored
    for topic, partition in sorted(unread):
        sample = samples[topic]
        late = f"partition {partition} was not read to its end within {admin.timeout:g}s"
        sample.problem = sample.problem or late
    return samples


def _read(
    consumer: Consumer, wanted: dict[Partition, tuple[int, int]], samples: dict[str, Sample], deadline: float
) -> set[Partition]:
    """Consume the assigned ranges, noting each record and each topic's read error, until every
    partition reached its end, or the deadline; the partitions still unread then."""
    consumer.assign([TopicPartition(t, p, start) for (t, p), (start, _) in wanted.items()])
    open_ = set(wanted)
    while open_ and time.monotonic() < deadline:
        wait = min(0.5, max(deadline - time.monotonic(), 0.0))
        for message in consumer.consume(num_messages=1000, timeout=wait):
            part = (str(message.topic()), int(message.partition() or 0))
            if part not in open_:
                continue
            error = message.error()
            sample = samples[part[0]]
            if error is not None and error.code() != KafkaError._PARTITION_EOF:
                sample.problem = sample.problem or f"cannot read: {describe_kafka_error(error)}"
                open_.discard(part)
                continue
            if error is None:
                offset = int(message.offset() or 0)
                sample.records.append(Record(part[1], offset, message.key(), message.value()))
                if offset < wanted[part][1] - 1:
                    continue
            open_.discard(part)
            consumer.pause([TopicPartition(*part)])
    return open_
