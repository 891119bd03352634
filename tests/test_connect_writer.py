"""The Connect writer against a stand-in REST server (the real worker's behaviour is in
tests/integration/test_connectors.py): what apply reports when the Connect cluster refuses a config that
quotes a secret, stops answering, or never shows the connector running — each bounded in time."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from busctl.adapters.connect import Connect, ConnectWriter
from busctl.core.connectors import RUNNING, DesiredConnector
from busctl.core.plan import Action, Change, ConnectorChange
from busctl.core.ports import Status

SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"


def _desired(name: str) -> DesiredConnector:
    config = {"name": name, "connector.class": SINK, "connection.password": "hunter2-secret"}
    return DesiredConnector(
        name=name,
        owner="billing",
        file=f"connectors/billing/{name}.yaml",
        connector_class=SINK,
        declared=config,
        config=config,
        state=RUNNING,
        secret_keys=frozenset({"connection.password"}),
    )


def _change(name: str) -> Change:
    return Change(Action.CREATE_CONNECTOR, "", connector=ConnectorChange(name, SINK, RUNNING))


@contextmanager
def stand_in(behaviour: dict[str, Any]) -> Iterator[tuple[str, list[str]]]:
    """A REST server: PUT .../config answers behaviour["put"] (status, body); GET /connectors sleeps
    behaviour["hang"] seconds, then lists behaviour["statuses"]. Yields its URL and the requests seen."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_PUT(self) -> None:
            seen.append(f"PUT {self.path}")
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self._answer(*behaviour["put"])

        def do_GET(self) -> None:
            seen.append(f"GET {self.path}")
            time.sleep(behaviour.get("hang", 0))
            self._answer(200, behaviour.get("statuses", {}))

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def _writer(url: str, names: list[str], timeout: float = 5.0, wait: float = 60.0) -> ConnectWriter:
    return ConnectWriter(Connect(url, timeout=timeout), {n: _desired(n) for n in names}, wait=wait)


def test_a_refusal_quoting_a_secret_is_reported_masked() -> None:
    refusal = (400, {"error_code": 400, "message": "Invalid value hunter2-secret for connection.password"})
    with stand_in({"put": refusal}) as (url, _):
        [outcome] = _writer(url, ["a"]).create_connectors([_change("a")])
    assert outcome.status is Status.FAILED
    assert "hunter2-secret" not in outcome.error and "(secret)" in outcome.error


def test_a_connect_cluster_that_stops_answering_ends_the_wait_for_every_connector_at_once() -> None:
    names = [f"c{i}" for i in range(20)]
    with stand_in({"put": (201, {}), "hang": 3}) as (url, seen):
        started = time.monotonic()
        outcomes = _writer(url, names, timeout=1).create_connectors([_change(n) for n in names])
        took = time.monotonic() - started
    assert {o.status for o in outcomes} == {Status.UNCONFIRMED}
    assert "status could not be read" in outcomes[0].error
    assert took < 10, took  # one timed-out status read, not one per connector
    assert sum(r.startswith("GET /connectors") for r in seen) == 1


def test_writes_after_one_gets_no_answer_are_not_sent() -> None:
    names = [f"c{i}" for i in range(40)]
    with stand_in({"put": (201, {})}) as (url, _):
        pass  # the server is gone: every request finds the port closed
    outcomes = _writer(url, names).create_connectors([_change(n) for n in names])
    assert all(o.status is Status.NOT_STARTED for o in outcomes)
    assert any(o.error.startswith("not sent:") for o in outcomes)


def test_a_connector_never_seen_running_is_unconfirmed_after_the_wait() -> None:
    statuses = {
        "a": {"status": {"connector": {"state": "RUNNING"}, "tasks": [{"id": 0, "state": "UNASSIGNED"}]}}
    }
    with stand_in({"put": (201, {}), "statuses": statuses}) as (url, _):
        [outcome] = _writer(url, ["a"], wait=1).create_connectors([_change("a")])
    assert outcome.status is Status.UNCONFIRMED
    assert "not RUNNING after 1s (connector RUNNING, task 0 UNASSIGNED)" in outcome.error
