"""`busctl init`: a new bus repo that passes lint and every --check as it is, and never overwrites."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult

Run = Callable[..., CliResult]


def test_scaffold_passes_lint_and_checks(run: Run, tmp_path: Path) -> None:
    repo = tmp_path / "bus"
    org = ("--github-org", "acme-corp", "--package-root", "globex")
    result = run("init", str(repo), "--team", "data-platform", *org)
    assert result.code == 0, result.err
    files = {p.relative_to(repo).as_posix() for p in repo.rglob("*") if p.is_file()}
    assert {
        "bus.yaml",
        "teams.yaml",
        "topics/data-platform/example-events.yaml",
        "schemas/buf.yaml",
        "schemas/globex/data_platform/v1/example_event.proto",
        ".github/CODEOWNERS",
        "alerts/data-platform.rules.yml",
        "alerts/alertmanager.yml",
        ".busctl/topic.schema.json",
        "templates/README.md",
        ".github/workflows/busctl-pull-request.yml",
        ".github/workflows/busctl-main.yml",
    } <= files
    lint = run("lint", "--repo", str(repo))
    assert lint.code == 0, lint.out + lint.err
    assert "warning" not in lint.out
    assert run("alerts", "--repo", str(repo), "--check").code == 0
    assert run("codeowners", "--repo", str(repo), "--check").code == 0
    assert run("editor-schema", "--out", str(repo / ".busctl"), "--check").code == 0
    owner = run("owner", "globex.data_platform.v1.ExampleEvent", "--repo", str(repo))
    assert owner.code == 0 and "data-platform" in owner.out
    assert '"@acme-corp/data-platform"' in (repo / "teams.yaml").read_text()
    assert "git init -b main" in result.out  # the branch the workflows run on


def test_the_package_root_defaults_to_the_organisation_and_the_action_ref_is_the_one_given(
    run: Run, tmp_path: Path
) -> None:
    repo = tmp_path / "bus"
    sha = "0123456789abcdef0123456789abcdef01234567"
    result = run("init", str(repo), "--github-org", "Globex-Corp", "--action", f"globex-corp/busctl@{sha}")
    assert result.code == 0, result.err
    assert (repo / "schemas/globexcorp/platform/v1/example_event.proto").is_file()
    for name in ("busctl-pull-request.yml", "busctl-main.yml"):
        workflow = (repo / ".github/workflows" / name).read_text()
        assert f"uses: globex-corp/busctl@{sha}" in workflow and "acme/busctl" not in workflow
    assert run("lint", "--repo", str(repo)).code == 0


def test_refuses_a_non_empty_directory(run: Run, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    result = run("init", str(tmp_path))
    assert result.code == 1
    assert "not empty; nothing was written" in result.err
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--team", "Data_Platform"),
        ("--github-org", "acme_corp"),
        ("--github-org", "-acme"),
        ("--package-root", "my-org"),
        ("--github-org", "42corp"),  # the derived package root would start with a digit
        ("--action", "busctl@v1"),
        ("--action", "acme/busctl"),
    ],
)
def test_rejects_values_the_scaffold_cannot_use(run: Run, tmp_path: Path, option: str, value: str) -> None:
    result = run("init", str(tmp_path / "bus"), option, value)
    assert result.code == 1
    assert "is not a" in result.err and "Traceback" not in result.err
    assert not (tmp_path / "bus").exists()


@pytest.mark.prometheus
def test_scaffold_alerts_pass_promtool(run: Run, tmp_path: Path) -> None:
    repo = tmp_path / "bus"
    assert run("init", str(repo)).code == 0
    result = run("alerts", "--repo", str(repo), "--check", "--verify")
    assert result.code == 0, result.out + result.err
