"""The apply lock on a real broker: handover when the holder releases, and a crashed holder's lease
running out (a 3 s lease, so the test is quick; applies use 30 s)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient

from busctl.adapters.kafka import KafkaAdmin, SilentLogger
from busctl.adapters.kafka_lock import ApplyLock, LockHeld
from busctl.core.lock import LOCK_KEY, LOCK_TOPIC, LockRecord
from busctl.core.model import Cluster
from tests.integration.conftest import Broker

pytestmark = [pytest.mark.kafka, pytest.mark.faults]

CRASHING_HOLDER = """
import sys, time
from busctl.adapters.kafka import KafkaAdmin
from busctl.adapters.kafka_lock import ApplyLock
from busctl.core.model import Cluster
admin = KafkaAdmin("local", Cluster(bootstrap_servers=sys.argv[1]), timeout=10)
ApplyLock(admin, ttl=3.0, holder="crashing holder").acquire(0)
print("held", flush=True)
time.sleep(120)
"""


def _lock(broker: Broker, holder: str, ttl: float = 30.0) -> ApplyLock:
    return ApplyLock(
        KafkaAdmin("local", Cluster(bootstrap_servers=broker.bootstrap), timeout=10), ttl, holder
    )


def test_a_waiter_gets_the_lock_as_soon_as_the_holder_releases_it(fault_single: Broker) -> None:
    holder = _lock(fault_single, "first")
    holder.acquire(0)
    with pytest.raises(LockHeld, match="held by first since"):
        _lock(fault_single, "impatient").acquire(0)
    waiter = _lock(fault_single, "second")
    got: list[float] = []
    thread = threading.Thread(target=lambda: (waiter.acquire(30), got.append(time.monotonic())))
    thread.start()
    time.sleep(1.5)
    assert holder.lost() is None
    released = time.monotonic()
    assert holder.release() is None
    thread.join(30)
    assert got and got[0] - released < 5, "the waiter did not take the released lock"
    assert waiter.lost() is None and holder.lost() == "the apply lock was released"
    assert waiter.release() is None


def test_a_crashed_holders_lease_runs_out_by_broker_time(fault_single: Broker) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", CRASHING_HOLDER, fault_single.bootstrap], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "held"
        with pytest.raises(LockHeld, match="held by crashing holder"):
            _lock(fault_single, "too early").acquire(0)
        process.kill()
        killed = time.monotonic()
        waiter = _lock(fault_single, "after the crash")
        waiter.acquire(30)
        waited = time.monotonic() - killed
        assert 0 < waited < 10, waited  # the 3 s lease ran out; nobody released it
        assert waiter.release() is None
    finally:
        process.kill()
        process.wait(10)


def test_a_holder_notices_before_its_next_batch_when_the_lock_is_no_longer_its_own(
    fault_single: Broker,
) -> None:
    """Someone with WRITE on the lock topic forges a release of our claim, or deletes the topic: lost()
    (which the executor asks before every batch) says so at once, not at the next renewal."""
    holder = _lock(fault_single, "victim")
    holder.acquire(0)
    assert holder.lost() is None
    forged = LockRecord("release", holder.claim_id, "mallory", 30_000, 0, -1).encode()
    producer = Producer({"bootstrap.servers": fault_single.bootstrap, "logger": SilentLogger()})
    producer.produce(LOCK_TOPIC, key=LOCK_KEY, value=forged, partition=0)
    assert producer.flush(10) == 0
    assert holder.lost() == "lost the apply lock: someone released it"
    holder.release()

    second = _lock(fault_single, "second victim")
    second.acquire(0)
    admin = AdminClient({"bootstrap.servers": fault_single.bootstrap, "logger": SilentLogger()})
    admin.delete_topics([LOCK_TOPIC])[LOCK_TOPIC].result(30)
    deadline = time.monotonic() + 30
    while LOCK_TOPIC in admin.list_topics(timeout=10).topics and time.monotonic() < deadline:
        time.sleep(0.2)
    reason = second.lost()
    assert reason is not None and "lock" in reason, reason
    second.release()
