"""Connection failures against real brokers: each names its cause, never crashes, never shows a secret,
and those that waiting cannot mend (wrong password, TLS against a plaintext port) fail at once."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import CliResult
from tests.integration.conftest import Broker, bus_for, start_brokers

pytestmark = pytest.mark.kafka
Run = Callable[..., CliResult]
BUSCTL = Path(sys.executable).parent / "busctl"
FRESH_PORT = 31060  # + BUSCTL_TEST_PORT_OFFSET; controller +100: clear of the other suites' brokers


def failed_cleanly(result: CliResult, *secrets: str) -> str:
    """Exit 1 with one error and its hint; no traceback, no crash report, no secret. Returns stderr."""
    assert result.code == 1, result.out + result.err
    assert result.err.startswith("error: "), result.err
    assert "Traceback" not in result.err and "bug in busctl" not in result.err
    for secret in secrets:
        assert secret not in result.out + result.err
    return result.err


def plan(run: Run, root: Path, cluster: str = "local", timeout: str = "30") -> tuple[CliResult, float]:
    started = time.monotonic()
    result = run("plan", "--cluster", cluster, "--repo", str(root), "--timeout", timeout)
    return result, time.monotonic() - started


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (just released by the kernel)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def repo_with(broker: Broker, root: Path, cluster: str) -> Path:
    """The test bus for `broker`, plus one more cluster (YAML lines under `clusters:`)."""
    return bus_for(broker, root, extra_cluster=cluster)


def test_connection_refused_names_the_address(run: Run, kafka_single: Broker, tmp_path: Path) -> None:
    port = closed_port()
    root = repo_with(kafka_single, tmp_path / "bus", f"  closed:\n    bootstrap_servers: 127.0.0.1:{port}\n")
    result, seconds = plan(run, root, "closed", timeout="3")
    err = failed_cleanly(result)
    assert f"cannot reach cluster closed (127.0.0.1:{port}): connection refused (127.0.0.1:{port})" in err
    assert "Broker transport failure" not in err and seconds < 15


def test_unknown_host_is_named(run: Run, kafka_single: Broker, tmp_path: Path) -> None:
    root = repo_with(
        kafka_single, tmp_path / "bus", "  nowhere:\n    bootstrap_servers: nohost.invalid:9092\n"
    )
    result, _ = plan(run, root, "nowhere", timeout="3")
    assert "cannot resolve host nohost.invalid" in failed_cleanly(result)


def test_tls_against_a_plaintext_port_fails_fast(run: Run, kafka_single: Broker, tmp_path: Path) -> None:
    root = repo_with(
        kafka_single,
        tmp_path / "bus",
        f"  tls:\n    bootstrap_servers: {kafka_single.bootstrap}\n    security: {{protocol: SSL}}\n",
    )
    result, seconds = plan(run, root, "tls")
    err = failed_cleanly(result)
    assert "TLS handshake failed" in err and "PLAINTEXT broker listener" in err
    assert "clusters.tls.security.protocol" in err
    assert seconds < 10, f"{seconds:.1f}s with --timeout 30"


def test_plaintext_against_a_sasl_port_fails_fast(run: Run, kafka_acl: Broker, tmp_path: Path) -> None:
    root = repo_with(kafka_acl, tmp_path / "bus", f"  bare:\n    bootstrap_servers: {kafka_acl.bootstrap}\n")
    result, seconds = plan(run, root, "bare")
    err = failed_cleanly(result)
    assert "closes the connection right after connecting" in err and "security.protocol" in err
    assert seconds < 10, f"{seconds:.1f}s with --timeout 30"


def test_wrong_password_fails_fast_and_names_the_variables(
    run: Run, acl_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BUS_TEST_PASSWORD", "wrong-s3cret-value")
    result, seconds = plan(run, acl_repo)
    err = failed_cleanly(result, "wrong-s3cret-value", "admin-secret")
    assert "authentication to cluster local" in err and "Invalid username or password" in err
    assert "BUS_TEST_USER and BUS_TEST_PASSWORD" in err
    assert seconds < 10, f"{seconds:.1f}s with --timeout 30"


def test_sasl_against_a_plaintext_port_fails_fast(
    run: Run, kafka_single: Broker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BUS_TEST_USER", "admin")
    monkeypatch.setenv("BUS_TEST_PASSWORD", "some-s3cret")
    security = '{protocol: SASL_PLAINTEXT, sasl_mechanism: PLAIN, username: "${BUS_TEST_USER}", '
    security += 'password: "${BUS_TEST_PASSWORD}"}'
    root = repo_with(
        kafka_single,
        tmp_path / "bus",
        f"  sasl:\n    bootstrap_servers: {kafka_single.bootstrap}\n    security: {security}\n",
    )
    result, seconds = plan(run, root, "sasl")
    err = failed_cleanly(result, "some-s3cret")
    assert "does not offer SASL mechanism PLAIN" in err
    assert seconds < 10, f"{seconds:.1f}s with --timeout 30"


@pytest.mark.parametrize("empty", [("BUS_TEST_USER", "BUS_TEST_PASSWORD"), ("BUS_TEST_PASSWORD",)])
def test_empty_sasl_secrets_are_refused_before_connecting(
    run: Run, acl_repo: Path, monkeypatch: pytest.MonkeyPatch, empty: tuple[str, ...]
) -> None:
    for name in empty:
        monkeypatch.setenv(name, "")  # what a pull request from a fork gets for its secrets
    result, seconds = plan(run, acl_repo)
    err = failed_cleanly(result, "admin-secret")
    field = "username" if empty[0] == "BUS_TEST_USER" else "password"
    assert f"environment variable {empty[0]} is empty (used by clusters.local.security.{field}" in err
    assert seconds < 10


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "clusters.tls.security.ssl_ca_location: {ca} does not exist"),
     ("this is not a certificate\n", "cannot use clusters.tls.security.ssl_ca_location ({ca})")],
    ids=["missing", "not-pem"],
)  # fmt: skip
def test_a_ca_file_that_cannot_be_used_is_named(
    run: Run, kafka_single: Broker, tmp_path: Path, content: str | None, message: str
) -> None:
    ca = tmp_path / ("no-such-dir" if content is None else "") / "ca.pem"
    if content is not None:
        ca.write_text(content)
    root = repo_with(
        kafka_single,
        tmp_path / "bus",
        f"  tls:\n    bootstrap_servers: {kafka_single.bootstrap}\n"
        f"    security: {{protocol: SSL, ssl_ca_location: {ca}}}\n",
    )
    result, _ = plan(run, root, "tls")
    assert message.format(ca=ca) in failed_cleanly(result)


def test_principal_without_cluster_describe_gets_the_error_name(
    run: Run, acl_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BUS_TEST_USER", "bob")  # bob may have READ on some topics (other tests), not more
    monkeypatch.setenv("BUS_TEST_PASSWORD", "bob-secret")
    result, _ = plan(run, acl_repo)
    err = failed_cleanly(result, "bob-secret")
    assert "not authorised to" in err
    assert re.search(r"(CLUSTER|TOPIC)_AUTHORIZATION_FAILED: (Cluster|Topic) authorization failed", err), err
    first_line = err.splitlines()[0]
    assert "Request(" not in err and "java." not in err and len(first_line) < 250


@pytest.fixture
def fresh_single(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """A broker that has just started: its group coordinator has not loaded __consumer_offsets yet."""
    yield from start_brokers("single", tmp_path_factory.mktemp("fresh-single"), FRESH_PORT)


@pytest.mark.slow
def test_lag_right_after_the_broker_starts(fresh_single: Broker, tmp_path: Path) -> None:
    """The first group reads on a new broker answer COORDINATOR_LOAD_IN_PROGRESS / NOT_COORDINATOR:
    retried within the timeout, and never the ListConsumerGroupOffsets answer that crashes librdkafka
    (SIGSEGV; librdkafka issue #5040). A real process, so a crash is an exit code, not a lost test run."""
    root = bus_for(fresh_single, tmp_path / "bus")
    done = subprocess.run(
        [str(BUSCTL), "lag", "--cluster", "local", "--repo", str(root), "--interval", "0", "--timeout", "30"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    assert "audit-log-writer" in done.stdout and "Traceback" not in done.stderr
