"""`busctl comment`: rendering from saved reports (missing and broken ones too) and posting one
comment per pull request through GitHub's REST API (a local stand-in server speaking its protocol)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, CliResult
from tests.github_stub import TOKEN, FakeGitHub

Run = Callable[..., CliResult]
PLAN = REPO_ROOT / "tests/golden/plan/config-drift/plan.json"


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
    ours = github.ours()
    assert len(ours) == 1 and "### busctl plan · cluster local" in ours[0]["body"]
    # the marker is searched on every page (130 older comments span two)
    second = run("comment", "--plan", str(PLAN), "--lint", "/nonexistent/lint.json", "--post")
    assert second.code == 0, second.err
    assert second.out.startswith("updated the pull-request comment")
    ours = github.ours()
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


@pytest.mark.parametrize("option", ["--lint", "--check"])
def test_a_report_of_the_wrong_kind_names_the_file_and_what_it_is(
    run: Run, tmp_path: Path, option: str
) -> None:
    result = run("comment", option, str(PLAN))
    assert result.code == 1 and "Traceback" not in result.err
    assert f"{PLAN} is a busctl plan report, not a {option[2:]} report (given as {option})" in result.err
    result = run("comment", "--plan", str(_lint(tmp_path, 1)))
    assert result.code == 1 and "is a busctl lint report, not a plan report" in result.err
    (tmp_path / "odd.json").write_text('{"format_version": 1, "summary": {}}')
    result = run("comment", option, str(tmp_path / "odd.json"))
    assert result.code == 1 and f"is not a busctl {option[2:]} report" in result.err


def test_no_reports_at_all_is_a_usage_error_naming_the_options(run: Run) -> None:
    result = run("comment")
    assert result.code == 2 and "--lint FILE, --check FILE and/or --plan FILE" in result.err
