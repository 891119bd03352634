"""The cluster read in a child process (adapters/kafka_fork): what reaches the parent — the state, the
declared topics the listing lacked, the child's errors — and that no child outlives its read or its
parent. Each scenario runs in a fresh interpreter (tests/forked_read_driver.py)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BASE_BUS
from tests.forked_read_driver import gone

DRIVER = Path(__file__).with_name("forked_read_driver.py")
BUSCTL = Path(sys.executable).parent / "busctl"


def scenario(name: str, timeout: float = 60) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "BUSCTL_TEST_UNSET_BOOTSTRAP"}
    done = subprocess.run(
        [sys.executable, str(DRIVER), name],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_the_listing_comes_back_whole_when_every_declared_topic_is_in_it() -> None:
    result = scenario("listed")
    assert result == {
        "topics": ["billing.seen.v1"],
        "invisible": ["billing.hidden.v1"],
        "seconds": result["seconds"],
        "child_gone": True,
        "started": True,
    }


def test_declared_topics_the_listing_lacks_are_asked_for_by_the_child() -> None:
    result = scenario("missing")
    # the driver's with_declared names a topic after what it was asked: only the two the listing lacks
    assert result["topics"] == ["billing.new.v1,billing.other.v1", "billing.seen.v1"]
    assert result["child_gone"]


def test_a_reader_that_cannot_list_first_is_asked_for_every_declared_topic() -> None:
    assert scenario("any-reader")["topics"] == ["billing.hidden.v1,billing.seen.v1"]


def test_an_unreachable_cluster_is_the_childs_error_within_the_timeout() -> None:
    result = scenario("unreachable")
    assert "cluster x" in result["error"] and "127.0.0.1:" in result["error"], result
    assert result["seconds"] < 20
    assert result["child_gone"]


def test_a_setting_the_client_cannot_be_made_from_is_reported_as_it_is_in_process() -> None:
    result = scenario("unset-variable")
    assert "BUSCTL_TEST_UNSET_BOOTSTRAP" in result["error"], result
    assert result["child_gone"]


def test_a_bug_in_the_child_reaches_the_parent_with_its_traceback() -> None:
    result = scenario("crash")
    assert "reading cluster x failed in its process" in result["bug"]
    assert "ValueError: a bug in the reader" in result["bug"]


def test_a_child_that_dies_is_an_error_not_a_hang() -> None:
    result = scenario("killed")
    assert result["error"] == "the process reading cluster x ended before it answered"
    assert result["seconds"] < 5


def test_a_child_that_does_not_answer_in_time_is_ended() -> None:
    result = scenario("slow")
    assert result["error"] == "cluster x gave no complete answer within 0.5s"
    assert result["seconds"] < 5
    assert result["child_gone"]


def test_no_fork_once_a_thread_runs() -> None:
    assert scenario("threads") == {"started": False}


def test_the_child_ends_with_its_parent() -> None:
    child = scenario("orphaned")["child"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if gone(child):
            return
        time.sleep(0.1)
    raise AssertionError(f"the reading child {child} outlived its parent")


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as listed:
        return [int(child) for child in listed.read().split()]


@pytest.mark.parametrize("sent", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_plan_ends_with_its_readers(
    bus_repo: Callable[[dict[str, str | None]], Path], sent: signal.Signals
) -> None:
    """plan reads each cluster in a child; interrupted while a cluster does not answer (a listener that
    accepts and stays silent), busctl says so, exits with the signal's code, and leaves no reader."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        repo = bus_repo(
            {"bus.yaml": (BASE_BUS / "bus.yaml").read_text().replace("127.0.0.1:9092", f"127.0.0.1:{port}")}
        )
        process = subprocess.Popen(
            [str(BUSCTL), "plan", "--cluster", "local", "--timeout", "30"],
            cwd=repo,
            env={**os.environ, "NO_COLOR": "1"},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        readers: list[int] = []
        while not readers and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
            readers = _children(process.pid)
        assert readers, "plan started no reading process"
        time.sleep(0.5)
        process.send_signal(sent)
        _, err = process.communicate(timeout=30)
    code, said = {signal.SIGINT: (130, "Interrupted.\n"), signal.SIGTERM: (143, "Terminated (SIGTERM).\n")}[
        sent
    ]
    assert (process.returncode, err) == (code, said)
    ends = time.monotonic() + 10
    while not all(gone(reader) for reader in readers) and time.monotonic() < ends:
        time.sleep(0.1)
    assert all(gone(reader) for reader in readers)
