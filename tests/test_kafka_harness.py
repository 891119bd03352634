"""End-to-end checks of scripts/kafka/kafka: a real Kafka broker (KRaft) from Maven Central jars.

Each test starts its own broker set (single node, or 3 nodes for a fault test) on free ports in a tmp
KAFKA_WORK and stops it again. The fault tests kill nodes and bring them back (kill / start-node / restart).
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
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer, TopicPartition
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
    nodes = 3 if "cluster" in mode else 1
    env = {**os.environ, "KAFKA_WORK": str(work), "KAFKA_BASE_PORT": str(_free_base_port(nodes))}
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


def _admin(
    cfg: dict[str, str], user: str | None = None, password: str | None = None, bootstrap: str | None = None
) -> AdminClient:
    conf: dict[str, Any] = {
        "bootstrap.servers": bootstrap or cfg["KAFKA_BOOTSTRAP"],
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


def _create_topic(admin: AdminClient, topic: NewTopic, request_timeout: float = 30) -> None:
    for future in admin.create_topics([topic], request_timeout=request_timeout).values():
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
def kafka_cluster(tmp_path: Path) -> Iterator[dict[str, str]]:
    yield from _start(tmp_path, "cluster")


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


# --- fault tests: kill / start-node / restart -------------------------------------------------------------

NODE_TIMEOUT = START_TIMEOUT + STOP_TIMEOUT  # restart = kill (TERM: 20 s grace) + start-node (120 s)


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _client_ports(cfg: dict[str, str]) -> list[int]:
    return [int(hp.rsplit(":", 1)[1]) for hp in cfg["KAFKA_BOOTSTRAP"].split(",")]


def _node(cfg: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """kill / start-node / restart with only KAFKA_WORK and KAFKA_LIBS set: the script must find each node's
    ports in its own server.properties (no KAFKA_BASE_PORT needed again)."""
    return _run(list(args), _tool_env(cfg), NODE_TIMEOUT)


def _status(cfg: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return _run(["status"], _tool_env(cfg), 30)


def _produce(bootstrap: str, topic: str, count: int) -> list[str]:
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "logger": RDKAFKA_LOG})
    values = [f"message-{i}" for i in range(count)]
    for i, value in enumerate(values):
        producer.produce(topic, key=str(i).encode(), value=value.encode())
        producer.poll(0)
    assert producer.flush(60) == 0, "messages not delivered within 60 s"
    return values


def _end_offsets_cli(cfg: dict[str, str], topic: str) -> dict[int, int]:
    """GetOffsetShell (Kafka's own tool): {partition: end offset}."""
    out = _tool(cfg, "get-offsets", "--topic", topic, "--time", "-1")
    rows = [line.rsplit(":", 2) for line in out.split() if line.startswith(f"{topic}:")]
    return {int(part): int(offset) for _, part, offset in rows}


def _consume_all(bootstrap: str, topic: str, partitions: int, count: int, timeout: float = 60) -> list[str]:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "harness-check",  # required by librdkafka; assign() joins no group, commits nothing
            "enable.auto.commit": False,
            "logger": RDKAFKA_LOG,
        }
    )
    try:
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
        got: list[str] = []
        deadline = time.monotonic() + timeout
        while len(got) < count and time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is not None and msg.error() is None:
                got.append((msg.value() or b"").decode())
        return got
    finally:
        consumer.close()


