"""scripts/registry/registry runs a real Apicurio Registry on 127.0.0.1 (in-memory, Confluent-compatible
API): it starts empty, answers on the loopback only, registers a protobuf schema idempotently, stops,
and two starts at once make one registry."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.registry_server import HEADERS, INVOICE, PORT, SCRIPT, registry_script

pytestmark = pytest.mark.registry


def _listening(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((host, port)) == 0


def _outside_address() -> str | None:
    """An address of this machine other than the loopback, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: nothing is sent
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def test_it_listens_on_the_loopback_only(registry: tuple[str, Path]) -> None:
    assert _listening("127.0.0.1", PORT)
    outside = _outside_address()
    if outside is not None:
        assert not _listening(outside, PORT)
        assert not _listening(outside, PORT + 1)


def test_registering_the_same_protobuf_schema_twice_makes_one_version(registry: tuple[str, Path]) -> None:
    url, _ = registry
    subject = f"{url}/subjects/billing.invoice-created.v1-value/versions"
    body = {"schemaType": "PROTOBUF", "schema": INVOICE}
    first = httpx.post(subject, json=body, headers=HEADERS, timeout=10).json()
    again = httpx.post(subject, json=body, headers=HEADERS, timeout=10).json()
    assert first == again and isinstance(first["id"], int)
    assert httpx.get(subject, timeout=10).json() == [1]


def test_status_and_a_second_start(registry: tuple[str, Path]) -> None:
    _, work = registry
    assert registry_script(work, "status").returncode == 0
    second = registry_script(work, "start")
    assert second.returncode == 1 and "already running" in second.stderr


def test_a_registry_of_its_own_starts_empty_and_stop_frees_its_port(tmp_path: Path) -> None:
    work = tmp_path / "own"
    env_port = PORT + 10
    assert registry_script(work, "start", port=env_port).returncode == 0
    assert _listening("127.0.0.1", env_port)
    url = f"http://127.0.0.1:{env_port}/apis/ccompat/v7"
    assert httpx.get(f"{url}/subjects", timeout=10).json() == []  # in-memory: every start is empty
    # Apicurio's default (Confluent's is BACKWARD): why busctl sets compatibility per subject
    assert httpx.get(f"{url}/config", timeout=10).json() == {"compatibilityLevel": "NONE"}
    assert registry_script(work, "stop", port=env_port).returncode == 0
    assert not _listening("127.0.0.1", env_port)
    assert registry_script(work, "status", port=env_port).returncode == 3


def test_two_starts_at_once_make_one_registry_and_a_killed_one_is_not_running(tmp_path: Path) -> None:
    work, port = tmp_path / "raced", PORT + 20
    env = {**os.environ, "REGISTRY_WORK": str(work), "REGISTRY_PORT": str(port)}
    starts = [
        subprocess.Popen([str(SCRIPT), "start"], env=env, stderr=subprocess.PIPE, text=True) for _ in range(2)
    ]
    try:
        outcomes = sorted((p.wait(timeout=300), p.communicate()[1]) for p in starts)
        assert [code for code, _ in outcomes] == [0, 1]
        assert "already running" in outcomes[1][1]
        pid = int((work / "registry.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)  # not our child: it ends (and is reaped, or left a zombie) elsewhere
        assert registry_script(work, "status", port=port).returncode == 3
        assert registry_script(work, "start", port=port).returncode == 0  # a dead pid file does not block it
    finally:
        assert registry_script(work, "stop", port=port).returncode == 0
    assert not _listening("127.0.0.1", port)
