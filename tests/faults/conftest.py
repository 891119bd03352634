"""The fault suite's own brokers (it kills and restarts them, so it never shares the integration tests'
brokers) and helpers to run busctl as a real process, as signals and concurrency need."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest
from confluent_kafka.admin import AdminClient

from busctl.adapters.kafka import SilentLogger
from tests.integration.conftest import Broker, bus_for, start_brokers

BUSCTL = Path(sys.executable).parent / "busctl"
FAULT_PORTS = {"single": 31030, "cluster": 31040, "acl": 31050, "killed": 31300}


@pytest.fixture(scope="module")
def fault_single(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    yield from start_brokers("single", tmp_path_factory.mktemp("fault-single"), FAULT_PORTS["single"])


@pytest.fixture()
def killed_single(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """A single broker of the test's own, for a test that SIGKILLs it: the unclean restart recovers every
    partition's log, which for the thousands of topics the module's other tests leave on `fault_single`
    takes longer than start-node waits (2 cores, one recovery thread)."""
    yield from start_brokers("single", tmp_path_factory.mktemp("killed-single"), FAULT_PORTS["killed"])


@pytest.fixture(scope="module")
def fault_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    yield from start_brokers("cluster", tmp_path_factory.mktemp("fault-cluster"), FAULT_PORTS["cluster"])


@pytest.fixture(scope="module")
def fault_acl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    yield from start_brokers("acl", tmp_path_factory.mktemp("fault-acl"), FAULT_PORTS["acl"])


BASE_TOPICS = {"audit.events.v1", "billing.invoice-created.v1"}  # what tests/rules/base declares


def fault_bus(broker: Broker, root: Path, tag: str, count: int, retention: str = "7d") -> set[str]:
    """The minimal test bus in `root` pointing at `broker`, plus `count` generated billing topics
    billing.fault-<tag>-<i>.v1 (1 partition, the given retention); every topic it declares."""
    bus_for(broker, root)
    return BASE_TOPICS | set(add_topics(root, tag, count, retention))


def add_topics(root: Path, tag: str, count: int, retention: str = "7d") -> list[str]:
    names = [f"billing.fault-{tag}-{i:05d}.v1" for i in range(count)]
    folder = root / "topics" / "billing"
    for name in names:
        (folder / f"{name.split('.')[1]}.yaml").write_text(
            f"name: {name}\nowner: billing\ndescription: A generated topic of the fault suite.\n"
            "schema: acme.billing.v1.InvoiceCreated\npartitions: 1\n"
            f"config:\n  retention.ms: {retention}\n"
        )
    return names


def topics_on(broker: Broker) -> set[str]:
    """Topic names as Kafka's own TopicCommand lists them."""
    return set(broker.tool("topics", "--list").split())


def admin_for(broker: Broker) -> Any:
    return AdminClient({**broker.admin_config(), "logger": SilentLogger()})


@dataclass
class Finished:
    code: int
    out: str
    err: str
    seconds: float  # from the start (or from the fault, see run_until) to the exit


def busctl_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "BUSCTL_DEBUG"}
    env.update({"NO_COLOR": "1", "CI": "true", **extra})
    return env


def start_busctl(repo: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """busctl as a process whose output goes to files: a pipe nobody reads while it runs would fill up
    and block it in the middle of printing its plan."""
    out, err = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")  # noqa: SIM115 (closed by finish)
    command = [str(BUSCTL), *args]
    process = subprocess.Popen(
        command, cwd=repo, env=env or busctl_env(), stdin=subprocess.DEVNULL, stdout=out, stderr=err
    )
    _OUTPUT[process.pid] = (out, err)
    return process


_OUTPUT: dict[int, tuple[IO[str], IO[str]]] = {}


def finish(process: subprocess.Popen[str], since: float, timeout: float = 180) -> Finished:
    process.wait(timeout=timeout)
    seconds = time.monotonic() - since
    texts = []
    for handle in _OUTPUT.pop(process.pid):
        handle.seek(0)
        texts.append(handle.read())
        handle.close()
    return Finished(process.returncode, texts[0], texts[1], seconds)


def busctl(repo: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 180) -> Finished:
    started = time.monotonic()
    return finish(start_busctl(repo, *args, env=env), started, timeout)


def wait_for_new_topics(
    broker: Broker, declared: set[str], process: subprocess.Popen[str], timeout: float = 120
) -> int:
    """Poll the metadata until one of the declared topics exists while `process` runs; how many do."""
    admin = admin_for(broker)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            result = finish(process, time.monotonic())
            raise AssertionError(
                f"busctl exited ({result.code}) too early:\n{result.out[-2000:]}{result.err}"
            )
        new = len(declared & set(admin.list_topics(timeout=10).topics))
        if new:
            return new
        time.sleep(0.05)
    raise AssertionError(f"no new topics within {timeout:.0f} s")


def outcomes(out: str) -> dict[str, set[str]]:
    """The apply report's change lines, by status: {'done': {topic, ...}, 'not started': ...}."""
    found: dict[str, set[str]] = {}
    for line in out.splitlines():
        status = line[:12].strip()
        if status in ("done", "failed", "unconfirmed", "not started") and len(line) > 12:
            target = line[12:].split(":", 1)[0].split()[-1]
            found.setdefault(status, set()).add(target)
    return found
