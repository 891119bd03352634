"""The apply lock on a real broker: handover when the holder releases, and a crashed holder's lease
running out (a 3 s lease, so the test is quick; applies use 30 s)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from busctl.adapters.kafka import KafkaAdmin
from busctl.adapters.kafka_lock import ApplyLock, LockHeld
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
    released = time.monotonic()
    assert holder.release() is None
    thread.join(30)
    assert got and got[0] - released < 5, "the waiter did not take the released lock"
    assert holder.lost() is None and waiter.lost() is None
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
