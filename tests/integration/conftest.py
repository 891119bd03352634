"""Real Kafka brokers for integration tests, started by scripts/kafka/kafka (never mocked).

One broker set per test session and mode, on its own ports and work directory. In CI (CI=true) a broker
that cannot start fails the tests; elsewhere they are skipped only when Java itself is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BASE_BUS, REPO_ROOT, write_files

SCRIPT = REPO_ROOT / "scripts" / "kafka" / "kafka"
# Below Linux's ephemeral range (32768-60999): a client socket's local port can never take a broker's
# port between the check that it is free and the broker's bind. BUSCTL_TEST_PORT_OFFSET lets two
# checkouts (or two people) run the integration tests at once.
_OFFSET = int(os.environ.get("BUSCTL_TEST_PORT_OFFSET", "0"))
PORTS = {"single": 31000 + _OFFSET, "cluster": 31010 + _OFFSET, "acl": 31020 + _OFFSET}


@dataclass
class Broker:
    """A running broker set: its bootstrap address and how to run Kafka's own CLI tools against it."""

    mode: str
    env: dict[str, str]
    settings: dict[str, str]

    @property
    def bootstrap(self) -> str:
        return self.settings["KAFKA_BOOTSTRAP"]

    def tool(self, *args: str) -> str:
        """Run a Kafka CLI tool (topics, configs, acls...) through the script; return stdout."""
        done = subprocess.run(
            [str(SCRIPT), "tool", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    def admin_config(self) -> dict[str, str]:
        config = {"bootstrap.servers": self.bootstrap}
        if self.settings.get("KAFKA_SASL_USERNAME"):
            config.update(
                {
                    "security.protocol": "SASL_PLAINTEXT",
                    "sasl.mechanisms": "PLAIN",
                    "sasl.username": self.settings["KAFKA_SASL_USERNAME"],
                    "sasl.password": self.settings["KAFKA_SASL_PASSWORD"],
                }
            )
        return config

    def kill(self, node: int, signal: str = "KILL") -> None:
        """Stop one node's JVM (SIGKILL, or SIGTERM with `signal="TERM"`); returns once the process is gone.
        Its data and cluster.env stay: `start_node` brings it back. A shared (session) broker set must be
        whole again before the test ends."""
        self._node_command("kill", str(node), "--signal", signal)

    def start_node(self, node: int) -> None:
        """Start a killed node from its data (never reformatted); returns once its client port is open,
        i.e. the broker re-registered with the controller quorum. Takes 10-15 s (3-4 s for a cluster node the
        controller had already fenced): a restarted broker waits until the session of its old registration
        (broker.session.timeout.ms, 9 s) has expired. After a SIGKILL it first recovers every partition's log:
        with thousands of partitions that outlasts start-node's wait (KAFKA_START_TIMEOUT)."""
        self._node_command("start-node", str(node))

    def restart(self, node: int, signal: str = "KILL") -> None:
        """kill(node, signal), then start_node(node)."""
        self._node_command("restart", str(node), "--signal", signal)

    def _node_command(self, *args: str) -> None:
        done = subprocess.run(
            [str(SCRIPT), *args], env=self.env, capture_output=True, text=True, timeout=300, check=False
        )
        assert done.returncode == 0, f"scripts/kafka/kafka {' '.join(args)} failed:\n{done.stderr[-3000:]}"


def start_brokers(mode: str, work: Path, base_port: int | None = None) -> Iterator[Broker]:
    """Start a broker set (single, cluster or acl) in `work`, yield it, stop it."""
    if shutil.which("java") is None and os.environ.get("CI") != "true":
        pytest.skip("Java is not installed: integration tests need a real Kafka broker")
    args = ["start", "cluster"] if mode == "cluster" else ["start", "single"]
    if mode == "acl":
        args.append("--acl")
    port = PORTS[mode] if base_port is None else base_port + _OFFSET
    env = {**os.environ, "KAFKA_WORK": str(work), "KAFKA_BASE_PORT": str(port)}
    started = subprocess.run(
        [str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=900, check=False
    )
    if started.returncode != 0:
        pytest.fail(
            f"scripts/kafka/kafka {' '.join(args)} failed:\n"
            f"{started.stdout[-3000:]}\n{started.stderr[-3000:]}"
        )
    settings = dict(
        line.split("=", 1) for line in (work / "cluster.env").read_text().splitlines() if "=" in line
    )
    try:
        yield Broker(mode, env, settings)
    finally:
        subprocess.run([str(SCRIPT), "stop"], env=env, capture_output=True, timeout=180, check=False)


@pytest.fixture(scope="session")
def kafka_single(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    yield from start_brokers("single", tmp_path_factory.mktemp("kafka-single"))


@pytest.fixture(scope="session")
def kafka_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    yield from start_brokers("cluster", tmp_path_factory.mktemp("kafka-cluster"))


@pytest.fixture(scope="session")
def kafka_acl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    yield from start_brokers("acl", tmp_path_factory.mktemp("kafka-acl"))


def bus_for(broker: Broker, root: Path, extra_cluster: str = "") -> Path:
    """A copy of the minimal test bus whose `local` cluster is this broker (rf and min.insync fitted)."""
    shutil.copytree(BASE_BUS, root)
    nodes = int(broker.settings["KAFKA_NODES"])
    security = ""
    if broker.mode == "acl":
        security = (
            "    security: {protocol: SASL_PLAINTEXT, sasl_mechanism: PLAIN, username: "
            '"${BUS_TEST_USER}", password: "${BUS_TEST_PASSWORD}"}\n'
        )
    (root / "bus.yaml").write_text(
        "clusters:\n"
        "  local:\n"
        f"    bootstrap_servers: {broker.bootstrap}\n"
        f"{security}"
        f"    overrides: {{replication_factor: {min(nodes, 3)}, config: {{min.insync.replicas: 1}}}}\n"
        f"{extra_cluster}"
        "defaults:\n  partitions: 3\n  replication_factor: 3\n  config: {min.insync.replicas: 2}\n"
        "policy:\n  min_replication_factor: 3\n  platform_team: platform\n"
    )
    return root


@pytest.fixture
def acl_repo(kafka_acl: Broker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty test bus (no topics) on the ACL broker, as its super user admin (credentials from the
    environment, as bus.yaml names them)."""
    monkeypatch.setenv("BUS_TEST_USER", kafka_acl.settings["KAFKA_SASL_USERNAME"])
    monkeypatch.setenv("BUS_TEST_PASSWORD", kafka_acl.settings["KAFKA_SASL_PASSWORD"])
    root = bus_for(kafka_acl, tmp_path / "bus")
    write_files(root, {"topics/billing/invoice-created.yaml": None, "topics/audit/events.yaml": None})
    return root


def create_topics_and_wait(admin: Any, topics: list[Any]) -> None:
    """Create topics out of band, then wait (bounded) until the broker's metadata shows them: like
    busctl's own apply, tests must not race KRaft's metadata propagation."""
    for future in admin.create_topics(topics).values():
        future.result(30)
    names = {t.topic for t in topics}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if names <= set(admin.list_topics(timeout=10).topics):
            return
        time.sleep(0.2)
    raise AssertionError(f"topics {sorted(names)} did not appear in metadata within 30 s")


CONNECT_SCRIPT = REPO_ROOT / "scripts" / "connect" / "connect"
CONNECT_PORT = 31400 + _OFFSET  # and CONNECT_PORT + 1: the JMX exporter's /metrics


@dataclass
class ConnectWorker:
    """A running Kafka Connect distributed worker (scripts/connect/connect) on a broker of the session:
    its REST URL, its JMX exporter URL, and its REST API for checking what apply did."""

    url: str
    metrics_url: str
    env: dict[str, str]

    def get(self, path: str) -> Any:
        import httpx

        response = httpx.get(self.url + path, timeout=10)
        return response.json() if response.status_code == 200 else None

    def put(self, path: str, body: object = None) -> int:
        import httpx

        return httpx.put(self.url + path, json=body, timeout=30).status_code

    def connectors(self) -> list[str]:
        return sorted(self.get("/connectors") or [])

    def state(self, name: str) -> tuple[str, list[str]]:
        """The connector's state and its tasks' states (("", []) when it is not there)."""
        found = self.get(f"/connectors/{name}/status")
        if found is None:
            return "", []
        return found["connector"]["state"], [t["state"] for t in found["tasks"]]

    def script(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(CONNECT_SCRIPT), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )


@pytest.fixture(scope="session")
def connect_worker(kafka_single: Broker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConnectWorker]:
    """One Connect worker for the session, on the single broker, with the JMX exporter attached; tests
    use connectors (and topics) of their own."""
    work = tmp_path_factory.mktemp("connect")
    env = {
        **kafka_single.env,
        "CONNECT_WORK": str(work),
        "CONNECT_PORT": str(CONNECT_PORT),
        "CONNECT_JMX_PORT": str(CONNECT_PORT + 1),
        # a sink of a killed worker gets its partitions back within seconds, not the default 45
        "CONNECT_EXTRA_CONFIG": "consumer.session.timeout.ms=6000",
    }
    worker = ConnectWorker(
        f"http://127.0.0.1:{CONNECT_PORT}", f"http://127.0.0.1:{CONNECT_PORT + 1}/metrics", env
    )
    started = worker.script("start")
    if started.returncode != 0:
        pytest.fail(f"scripts/connect/connect start failed:\n{started.stderr[-3000:]}")
    try:
        yield worker
    finally:
        worker.script("stop")
