"""`busctl codeowners`: generated from teams.yaml and topics, checked for staleness."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import REPO_ROOT, CliResult

Run = Callable[..., CliResult]


def test_generate_then_check(run: Run, bus_repo: Callable[..., Path]) -> None:
    repo = bus_repo()
    assert run("codeowners", "--repo", str(repo), "--check").code == 1  # missing
    assert run("codeowners", "--repo", str(repo)).code == 0
    text = (repo / ".github/CODEOWNERS").read_text()
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert lines[0] == "* @acme/platform"
    assert "/teams.yaml @acme/platform" in lines
    assert "/topics/billing/ @acme/billing" in lines
    assert "/schemas/acme/billing/ @acme/billing" in lines
    assert run("codeowners", "--repo", str(repo), "--check").code == 0


def test_stale_file_is_reported_with_a_diff(run: Run, bus_repo: Callable[..., Path]) -> None:
    repo = bus_repo()
    run("codeowners", "--repo", str(repo))
    (repo / "topics/billing/moved.yaml").write_text(
        "name: audit.moved.v1\nowner: audit\ndescription: d\nschema: acme.audit.v1.AuditEvent\n"
    )
    result = run("codeowners", "--repo", str(repo), "--check")
    assert result.code == 1
    assert "+/topics/billing/moved.yaml @acme/audit" in result.out
    assert "stale" in result.err


def test_file_outside_owner_directory_gets_its_own_line(run: Run, bus_repo: Callable[..., Path]) -> None:
    repo = bus_repo(
        {
            "topics/misc/x.yaml": "name: audit.x.v1\nowner: audit\ndescription: d\n"
            "schema: acme.audit.v1.AuditEvent\n"
        }
    )
    run("codeowners", "--repo", str(repo))
    text = (repo / ".github/CODEOWNERS").read_text()
    assert "/topics/misc/x.yaml @acme/audit" in text
    assert "/topics/misc/ " not in text  # misc is no team


def test_this_repo_codeowners_is_current(run: Run) -> None:
    assert run("codeowners", "--repo", str(REPO_ROOT), "--check").code == 0
