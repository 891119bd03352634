"""Benchmark the apply lock (adapters/kafka_lock.py) against a real broker and print its figures.

    .venv/bin/python bench/lock.py                         # own broker on 45200
    .venv/bin/python bench/lock.py --bootstrap 127.0.0.1:19092 --rounds 10

Figures, each the median (and worst) of --rounds:
  acquire   a free lock taken (claim appended and replayed), on a lock topic that exists
  refuse    a held lock refused, with the holder named (--lock-timeout 0)
  release   the holder's release appended
  handover  from the holder's release to a waiter (--lock-timeout) holding the lock
  crashed   once: a holder SIGKILLed (its lease is 30 s); from the kill to a waiter holding the lock
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.plan import start_broker  # noqa: E402

from busctl.adapters.kafka import KafkaAdmin  # noqa: E402
from busctl.adapters.kafka_lock import ApplyLock, LockHeld  # noqa: E402
from busctl.core.model import Cluster  # noqa: E402

HOLDER = """
import sys, time
from busctl.adapters.kafka import KafkaAdmin
from busctl.adapters.kafka_lock import ApplyLock
from busctl.core.model import Cluster
admin = KafkaAdmin("bench", Cluster(bootstrap_servers=sys.argv[1]), timeout=10)
lock = ApplyLock(admin, holder="crashing holder")
lock.acquire(0)
print("held", flush=True)
time.sleep(600)
"""


def admin(bootstrap: str) -> KafkaAdmin:
    return KafkaAdmin("bench", Cluster(bootstrap_servers=bootstrap), timeout=10)


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def one_round(bootstrap: str) -> dict[str, float]:
    figures = {}
    holder = ApplyLock(admin(bootstrap), holder="bench holder")
    figures["acquire"] = timed(lambda: holder.acquire(0))
    rival = ApplyLock(admin(bootstrap), holder="bench rival")
    started = time.perf_counter()
    try:
        rival.acquire(0)
        raise SystemExit("the rival took a held lock")
    except LockHeld as held:
        figures["refuse"] = time.perf_counter() - started
        assert "bench holder" in held.message
    rival.release()
    waiter = ApplyLock(admin(bootstrap), holder="bench waiter")
    got: dict[str, object] = {}

    def wait() -> None:
        try:
            waiter.acquire(30)
            got["at"] = time.perf_counter()
        except LockHeld as err:
            got["error"] = err.message

    thread = threading.Thread(target=wait)
    thread.start()
    time.sleep(1.0)  # the waiter is waiting
    released = time.perf_counter()
    assert holder.release() is None
    figures["release"] = time.perf_counter() - released
    thread.join(60)
    if "at" not in got:
        raise SystemExit(f"the waiter did not get the lock: {got.get('error')}")
    figures["handover"] = float(got["at"]) - released  # type: ignore[arg-type]
    waiter.release()
    return figures


def crashed(bootstrap: str) -> float:
    process = subprocess.Popen([sys.executable, "-c", HOLDER, bootstrap], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    process.kill()
    killed = time.perf_counter()
    waiter = ApplyLock(admin(bootstrap), holder="bench waiter")
    waiter.acquire(120)
    waited = time.perf_counter() - killed
    waiter.release()
    process.wait()
    return waited


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bootstrap", help="an existing broker (default: start one on 45200)")
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    if options.rounds < 1:
        parser.error("--rounds must be positive")
    broker = None
    with tempfile.TemporaryDirectory(prefix="busctl-bench-lock-") as work:
        bootstrap = options.bootstrap
        if bootstrap is None:
            broker = start_broker(Path(work), 45200)
            bootstrap = broker.bootstrap
        try:
            first = ApplyLock(admin(bootstrap), holder="bench first")
            created = timed(lambda: first.acquire(0))
            first.release()
            rounds = [one_round(bootstrap) for _ in range(options.rounds)]
            print(f"apply lock on {bootstrap}: {options.rounds} rounds (median, worst)")
            print(f"  first acquire, creating the lock topic   {created:6.2f} s")
            for name in ("acquire", "refuse", "release", "handover"):
                values = [r[name] for r in rounds]
                print(f"  {name:<40} {statistics.median(values):6.2f} s  {max(values):6.2f} s")
            print(f"  {'crashed holder (30 s lease) to waiter':<40} {crashed(bootstrap):6.2f} s")
        finally:
            if broker is not None:
                broker.stop()


if __name__ == "__main__":
    main()
