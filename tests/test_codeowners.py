"""`busctl codeowners`: generated from teams.yaml and topics, checked for staleness."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from busctl.core.codeowners import HEADER
from tests.conftest import REPO_ROOT, CliResult
from tests.reports import assert_report

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


def test_json_lists_the_entries_and_with_check_the_lines_out_of_sync(
    run: Run, bus_repo: Callable[..., Path]
) -> None:
    repo = bus_repo()
    missing = run("codeowners", "--repo", str(repo), "--check", "--format", "json")
    assert missing.code == 1 and missing.err == ""
    document = assert_report("codeowners-report", missing.out)
    assert (document["check"], document["state"], document["in_sync"]) == (True, "missing", False)
    assert not (repo / ".github/CODEOWNERS").exists()
    to_add = document["differences"]
    assert to_add[0] == {"op": "+", "line": 1, "text": HEADER.splitlines()[0]}

    written = assert_report("codeowners-report", run("codeowners", "--repo", str(repo), "-f", "json").out)
    assert (written["state"], written["in_sync"], written["differences"]) == ("written", True, [])
    entries = {e["pattern"]: e["owners"] for e in written["entries"]}
    assert entries["*"] == ["@acme/platform"] and entries["/topics/billing/"] == ["@acme/billing"]
    assert written["entries"][0]["pattern"] == "*"  # file order: the general rule first
    assert len(to_add) == len((repo / ".github/CODEOWNERS").read_text().splitlines())  # every line

    (repo / "topics/billing/moved.yaml").write_text(
        "name: audit.moved.v1\nowner: audit\ndescription: d\nschema: acme.audit.v1.AuditEvent\n"
    )
    stale = run("codeowners", "--repo", str(repo), "--check", "--format", "json")
    assert stale.code == 1
    document = assert_report("codeowners-report", stale.out)
    assert document["state"] == "stale"
    added = [d for d in document["differences"] if d["op"] == "+"]
    assert [d["text"] for d in added if d["text"].startswith("/")] == [
        "/topics/billing/moved.yaml @acme/audit"
    ]
    in_sync = assert_report("codeowners-report", run("codeowners", "--repo", str(repo), "-f", "json").out)
    assert in_sync["state"] == "written"
    unchanged = run("codeowners", "--repo", str(repo), "--check", "-f", "json")
    assert unchanged.code == 0 and assert_report("codeowners-report", unchanged.out)["state"] == "unchanged"


def test_formats_without_meaning_are_refused(run: Run, bus_repo: Callable[..., Path]) -> None:
    repo = bus_repo()
    for name in ("github", "markdown"):
        result = run("codeowners", "--repo", str(repo), "--format", name)
        assert result.code == 2 and f"prints text or json, not {name}" in result.err
    assert not (repo / ".github/CODEOWNERS").exists()
