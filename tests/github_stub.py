"""A stand-in for GitHub's REST API on 127.0.0.1: the issue-comment endpoints `busctl comment --post`
uses, for pull request 7 of acme/bus; and the environment a pull_request workflow run has."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

TOKEN = "ghs_not-a-real-token-1234"


class FakeGitHub(ThreadingHTTPServer):
    """Issue comments of pull request 7 of acme/bus, as GitHub's REST API serves them."""

    def __init__(self, status: int = 200) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.status = status
        self.comments: list[dict[str, Any]] = [
            {"id": n, "body": f"unrelated comment {n}", "html_url": f"https://gh/c/{n}"}
            for n in range(1, 131)
        ]
        self.requests: list[tuple[str, str, str]] = []  # method, path, Authorization

    def environment(self, tmp_path: Path) -> dict[str, str]:
        """What GitHub Actions sets for a pull_request run of PR 7 talking to this server."""
        event = tmp_path / "event.json"
        event.write_text(json.dumps({"action": "synchronize", "pull_request": {"number": 7}}))
        return {
            "GITHUB_TOKEN": TOKEN,
            "GITHUB_REPOSITORY": "acme/bus",
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_API_URL": f"http://127.0.0.1:{self.server_address[1]}",
        }

    def ours(self) -> list[dict[str, Any]]:
        """The busctl comments on the pull request."""
        return [c for c in self.comments if c["body"].startswith("<!-- busctl:pr-comment -->")]


class _Handler(BaseHTTPRequestHandler):
    server: FakeGitHub

    def log_message(self, *_: Any) -> None:
        return None

    def _reply(self, status: int, payload: Any) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        server = self.server
        server.requests.append((self.command, self.path, self.headers.get("Authorization", "")))
        if server.status != 200:
            return self._reply(server.status, {"message": "Resource not accessible by integration"})
        length = int(self.headers.get("Content-Length") or 0)
        payload = json.loads(self.rfile.read(length)) if length else None
        if self.command == "GET" and self.path.startswith("/repos/acme/bus/issues/7/comments?"):
            page = int(self.path.rsplit("page=", 1)[1])
            return self._reply(200, server.comments[(page - 1) * 100 : page * 100])
        if self.command == "POST" and self.path == "/repos/acme/bus/issues/7/comments":
            comment = {
                "id": 1000 + len(server.comments),
                "body": payload["body"],
                "html_url": "https://gh/new",
            }
            server.comments.append(comment)
            return self._reply(201, comment)
        if self.command == "PATCH" and self.path.startswith("/repos/acme/bus/issues/comments/"):
            wanted = int(self.path.rsplit("/", 1)[1])
            comment = next(c for c in server.comments if c["id"] == wanted)
            comment["body"] = payload["body"]
            return self._reply(200, comment)
        return self._reply(404, {"message": "Not Found"})

    do_GET = do_POST = do_PATCH = _handle


@pytest.fixture
def github(request: pytest.FixtureRequest) -> Iterator[FakeGitHub]:
    server = FakeGitHub(getattr(request, "param", 200))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    thread.join(10)


@pytest.fixture
def workflow_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, github: FakeGitHub) -> None:
    for name, value in github.environment(tmp_path).items():
        monkeypatch.setenv(name, value)
