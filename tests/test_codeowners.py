"""`busctl codeowners`: generated from teams.yaml and topics, checked for staleness; a bus in a monorepo's
directory keeps its own block of the repository's CODEOWNERS."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from busctl.core.codeowners import HEADER, BlockError, place
from tests.conftest import REPO_ROOT, CliResult, git, write_files
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


BLOCK = "# BEGIN busctl bus/ -- generated\n/bus/ @acme/platform\n# END busctl bus/\n"


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        (None, BLOCK),
        ("", BLOCK),
        ("* @acme/eng", "* @acme/eng\n\n" + BLOCK),  # appended last, where its lines win
        ("* @acme/eng\n\n\n", "* @acme/eng\n\n" + BLOCK),
        (  # replaced where it is; the repository's lines around it kept as they are
            "* @acme/eng\n# BEGIN busctl bus/ -- old\n/bus/ @acme/old\n# END busctl bus/\n/docs/ @acme/doc\n",
            "* @acme/eng\n" + BLOCK + "/docs/ @acme/doc\n",
        ),
        (  # near miss: another bus's block is not this one's
            "# BEGIN busctl bus/sub/\n/bus/sub/ @acme/x\n# END busctl bus/sub/\n",
            "# BEGIN busctl bus/sub/\n/bus/sub/ @acme/x\n# END busctl bus/sub/\n\n" + BLOCK,
        ),
    ],
)
def test_a_monorepo_bus_keeps_its_own_block(current: str | None, expected: str) -> None:
    assert place(current, BLOCK, "bus") == expected


@pytest.mark.parametrize(
    ("current", "found"),
    [
        ("# BEGIN busctl bus/\n/bus/ @acme/x\n", "line 1"),  # the END was deleted
        ("/bus/ @acme/x\n# END busctl bus/\n", "line 2"),
        ("# END busctl bus/\n# BEGIN busctl bus/\n", "line 1, line 2"),
        (
            "# BEGIN busctl bus/\n# END busctl bus/\n# BEGIN busctl bus/\n# END busctl bus/\n",
            "line 1, line 2",
        ),
    ],
)
def test_a_block_whose_markers_were_edited_is_refused(current: str, found: str) -> None:
    with pytest.raises(BlockError, match=f"found {found}"):
        place(current, BLOCK, "bus")


def _monorepo(bus_repo: Callable[..., Path], files: dict[str, str] | None = None) -> Path:
    """A git repository whose bus is its directory bus/ (bus_repo's copy), with `files` at its top."""
    bus = bus_repo()
    git(bus.parent, "init", "-q", "-b", "main")
    write_files(bus.parent, files or {})
    return bus


def test_in_a_monorepo_the_block_goes_in_the_repositorys_codeowners(
    run: Run, bus_repo: Callable[..., Path]
) -> None:
    bus = _monorepo(bus_repo)
    top = bus.parent
    (bus / ".github").mkdir()
    (bus / ".github/CODEOWNERS").write_text(HEADER + "\n* @acme/platform\n")  # an earlier busctl's
    written = run("codeowners", "--repo", str(bus))
    assert written.code == 0, written.err
    assert "wrote ../.github/CODEOWNERS" in written.out and "removed .github/CODEOWNERS" in written.out
    text = (top / ".github/CODEOWNERS").read_text()
    assert text.startswith("# BEGIN busctl bus/ -- GENERATED") and text.endswith("# END busctl bus/\n")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert lines[0] == "/bus/ @acme/platform"  # the bus's directory, not the whole repository
    assert "/bus/topics/billing/ @acme/billing" in lines
    assert "/bus/schemas/acme/billing/ @acme/billing" in lines
    assert "/.github/workflows/busctl-*.yml @acme/platform" in lines
    assert not any(line.startswith(("* ", "/topics/", "/.github/ ")) for line in lines)
    assert run("codeowners", "--repo", str(bus), "--check").code == 0


def test_in_a_monorepo_the_codeowners_github_reads_is_the_one_kept(
    run: Run, bus_repo: Callable[..., Path]
) -> None:
    bus = _monorepo(bus_repo, {"CODEOWNERS": "* @acme/eng\n"})  # GitHub reads /CODEOWNERS (no .github/)
    assert run("codeowners", "--repo", str(bus)).code == 0
    assert not (bus.parent / ".github/CODEOWNERS").exists()
    text = (bus.parent / "CODEOWNERS").read_text()
    assert text.startswith("* @acme/eng\n\n# BEGIN busctl bus/")
    (bus.parent / "CODEOWNERS").write_text(text.replace("# END busctl bus/\n", ""))
    broken = run("codeowners", "--repo", str(bus))
    assert broken.code == 1 and "../CODEOWNERS: expected one `# BEGIN busctl bus/` line" in broken.err
    assert "nothing was written" in broken.err and "restore the block's BEGIN and END lines" in broken.err
    assert "Traceback" not in broken.err


def test_in_a_monorepo_the_repositorys_lines_keep_their_bytes_and_other_text_is_refused(
    run: Run, bus_repo: Callable[..., Path]
) -> None:
    bus = _monorepo(bus_repo)
    owners = bus.parent / ".github/CODEOWNERS"
    owners.parent.mkdir()
    owners.write_bytes(b"* @acme/eng\r\n/docs/ @acme/doc\r\n")  # written on Windows
    assert run("codeowners", "--repo", str(bus)).code == 0
    assert owners.read_bytes().startswith(b"* @acme/eng\r\n/docs/ @acme/doc\r\n\n# BEGIN busctl bus/")
    assert run("codeowners", "--repo", str(bus), "--check").code == 0
    owners.write_bytes(owners.read_bytes() + b"/legacy/ @acme/\xff\n")
    before = owners.read_bytes()
    refused = run("codeowners", "--repo", str(bus))
    assert (
        refused.code == 1 and f"{owners} is not UTF-8 text" in refused.err and "Traceback" not in refused.err
    )
    assert owners.read_bytes() == before
