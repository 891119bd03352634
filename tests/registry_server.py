"""A real Apicurio Registry (scripts/registry/registry), one for the session, as the `registry` fixture
of every test directory (a plugin of tests/conftest.py): each test
uses subjects of its own."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "registry" / "registry"
PORT = 31200 + int(os.environ.get("BUSCTL_TEST_PORT_OFFSET", "0"))  # and PORT + 1 (management)
HEADERS = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
INVOICE = 'syntax = "proto3";\npackage acme.billing.v1;\nmessage InvoiceCreated { string invoice_id = 1; }\n'


def registry_script(work: Path, *args: str, port: int = PORT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REGISTRY_WORK": str(work), "REGISTRY_PORT": str(port)}
    return subprocess.run(
        [str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=600, check=False
    )


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    work = tmp_path_factory.mktemp("registry")
    started = registry_script(work, "start")
    assert started.returncode == 0, started.stderr
    try:
        settings = dict(line.split("=", 1) for line in (work / "registry.env").read_text().splitlines())
        yield settings["REGISTRY_URL"], work
    finally:
        registry_script(work, "stop")
