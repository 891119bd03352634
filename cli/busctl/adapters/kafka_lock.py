"""The apply lock of one cluster, kept in the cluster itself (core/lock.py has the protocol).

A one-partition topic, `__busctl_apply_lock`, with broker timestamps (LogAppendTime), created by the
first apply. An idempotent producer appends claim/renew/release records; a consumer that joins no
group replays the partition. While held, a thread renews the lease every third of its time to live
and checks that it still holds it; `lost()` tells the executor when it does not.
"""

from __future__ import annotations

import getpass
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from confluent_kafka import (
    OFFSET_BEGINNING,
    TIMESTAMP_LOG_APPEND_TIME,
    Consumer,
    KafkaError,
    KafkaException,
    Producer,
    TopicPartition,
)

from busctl.adapters.kafka import KafkaAdmin, SilentLogger, kadmin
from busctl.adapters.kafka_errors import describe_kafka_error
from busctl.core.diagnostics import BusctlError, printable
from busctl.core.lock import LOCK_KEY, LOCK_TOPIC, Lease, LockRecord, LockState, decode
from busctl.interrupts import deferred

RETENTION_MS = 7 * 24 * 3600 * 1000
READER_GROUP = "busctl-apply-lock-reader"
POLL_SECONDS = 0.5
FLUSH_SLICE = 0.2  # seconds: how late a Ctrl-C during a lock write is acted upon, at most


def holder_name() -> str:
    """Who an apply is, for the person who finds the lock taken."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    who = f"{user}@{socket.gethostname()} pid {os.getpid()}"
    run = os.environ.get("GITHUB_RUN_ID")
    if run:
        who += f" (GitHub Actions run {run} of {os.environ.get('GITHUB_REPOSITORY', '?')})"
    return who


def when(ms: int) -> str:
    try:
        return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return f"{ms} ms after the epoch"


class LockHeld(BusctlError):
    """Another apply holds the lock."""

    @classmethod
    def of(cls, cluster: str, lease: Lease, ttl_ms: int) -> LockHeld:
        """The refusal naming the holder of `cluster`'s lock and when its lease ends."""
        return cls(
            f"the apply lock of cluster {cluster} is held by {printable(lease.holder)} since "
            f"{when(lease.since_ms)} (lease until {when(lease.expires_ms)} unless renewed)",
            "wait for that apply to finish, or pass --lock-timeout 5m to wait for it; "
            f"a crashed holder's lease ends {ttl_ms // 1000} s after its last renewal",
        )


