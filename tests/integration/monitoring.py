"""Real monitoring servers for the end-to-end alert test: a lag exporter, Prometheus, Alertmanager.

Each is started on 127.0.0.1 from the binaries `make tools` installs, writes its log next to its
data, and is stopped (terminate, then kill) when the context exits. Every wait is bounded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.conftest import REPO_ROOT

TOOLS_BIN = REPO_ROOT / ".tools" / "bin"


def binary(name: str) -> str:
    """A monitoring binary from .tools/bin (make tools) or PATH; fails with the fix if absent."""
    found = shutil.which(name, path=f"{TOOLS_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    assert found, f"{name} is not installed: run `make tools` (scripts/tools/install)"
    return found


def wait_for(what: str, check: Callable[[], Any], timeout: float, log: Path | None = None) -> Any:
    """Poll `check` every 0.5 s until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except (OSError, ValueError, KeyError) as error:
            last_error = error
        time.sleep(0.5)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} ({last_error})\n{tail}")


def http_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


@contextmanager
def process(command: list[str], log: Path, ready_url: str, name: str) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server until the context exits; ready when `ready_url` answers HTTP 200."""
    with log.open("wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:

        def ready() -> bool:
            assert proc.poll() is None, f"{name} exited with {proc.returncode}"
            with urllib.request.urlopen(ready_url, timeout=2) as response:
                return bool(response.status == 200)

        wait_for(f"{name} at {ready_url}", ready, 60, log)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextmanager
def klag_exporter(work: Path, bootstrap: str, port: int) -> Iterator[str]:
    """klag-exporter (the kafka-lag-exporter dialect) polling `bootstrap` every second.

    Per-partition series need granularity "partition"; its default caches hide a new group for 60 s.
    """
    work.mkdir(parents=True, exist_ok=True)
    config = work / "klag.toml"
    config.write_text(
        "[exporter]\n"
        'poll_interval = "1s"\n'
        f"http_port = {port}\n"
        'http_host = "127.0.0.1"\n'
        'granularity = "partition"\n'
        'staleness_threshold = "30s"\n'
        "[exporter.timestamp_sampling]\n"
        "enabled = false\n"
        "[exporter.otel]\n"
        "enabled = false\n"
        "[exporter.performance]\n"  # no caching: a new group or topic shows on the next poll
        'consumer_groups_cache_ttl = "0s"\n'
        'metadata_cache_ttl = "0s"\n'
        "[[clusters]]\n"
        'name = "local"\n'
        f'bootstrap_servers = "{bootstrap}"\n'
        'topic_blacklist = ["__.*"]\n'
    )
    url = f"http://127.0.0.1:{port}"
    command = [binary("klag-exporter"), "--config", str(config)]
    with process(command, work / "klag.log", f"{url}/metrics", "klag-exporter"):
        yield f"127.0.0.1:{port}"


@contextmanager
def prometheus(
    work: Path, port: int, rule_files: list[Path], job: str, target: str, alertmanager: str
) -> Iterator[str]:
    """Prometheus scraping `target` as `job` every second and evaluating `rule_files` every second."""
    work.mkdir(parents=True, exist_ok=True)
    config = work / "prometheus.yml"
    config.write_text(
        json.dumps(
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "rule_files": [str(path) for path in rule_files],
                "alerting": {"alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}]},
                "scrape_configs": [{"job_name": job, "static_configs": [{"targets": [target]}]}],
            }
        )
    )
    url = f"http://127.0.0.1:{port}"
    command = [
        binary("prometheus"),
        f"--config.file={config}",
        f"--storage.tsdb.path={work / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    with process(command, work / "prometheus.log", f"{url}/-/ready", "prometheus"):
        yield url


@contextmanager
def alertmanager(work: Path, port: int, config: Path) -> Iterator[str]:
    """Alertmanager with `config`, no clustering."""
    work.mkdir(parents=True, exist_ok=True)
    url = f"http://127.0.0.1:{port}"
    command = [
        binary("prometheus-alertmanager"),
        f"--config.file={config}",
        f"--storage.path={work / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
    ]
    with process(command, work / "alertmanager.log", f"{url}/-/ready", "alertmanager"):
        yield url


@contextmanager
def webhook_receiver(port: int) -> Iterator[list[dict[str, Any]]]:
    """An HTTP server recording every Alertmanager webhook POST: path and JSON body."""
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received.append({"path": self.path, "body": json.loads(body)})
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received
    finally:
        server.shutdown()
        server.server_close()
