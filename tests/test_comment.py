"""`busctl comment`: rendering from saved reports (missing and broken ones too) and posting one
comment per pull request through GitHub's REST API (a local stand-in server speaking its protocol)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT, CliResult

Run = Callable[..., CliResult]
TOKEN = "ghs_not-a-real-token-1234"
PLAN = REPO_ROOT / "tests/golden/plan/config-drift/plan.json"


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
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "synchronize", "pull_request": {"number": 7}}))
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/bus")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    monkeypatch.setenv("GITHUB_API_URL", f"http://127.0.0.1:{github.server_address[1]}")


def _lint(tmp_path: Path, errors: int) -> Path:
    diagnostics = [
        {
            "code": "BUS101",
            "name": "topic-name",
            "severity": "error",
            "message": f"bad | name {n}",
            "hint": None,
            "file": "topics/a.yaml",
            "line": n + 1,
            "column": 7,
        }
        for n in range(errors)
    ]
    path = tmp_path / "lint.json"
    summary = {"errors": errors, "warnings": 0, "files": 4}
    path.write_text(json.dumps({"format_version": 1, "summary": summary, "diagnostics": diagnostics}))
    return path


def test_missing_and_empty_reports_say_which_step_to_look_at(run: Run, tmp_path: Path) -> None:
    (tmp_path / "check.json").write_text("")  # the step crashed after the shell opened the file
    result = run(
        "comment",
        "--lint", str(_lint(tmp_path, 25)),
        "--check", str(tmp_path / "check.json"),
        "--plan", str(PLAN),
        "--plan", str(tmp_path / "prod-plan.json"),
    )  # fmt: skip
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "<!-- busctl:pr-comment -->"
    assert "| lint | :x: 25 error(s), 0 warning(s) |" in lines
    assert "| check | :grey_question: no result: see the check step's log |" in lines
    assert "| plan `local` | :pencil2: 1 change |" in lines
    assert any(line.startswith("| plan `prod-plan.json` | :grey_question: no plan") for line in lines)
    assert "| BUS101 | `topics/a.yaml:1:7` | bad &#124; name 0 |" in lines
    assert "… and 5 more: run `busctl lint`." in result.out
    assert "### busctl plan · cluster local" in result.out


def test_a_file_that_is_not_a_report_is_a_clean_error(run: Run, tmp_path: Path) -> None:
    bad = tmp_path / "plan.json"
    bad.write_text("{not json")
    result = run("comment", "--plan", str(bad))
    assert result.code == 1 and f"{bad} is not a JSON report" in result.err
    bad.write_text('{"format_version": 1}')
    result = run("comment", "--plan", str(bad))
    assert result.code == 1 and "is not a busctl plan file" in result.err and "Traceback" not in result.err


@pytest.mark.usefixtures("workflow_env")
def test_post_creates_one_comment_then_updates_it(run: Run, github: FakeGitHub) -> None:
    first = run("comment", "--plan", str(PLAN), "--post")
    assert first.code == 0, first.err
    assert first.out == "created the pull-request comment: https://gh/new\n"
    ours = [c for c in github.comments if c["body"].startswith("<!-- busctl:pr-comment -->")]
    assert len(ours) == 1 and "### busctl plan · cluster local" in ours[0]["body"]
    # the marker is searched on every page (130 older comments span two)
    second = run("comment", "--plan", str(PLAN), "--lint", "/nonexistent/lint.json", "--post")
    assert second.code == 0, second.err
    assert second.out.startswith("updated the pull-request comment")
    ours = [c for c in github.comments if c["body"].startswith("<!-- busctl:pr-comment -->")]
    assert len(ours) == 1 and "| lint | :grey_question:" in ours[0]["body"]
    methods = [m for m, _, _ in github.requests]
    assert methods == ["GET", "GET", "POST", "GET", "GET", "PATCH"]
    assert {auth for _, _, auth in github.requests} == {f"Bearer {TOKEN}"}
    assert TOKEN not in first.out + first.err + second.out + second.err


@pytest.mark.parametrize("github", [403], indirect=True)
@pytest.mark.usefixtures("workflow_env")
def test_a_refusal_is_a_clean_error_with_the_permission_to_grant(run: Run, github: FakeGitHub) -> None:
    result = run("comment", "--plan", str(PLAN), "--post")
    assert result.code == 1
    assert "GitHub answered 403" in result.err and "Resource not accessible by integration" in result.err
    assert "pull-requests: write" in result.err and TOKEN not in result.err


def test_post_outside_a_pull_request_workflow_is_a_clean_error(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    result = run("comment", "--plan", str(PLAN), "--post")
    assert result.code == 1 and "GITHUB_TOKEN is not set" in result.err
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/bus")
    monkeypatch.delenv("GITHUB_EVENT_PATH", raising=False)
    result = run("comment", "--plan", str(PLAN), "--post")
    assert result.code == 1 and "not a pull_request event" in result.err
