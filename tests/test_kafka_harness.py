"""End-to-end checks of scripts/kafka/kafka: a real Kafka broker (KRaft) from Maven Central jars.

Each test starts its own single-node broker on free ports in a tmp KAFKA_WORK and stops it again.
Needs Java 17+ and Maven (first run downloads ~55 MB of jars into .kafka/, later runs reuse them).
Outside CI the tests are skipped only when java or mvn is missing; with CI=true they fail instead.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

pytestmark = pytest.mark.kafka

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "kafka" / "kafka"

FETCH_TIMEOUT = 900  # first run: Maven downloads the jars
START_TIMEOUT = 300  # the script itself gives up after KAFKA_START_TIMEOUT (120 s)
STOP_TIMEOUT = 120  # SIGTERM, 20 s grace, SIGKILL
TOOL_TIMEOUT = 120

RDKAFKA_LOG = logging.getLogger("test_kafka_harness.rdkafka")


def _require_tools() -> None:
    missing = [t for t in ("java", "mvn") if shutil.which(t) is None]
    if missing and os.environ.get("CI", "").lower() != "true":
        pytest.skip(f"{', '.join(missing)} not installed (needed for a real Kafka broker)")


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_base_port(nodes: int = 1) -> int:
    """A base port whose client (BASE+i) and controller (BASE+100+i) ports are all free."""
    start = 20000 + (os.getpid() * 7) % 8000
    for base in range(start, start + 2000, 3):
        ports = [base + i for i in range(nodes)] + [base + 100 + i for i in range(nodes)]
        if all(_port_free(p) for p in ports):
            return base
    raise RuntimeError("no free port range for Kafka")


def _run(args: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args], env=env, timeout=timeout, capture_output=True, text=True, check=False
    )


def _check(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, (
        f"{proc.args} exited {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
    )
    return proc.stdout


def _harness_pids(work: Path) -> list[int]:
    """JVMs started from this KAFKA_WORK (the script tags them with -Dkafka.harness.node=...)."""
    proc = subprocess.run(
        ["pgrep", "-f", f"kafka.harness.node={work}/"], capture_output=True, text=True, timeout=10
    )
    return [int(p) for p in proc.stdout.split()]


def _start(tmp_path: Path, *mode: str) -> Iterator[dict[str, str]]:
    _require_tools()
    work = tmp_path / "kafka"
    env = {**os.environ, "KAFKA_WORK": str(work), "KAFKA_BASE_PORT": str(_free_base_port())}
    _check(_run(["fetch"], env, FETCH_TIMEOUT))
    try:
        out = _check(_run(["start", *mode], env, START_TIMEOUT))
        cfg = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
        assert cfg == dict(
            line.split("=", 1) for line in (work / "cluster.env").read_text().splitlines() if "=" in line
        )
        assert cfg["KAFKA_WORK"] == str(work)
        yield cfg
    finally:
        stop = _run(["stop"], env, STOP_TIMEOUT)
        assert stop.returncode == 0, stop.stderr
        assert _harness_pids(work) == [], "stop left Kafka JVMs behind"
        assert not (work / "node1" / "data").exists(), "stop did not remove the data dir"
        # idempotent: a second stop with nothing running succeeds
        assert _run(["stop"], env, STOP_TIMEOUT).returncode == 0


def _tool_env(cfg: dict[str, str]) -> dict[str, str]:
    return {**os.environ, "KAFKA_WORK": cfg["KAFKA_WORK"], "KAFKA_LIBS": cfg["KAFKA_LIBS"]}


def _tool(cfg: dict[str, str], *args: str) -> str:
    return _check(_run(["tool", *args], _tool_env(cfg), TOOL_TIMEOUT))


def _admin(cfg: dict[str, str], user: str | None = None, password: str | None = None) -> AdminClient:
    conf: dict[str, Any] = {
        "bootstrap.servers": cfg["KAFKA_BOOTSTRAP"],
        "socket.timeout.ms": 10000,
        # librdkafka logs through Python logging (captured by pytest), not raw stderr: clients that outlive
        # the broker would otherwise spam "Connection refused" during teardown
        "logger": RDKAFKA_LOG,
    }
    if user is not None:
        conf.update(
            {
                "security.protocol": "SASL_PLAINTEXT",
                "sasl.mechanisms": "PLAIN",
                "sasl.username": user,
                "sasl.password": password,
            }
        )
    return AdminClient(conf)


def _create_topic(admin: AdminClient, topic: NewTopic) -> None:
    for future in admin.create_topics([topic], request_timeout=30).values():
        future.result(timeout=60)


def _wait_topic_visible(admin: AdminClient, name: str, timeout: float = 30) -> None:
    # CreateTopics returns once the controller committed; brokers apply the metadata a moment later
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if name in admin.list_topics(timeout=10).topics:
            return
        time.sleep(0.2)
    raise AssertionError(f"topic {name} not visible after {timeout}s")


@pytest.fixture
def kafka_single(tmp_path: Path) -> Iterator[dict[str, str]]:
    yield from _start(tmp_path, "single")


@pytest.fixture
def kafka_single_acl(tmp_path: Path) -> Iterator[dict[str, str]]:
    yield from _start(tmp_path, "single", "--acl")


def test_single_create_topic_and_describe_with_cli(kafka_single: dict[str, str]) -> None:
    cfg = kafka_single
    assert cfg["KAFKA_NODES"] == "1"
    assert cfg["KAFKA_SECURITY_PROTOCOL"] == "PLAINTEXT"
    assert "KAFKA_SASL_PASSWORD" not in cfg

    admin = _admin(cfg)
    _create_topic(
        admin,
        NewTopic(
            "harness-orders", num_partitions=3, replication_factor=1, config={"retention.ms": "3600000"}
        ),
    )
    _wait_topic_visible(admin, "harness-orders")

    out = _tool(cfg, "topics", "--describe", "--topic", "harness-orders")
    assert "PartitionCount: 3" in out
    assert "ReplicationFactor: 1" in out
    assert "retention.ms=3600000" in out

    out = _tool(cfg, "configs", "--entity-type", "topics", "--entity-name", "harness-orders", "--describe")
    assert "retention.ms=3600000" in out

    status = _run(["status"], _tool_env(cfg), 30)
    assert status.returncode == 0, status.stdout + status.stderr


def test_single_acl_admin_allowed_alice_denied(kafka_single_acl: dict[str, str]) -> None:
    cfg = kafka_single_acl
    assert cfg["KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT"
    assert cfg["KAFKA_SASL_MECHANISM"] == "PLAIN"
    user, password = cfg["KAFKA_SASL_USERNAME"], cfg["KAFKA_SASL_PASSWORD"]

    admin = _admin(cfg, user, password)
    _create_topic(admin, NewTopic("harness-secure", num_partitions=1, replication_factor=1))
    _wait_topic_visible(admin, "harness-secure")

    alice = _admin(cfg, "alice", "alice-secret")
    with pytest.raises(KafkaException) as excinfo:
        _create_topic(alice, NewTopic("alice-topic", num_partitions=1, replication_factor=1))
    err = excinfo.value.args[0]
    assert err.code() in (KafkaError.TOPIC_AUTHORIZATION_FAILED, KafkaError.CLUSTER_AUTHORIZATION_FAILED), err
    # no ACLs yet: alice cannot even see the topic
    assert "harness-secure" not in alice.list_topics(timeout=10).topics

    # the tool adds --bootstrap-server and the admin --command-config by itself in ACL mode
    _tool(
        cfg,
        "acls",
        "--add",
        "--allow-principal",
        "User:alice",
        "--operation",
        "Describe",
        "--topic",
        "harness-secure",
    )
    assert "User:alice" in _tool(cfg, "acls", "--list", "--topic", "harness-secure")
    out = _tool(cfg, "topics", "--describe", "--topic", "harness-secure")
    assert "harness-secure" in out
    _wait_topic_visible(alice, "harness-secure")

    # and the CLI as alice (explicit --command-config wins over the default) is denied creating topics
    denied = _run(
        [
            "tool",
            "topics",
            "--create",
            "--topic",
            "alice-cli",
            "--command-config",
            str(Path(cfg["KAFKA_WORK"]) / "alice.properties"),
        ],
        _tool_env(cfg),
        TOOL_TIMEOUT,
    )
    assert denied.returncode != 0
    assert "Authorization failed" in denied.stdout + denied.stderr