def _wait_end_offsets(bootstrap: str, topic: str, partitions: int, count: int, timeout: float = 60) -> None:
    """Until the partitions have leaders again and their end offsets add up to `count` (bounded)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "harness-check", "logger": RDKAFKA_LOG})
    total = -1
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                total = sum(
                    consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=5)[1]
                    for p in range(partitions)
                )
            except KafkaException:
                total = -1
            if total == count:
                return
            time.sleep(0.5)
    finally:
        consumer.close()
    raise AssertionError(f"{topic}: end offsets add up to {total}, not {count}, after {timeout}s")


def _wait_brokers(admin: AdminClient, expected: set[int], timeout: float = 60) -> float:
    """Poll the metadata until it lists exactly these brokers; return the seconds it took."""
    t0 = time.monotonic()
    seen: set[int] = set()
    while time.monotonic() - t0 < timeout:
        try:
            seen = set(admin.list_topics(timeout=10).brokers)
        except KafkaException:
            seen = set()
        if seen == expected:
            return time.monotonic() - t0
        time.sleep(0.2)
    raise AssertionError(f"metadata shows brokers {sorted(seen)}, not {sorted(expected)}, after {timeout}s")


def _create_with_retry(admin: AdminClient, topic: NewTopic, timeout: float = 60) -> None:
    """Create a topic while the cluster may still be settling after nodes came back (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            _create_topic(admin, topic)
            return
        except KafkaException as exc:
            if exc.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS:
                return
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def test_single_kill_and_start_node_keep_the_data(kafka_single: dict[str, str]) -> None:
    cfg = kafka_single
    work = Path(cfg["KAFKA_WORK"])
    bootstrap = cfg["KAFKA_BOOTSTRAP"]
    (port,) = _client_ports(cfg)
    env_file = (work / "cluster.env").read_bytes()
    topic, partitions, count = "harness-durable", 2, 1000

    admin = _admin(cfg)
    _create_topic(admin, NewTopic(topic, num_partitions=partitions, replication_factor=1))
    _wait_topic_visible(admin, topic)
    values = _produce(bootstrap, topic, count)
    assert sum(_end_offsets_cli(cfg, topic).values()) == count

    _check(_node(cfg, "kill", "1"))
    assert not _port_open(port)
    assert _harness_pids(work) == []
    status = _status(cfg)
    assert status.returncode == 3, status.stdout + status.stderr
    assert "node 1: not running" in status.stdout
    assert (work / "cluster.env").read_bytes() == env_file, "kill must leave cluster.env alone"
    assert (work / "node1" / "data" / "meta.properties").is_file()

    again = _node(cfg, "kill", "1")
    assert again.returncode != 0 and "node 1 is not running" in again.stderr, again.stderr

    # a node that cannot come up (JVM heap too small): exit 1, the log tails, no JVM left behind
    broken = _run(["start-node", "1"], {**_tool_env(cfg), "KAFKA_HEAP_OPTS": "-Xmx2m"}, NODE_TIMEOUT)
    assert broken.returncode != 0
    assert "exited during start-up" in broken.stderr, broken.stderr
    assert "----- tail of" in broken.stderr and "stdout.log" in broken.stderr, broken.stderr
    assert _harness_pids(work) == []

    _check(_node(cfg, "start-node", "1"))
    assert _port_open(port)
    status = _status(cfg)
    assert status.returncode == 0, status.stdout + status.stderr
    assert (work / "cluster.env").read_bytes() == env_file, "start-node must not rewrite cluster.env"
    running = _node(cfg, "start-node", "1")
    assert running.returncode != 0 and "already running" in running.stderr, running.stderr

    # the topic and every message survived the SIGKILL
    _wait_end_offsets(bootstrap, topic, partitions, count)
    assert sum(_end_offsets_cli(cfg, topic).values()) == count
    assert sorted(_consume_all(bootstrap, topic, partitions, count)) == sorted(values)

    # restart = kill + start-node, here with SIGTERM (clean shutdown)
    _check(_node(cfg, "restart", "1", "--signal", "TERM"))
    assert _port_open(port)
    _wait_end_offsets(bootstrap, topic, partitions, count)
    assert sum(_end_offsets_cli(cfg, topic).values()) == count
    assert (work / "cluster.env").read_bytes() == env_file


def test_cluster_lose_a_node_then_the_quorum_and_recover(kafka_cluster: dict[str, str]) -> None:
    cfg = kafka_cluster
    work = Path(cfg["KAFKA_WORK"])
    ports = _client_ports(cfg)
    assert len(ports) == 3
    env_file = (work / "cluster.env").read_bytes()
    node1 = f"127.0.0.1:{ports[0]}"
    # node 1 survives throughout; clients that only know node 1 do not chase the dead nodes for bootstrap
    survivor = _admin(cfg, bootstrap=node1)

    topic, count = "harness-ha", 300
    _create_topic(survivor, NewTopic(topic, num_partitions=3, replication_factor=3))
    _wait_topic_visible(survivor, topic)
    _produce(cfg["KAFKA_BOOTSTRAP"], topic, count)
    _wait_brokers(survivor, {1, 2, 3})

    # one node down: the controller fences it after broker.session.timeout.ms (9 s), then 2 brokers remain
    _check(_node(cfg, "kill", "3"))
    assert not _port_open(ports[2])
    status = _status(cfg)
    assert status.returncode == 1, status.stdout
    assert "node 3: not running" in status.stdout and "node 1: running" in status.stdout
    _wait_brokers(survivor, {1, 2})

    # a second node down: 1 of 3 controllers left, no quorum
    _check(_node(cfg, "kill", "2"))
    assert not _port_open(ports[1])
    status = _status(cfg)
    assert status.returncode == 1, status.stdout
    assert "node 2: not running" in status.stdout
    # Metadata is still answered at once from node 1's cache, which still lists node 2: without a quorum no
    # controller is left to fence it. (A fresh client each time: requests on one connection are served in
    # order, so a pending CreateTopics would hold up later requests of the same client.)
    t0 = time.monotonic()
    metadata = _admin(cfg, bootstrap=node1).list_topics(timeout=10)
    assert time.monotonic() - t0 < 5
    assert topic in metadata.topics
    assert set(metadata.brokers) == {1, 2}
    # writes need the controller quorum: CreateTopics gets no answer and the client times out. Its outcome is
    # unknown, not "failed": some sent within ~3 s of losing the quorum were applied once it came back.
    with pytest.raises(KafkaException) as excinfo:
        _create_topic(_admin(cfg, bootstrap=node1), NewTopic("harness-no-quorum", 1, 1), request_timeout=10)
    assert excinfo.value.args[0].code() == KafkaError._TIMED_OUT, excinfo.value

    # quorum back with node 2; then node 3: three brokers again and RF-3 topics can be created
    _check(_node(cfg, "start-node", "2"))
    assert _port_open(ports[1])
    _check(_node(cfg, "start-node", "3"))
    assert _port_open(ports[2])
    status = _status(cfg)
    assert status.returncode == 0, status.stdout
    admin = _admin(cfg)
    _wait_brokers(admin, {1, 2, 3})
    _create_with_retry(admin, NewTopic("harness-after", num_partitions=3, replication_factor=3))
    _wait_topic_visible(admin, "harness-after")
    out = _tool(cfg, "topics", "--describe", "--topic", "harness-after")
    assert "ReplicationFactor: 3" in out, out
    _wait_end_offsets(cfg["KAFKA_BOOTSTRAP"], topic, 3, count)
    assert sum(_end_offsets_cli(cfg, topic).values()) == count
    assert (work / "cluster.env").read_bytes() == env_file