class ApplyLock:
    """Claim, hold and release one cluster's apply lock."""

    def __init__(self, admin: KafkaAdmin, ttl: float = 30.0, holder: str | None = None) -> None:
        self.admin = admin
        self.timeout = admin.timeout
        self.ttl_ms = int(ttl * 1000)
        self.claim_id = uuid.uuid4().hex
        self.holder = holder or holder_name()
        self.state = LockState()
        self._lost: str | None = None
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self._producer: Any = None
        self._consumer: Any = None
        self._last_renewed = 0.0  # monotonic time of the last renewal the log confirmed
        self._claimed = False  # a claim was appended: release() must append a release
        self._after: dict[int, Lease | None] = {}  # offset of each of our records -> the lease right after it
        self._reading = threading.Lock()  # the consumer, `state` and `_after` are shared with the renewer

    # --- acquiring ------------------------------------------------------------------------------------

    def acquire(self, wait: float, on_wait: Callable[[Lease], None] | None = None) -> Lease:
        """Hold the lock, waiting at most `wait` seconds for another holder; the lease won. LockHeld
        names the holder."""
        self._ensure_topic()
        self._connect()
        deadline = time.monotonic() + wait
        told: Lease | None = None
        while True:
            self._claimed = True
            offset, appended_ms = self._append("claim")
            lease = self._replay_to(offset)
            if lease is not None and lease.claim_id == self.claim_id:
                self._last_renewed = time.monotonic()
                self._heartbeat = threading.Thread(target=self._renew_until_released, daemon=True)
                self._heartbeat.start()
                return lease
            assert lease is not None  # a claim loses only to a running lease
            if time.monotonic() >= deadline:
                self._claimed = False  # every claim lost at its own offset: there is nothing to release
                raise LockHeld.of(self.admin.name, lease, self.ttl_ms)
            if on_wait is not None and lease != told:
                on_wait(lease)
                told = lease
            self._wait_for_change(lease, appended_ms, deadline)

    def _wait_for_change(self, lease: Lease, appended_ms: int, deadline: float) -> None:
        """Follow the log until the lease is released or replaced, or ought to have expired (the broker's
        clock estimated from our own claim's timestamp), or the deadline."""
        seen_at = time.monotonic()
        while time.monotonic() < deadline:
            broker_now = appended_ms + (time.monotonic() - seen_at) * 1000
            if broker_now >= lease.expires_ms or self.state.lease != lease:
                return
            with self._reading:
                self._consume(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))

    # --- holding --------------------------------------------------------------------------------------

    def lost(self) -> str | None:
        """Why the lock is no longer ours, or None while it is. Reads the lock's log to its end, so a
        lease that ran out, was released by someone else or whose topic vanished is noticed before the
        next batch is sent."""
        # 80 %: the broker stamped the last renewal before we saw it confirmed
        if self._lost is None and time.monotonic() - self._last_renewed > 0.8 * self.ttl_ms / 1000:
            self._lost = "the apply lock's lease ran out (no renewal reached the cluster in time)"
        if self._lost is None and self._consumer is None:
            self._lost = "the apply lock was released"
        if self._lost is None:
            try:
                lease = self._replay_to_end()
            except BusctlError as err:
                self._lost = f"cannot check the apply lock: {err.message}"
            else:
                if lease is None or lease.claim_id != self.claim_id:
                    self._lost = _taken(lease)
        return self._lost

    def _renew_until_released(self) -> None:
        interval = self.ttl_ms / 3000
        while not self._stop.wait(interval):
            try:
                offset, _ = self._append("renew", timeout=interval)
                lease = self._replay_to(offset, timeout=interval)
            except BusctlError:
                continue  # lost() tells once the lease would have run out
            if lease is None or lease.claim_id != self.claim_id:
                self._lost = _taken(lease)
                return
            self._last_renewed = time.monotonic()

    def release(self) -> str | None:
        """Give the lock up; None when done, else why it could not be (then the lease runs out)."""
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join(timeout=1.0)  # it may be waiting on a dead cluster: do not wait with it
        problem = None
        if self._claimed and self._lost is None:
            try:
                self._append("release", timeout=min(self.timeout, 2.0))
            except BusctlError as err:
                problem = (
                    f"could not release the apply lock ({err.message}); "
                    f"it ends by itself {self.ttl_ms // 1000} s after its last renewal"
                )
        self.close()
        return problem

    def close(self) -> None:
        """Close the reader, unless the renewing thread still uses it (it ends with the process)."""
        if self._heartbeat is not None and self._heartbeat.is_alive():
            return
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None

    # --- the log --------------------------------------------------------------------------------------

    def _ensure_topic(self) -> None:
        """Create the lock topic on first use; a concurrent creation is fine."""
        metadata = self.admin.metadata()  # connects first: a wrong password is named, and fails fast
        if LOCK_TOPIC in metadata.topics and metadata.topics[LOCK_TOPIC].error is None:
            return
        topic = kadmin.NewTopic(
            LOCK_TOPIC,
            num_partitions=1,
            replication_factor=min(3, len(metadata.brokers)),
            config={
                "message.timestamp.type": "LogAppendTime",
                "cleanup.policy": "delete",
                "retention.ms": str(RETENTION_MS),
                "segment.ms": str(RETENTION_MS // 7),
                "min.insync.replicas": "1",
            },
        )
        future = self.admin.admin.create_topics([topic], request_timeout=self.timeout)[LOCK_TOPIC]
        try:
            future.result(timeout=self.timeout + 5)
        except KafkaException as err:
            if err.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise self._lock_error("create the lock topic", err.args[0]) from None
        except TimeoutError:
            raise BusctlError(f"cannot create the lock topic {LOCK_TOPIC}: no answer") from None

    def _connect(self) -> None:
        settings = {**self.admin.settings, "logger": SilentLogger()}
        self._producer = Producer(
            {
                **settings,
                "enable.idempotence": True,
                "acks": "all",
                "linger.ms": 0,
                "message.timeout.ms": int(self.timeout * 1000),
            }
        )
        self._consumer = Consumer(
            {
                **settings,
                "group.id": READER_GROUP,  # never joined (partitions are assigned); Kafka still checks READ
                "enable.auto.commit": False,
                "enable.partition.eof": False,
                "auto.offset.reset": "earliest",
            }
        )
        self._consumer.assign([TopicPartition(LOCK_TOPIC, 0, OFFSET_BEGINNING)])

    def _append(self, op: str, timeout: float | None = None) -> tuple[int, int]:
        """Append one record; its offset and broker timestamp."""
        record = LockRecord(op, self.claim_id, self.holder, self.ttl_ms, 0, -1)
        result: dict[str, Any] = {}

        def delivered(error: KafkaError | None, message: Any) -> None:
            result["error"], result["message"] = error, message

        wait = self.timeout if timeout is None else timeout
        try:
            self._producer.produce(
                LOCK_TOPIC, key=LOCK_KEY, value=record.encode(), partition=0, on_delivery=delivered
            )
        except KafkaException as err:  # e.g. the producer is fenced or fatally refused
            raise self._lock_error("write to the lock topic", err.args[0]) from None
        except BufferError as err:
            raise BusctlError(f"cannot write to the lock topic {LOCK_TOPIC}: {err}") from None
        deadline = time.monotonic() + wait
        with deferred() as received:  # Ctrl-C inside `delivered` could crash confluent-kafka's flush
            while "message" not in result and not received and (left := deadline - time.monotonic()) > 0:
                self._producer.flush(min(left, FLUSH_SLICE))
        if "message" not in result:
            raise BusctlError(f"cannot write to the lock topic {LOCK_TOPIC}: no answer within {wait:.0f}s")
        if result["error"] is not None:
            raise self._lock_error("write to the lock topic", result["error"])
        message = result["message"]
        return int(message.offset()), int(message.timestamp()[1])

    def _replay_to(self, offset: int, timeout: float | None = None) -> Lease | None:
        """Replay records until our record at `offset` has been applied; the lease right after it (later
        records, e.g. a release just after our claim, do not change what our record decided)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        with self._reading:
            while offset not in self._after:
                if time.monotonic() >= deadline:
                    raise _no_records(self.timeout if timeout is None else timeout)
                self._consume(POLL_SECONDS)
            return self._after.pop(offset)

    def _replay_to_end(self) -> Lease | None:
        """Replay every record appended so far; the lease now."""
        wait = min(self.timeout, 5.0)
        deadline = time.monotonic() + wait
        with self._reading:
            try:
                _, end = self._consumer.get_watermark_offsets(
                    TopicPartition(LOCK_TOPIC, 0), timeout=wait, cached=False
                )
            except KafkaException as err:
                raise self._lock_error("read the lock topic", err.args[0]) from None
            if end - 1 < self.state.offset:
                raise BusctlError(f"the lock topic {LOCK_TOPIC} was deleted or truncated")
            while self.state.offset < end - 1:
                if time.monotonic() >= deadline:
                    raise _no_records(wait)
                self._consume(POLL_SECONDS)
            return self.state.lease

    def _consume(self, seconds: float) -> None:
        for message in self._consumer.consume(num_messages=500, timeout=seconds):
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    continue
                raise self._lock_error("read the lock topic", error)
            kind, timestamp = message.timestamp()
            record = decode(message.value(), int(timestamp), int(message.offset()))
            if kind != TIMESTAMP_LOG_APPEND_TIME:  # a client's clock: such a record decides nothing
                if record is not None and record.claim_id == self.claim_id:
                    raise BusctlError(
                        f"the lock topic {LOCK_TOPIC} does not stamp records with the broker's clock",
                        f"set message.timestamp.type=LogAppendTime on {LOCK_TOPIC} (kafka-configs --alter)",
                    )
                record = None
            if record is not None:
                self.state.apply(record)
                if record.claim_id == self.claim_id:
                    self._after[record.offset] = self.state.lease
            else:
                self.state.offset = int(message.offset())

    def _lock_error(self, what: str, error: KafkaError) -> BusctlError:
        if error.code() in (
            KafkaError.TOPIC_AUTHORIZATION_FAILED,
            KafkaError.CLUSTER_AUTHORIZATION_FAILED,
            KafkaError.GROUP_AUTHORIZATION_FAILED,
        ):
            return BusctlError(
                f"not authorised to {what} on {self.admin.where}: {describe_kafka_error(error)}",
                f"the applying principal needs CREATE, DESCRIBE, READ and WRITE on topic {LOCK_TOPIC} "
                f"and READ on group {READER_GROUP}",
            )
        return BusctlError(f"cannot {what} on {self.admin.where}: {describe_kafka_error(error)}")


def _taken(lease: Lease | None) -> str:
    if lease is None:
        return "lost the apply lock: someone released it"
    return f"lost the apply lock: {printable(lease.holder)} holds it now"


def _no_records(seconds: float) -> BusctlError:
    return BusctlError(f"cannot read the lock topic {LOCK_TOPIC}: no records within {seconds:.0f}s")
