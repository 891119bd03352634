"""Runs one ForkedRead scenario in a fresh interpreter (tests/test_kafka_fork.py) and prints what came of
it as one JSON line. A fresh interpreter, because a fork is only safe before any Kafka client or thread
exists, which the pytest process cannot promise.

    python tests/forked_read_driver.py SCENARIO
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import replace
from typing import Any

from busctl.adapters import kafka_fork
from busctl.adapters.kafka import KafkaAdmin
from busctl.core.diagnostics import BusctlError
from busctl.core.model import Cluster
from busctl.core.ports import ClusterReader
from busctl.core.state import ClusterState, ConfigValue, TopicState

LISTED = ClusterState(
    cluster_id="c-1",
    brokers=(1,),
    topics={
        "billing.seen.v1": TopicState("billing.seen.v1", ((1,),), {"retention.ms": ConfigValue("1", "X")})
    },
    acls=(),
    invisible=("billing.hidden.v1",),
)


def listed(_: KafkaAdmin) -> ClusterState:
    return LISTED


def with_declared(_: KafkaAdmin, state: ClusterState, declared: list[str]) -> ClusterState:
    """What the child was asked for, as a topic of its own (the parent sees what reached the child)."""
    asked = TopicState(",".join(declared), ((2,),))
    return replace(state, topics={**state.topics, asked.name: asked})


class Declared:
    """A reader (not Kafka's) whose state holds a topic named after the declared topics it was asked."""

    def read_state(self, declared: Collection[str] = ()) -> ClusterState:
        return replace(LISTED, topics={",".join(declared): TopicState(",".join(declared), ((1,),))})


def sleeping(_: KafkaAdmin) -> ClusterState:
    time.sleep(60)
    return LISTED


def crashing(_: KafkaAdmin) -> ClusterState:
    raise ValueError("a bug in the reader")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def gone(pid: int) -> bool:
    """Whether the process has ended and been reaped (by us or, once orphaned, by init)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0] == "Z"


def run(scenario: str) -> dict[str, Any]:
    cluster = Cluster(bootstrap_servers="127.0.0.1:9")
    declared = ["billing.seen.v1", "billing.hidden.v1"]
    if scenario in ("listed", "missing"):
        KafkaAdmin.read_listing = listed
        KafkaAdmin.with_declared = with_declared
        if scenario == "missing":
            declared += ["billing.new.v1", "billing.other.v1"]
    elif scenario == "unreachable":
        cluster = Cluster(bootstrap_servers=f"127.0.0.1:{free_port()}")
    elif scenario == "unset-variable":
        cluster = Cluster(bootstrap_servers="${BUSCTL_TEST_UNSET_BOOTSTRAP}")
    elif scenario == "crash":
        KafkaAdmin.read_listing = crashing
    elif scenario in ("killed", "slow", "orphaned"):
        KafkaAdmin.read_listing = sleeping
    elif scenario == "threads":
        stop = threading.Event()
        threading.Thread(target=stop.wait, daemon=True).start()
        started = kafka_fork.ForkedRead.start("x", lambda: KafkaAdmin("x", cluster), timeout=1)
        stop.set()
        return {"started": started is not None}
    connect: Callable[[], ClusterReader] = lambda: KafkaAdmin("x", cluster, timeout=2)  # noqa: E731
    if scenario == "any-reader":  # a reader that cannot list first is asked for every declared topic
        connect = Declared
    forked = kafka_fork.ForkedRead.start("x", connect, timeout=2)
    if forked is None:
        return {"started": False}
    pid = forked.pid
    if scenario == "orphaned":  # this process ends at once; its child must not outlive it
        print(json.dumps({"child": pid}), flush=True)
        os._exit(0)
    if scenario == "killed":
        os.kill(pid, signal.SIGKILL)
    if scenario == "slow":
        forked.wait_seconds = 0.5
    began = time.monotonic()
    try:
        state = forked.read_state(declared)
        result: dict[str, Any] = {"topics": sorted(state.topics), "invisible": list(state.invisible)}
    except BusctlError as err:
        result = {"error": err.message, "hint": err.hint}
    except RuntimeError as err:
        result = {"bug": str(err)}
    result["seconds"] = time.monotonic() - began
    result["child_gone"] = gone(pid)
    result["started"] = True
    return result


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1])))
