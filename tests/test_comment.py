"""`busctl comment`: rendering from saved reports (missing and broken ones too) and posting one
comment per pull request through GitHub's REST API (a local stand-in server speaking its protocol)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from busctl.core.diagnostics import Diagnostic, Span
from busctl.render import diagnostics as lint_render
from tests.check.test_check_cli import _repo as _check_repo
from tests.conftest import REPO_ROOT, CliResult
from tests.github_stub import TOKEN, FakeGitHub

Run = Callable[..., CliResult]
PLAN = REPO_ROOT / "tests/golden/plan/config-drift/plan.json"


def _lint(tmp_path: Path, errors: int) -> Path:
    """A lint report as `busctl lint --out` writes it, with `errors` BUS101 findings."""
    diagnostics = [
        Diagnostic("BUS101", f"bad | name {n}", Span("topics/a.yaml", n + 1, 7), name="topic-name")
        for n in range(errors)
    ]
    path = tmp_path / "lint.json"
    path.write_text(lint_render.as_json(diagnostics, 4))
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


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (
            lambda d: d["diagnostics"][0].update(line="three"),
            "diagnostics.0.line: Input should be a valid integer",
        ),
        (lambda d: d["diagnostics"][0].pop("code"), "diagnostics.0.code: Field required"),
        (lambda d: d["summary"].update(errors=None), "summary.errors: Input should be a valid integer"),
        (lambda d: d.update(format_version=2), "format_version: Input should be 1"),
        (lambda d: d.update(extra=True), "extra: Extra inputs are not permitted"),
    ],
)
def test_a_damaged_report_names_the_file_and_the_field(
    run: Run, tmp_path: Path, change: Callable[[dict[str, Any]], object], complaint: str
) -> None:
    path = _lint(tmp_path, 1)
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))
    result = run("comment", "--lint", str(path))
    assert result.code == 1 and "Traceback" not in result.err
    assert f"{path} is not a busctl lint report: {complaint}" in result.err
    assert f"busctl lint --out {path}" in result.err  # how to make a good one


def test_a_file_that_is_not_text_is_a_clean_error(run: Run, tmp_path: Path) -> None:
    (tmp_path / "lint.json").write_bytes(b"\xff\xfe{}")
    result = run("comment", "--lint", str(tmp_path / "lint.json"))
    assert result.code == 1 and "Traceback" not in result.err
    assert f"{tmp_path / 'lint.json'} cannot be read as a JSON report" in result.err


@pytest.mark.parametrize("foreign", ["[1, 2]", '"lint"', '{"version": "2.1.0", "runs": []}'])
def test_a_foreign_document_is_a_clean_error(run: Run, tmp_path: Path, foreign: str) -> None:
    (tmp_path / "check.json").write_text(foreign)
    result = run("comment", "--check", str(tmp_path / "check.json"))
    assert result.code == 1 and "Traceback" not in result.err
    assert f"{tmp_path / 'check.json'} is not a busctl check report: " in result.err


def test_a_saved_check_report_renders_its_findings_and_whom_to_notify(run: Run, tmp_path: Path) -> None:
    saved = tmp_path / "check.json"
    repo = _check_repo(tmp_path, "topic-partitions-decreased")
    assert run("check", "--against", "main", "--repo", str(repo), "--out", str(saved)).code == 1
    result = run("comment", "--check", str(saved), "--lint", str(_lint(tmp_path, 0)))
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert "| lint | :white_check_mark: clean (4 files) |" in lines
    assert "| check | :x: 1 breaking change(s) against `main` |" in lines
    assert any(line.startswith("| audit | https://chat.example.com/rooms/audit |") for line in lines)
    assert any(
        line.startswith("| :x: | BUS501 | `topics/billing/invoice-created.yaml:6:13` |") for line in lines
    )


def test_another_busctl_report_is_named_for_what_it_is(run: Run, tmp_path: Path) -> None:
    """An apply, lag or rules report given as --plan is named as such, not blamed on its format_version."""
    rules = tmp_path / "rules.json"
    rules.write_text(run("rules", "--format", "json").out)
    result = run("comment", "--plan", str(rules))
    assert result.code == 1
    assert f"{rules} is a busctl rules report, not a plan report (given as --plan)" in result.err
