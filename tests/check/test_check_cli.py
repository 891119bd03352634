"""`busctl check` as a user meets it: outputs, errors, approvals shown, exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import yaml

from tests.check.test_check_corpus import CORPUS, make_repo
from tests.conftest import CliResult, git
from tests.reports import assert_report

Run = Callable[..., CliResult]


def _repo(tmp_path: Path, case: str) -> Path:
    root = tmp_path / "repo"
    make_repo(root, CORPUS / case, yaml.safe_load((CORPUS / case / "expect.yaml").read_text()))
    return root


def test_text_names_topics_teams_chat_rooms_and_owners(run: Run, tmp_path: Path) -> None:
    result = run("check", "--against", "main", "--repo", str(_repo(tmp_path, "topic-partitions-decreased")))
    assert result.code == 1
    text = " ".join(result.out.split())  # the same words, however the lines wrap at 80 columns
    where = "topics/billing/invoice-created.yaml:6:13"
    assert f"✗ BUS501 {where}: partitions of billing.invoice-created.v1" in text
    assert "notify: audit (https://chat.example.com/rooms/audit), billing" in text
    assert "consumers: audit-log-writer (audit)" in text
    assert "ownership: this change touches files of 1 team(s)" in text


def test_approved_breaks_are_shown_not_hidden(run: Run, tmp_path: Path) -> None:
    root = _repo(tmp_path, "approval-for-this-change")
    result = run("check", "--against", "main", "--repo", str(root), "--format", "markdown")
    assert result.code == 0
    assert (
        ":white_check_mark: | BUS504" in result.out
        and "_approved: consumers read the latest value per key only" in result.out
    )
    github = run("check", "--against", "main", "--repo", str(root), "--format", "github")
    assert github.out.startswith(
        "::notice file=topics/billing/invoice-created.yaml,line=10,col=19,title=BUS504::"
    )


def test_an_added_exemption_is_a_note_for_review(run: Run, tmp_path: Path) -> None:
    root = _repo(tmp_path, "exemption-added")
    result = run("check", "--against", "main", "--repo", str(root))
    assert result.code == 0, result.out + result.err
    lines = result.out.splitlines()
    assert lines[0].endswith("· 1 note") and max(len(line) for line in lines) <= 80
    text = " ".join(result.out.split())
    assert "· BUS513 topics/billing/legacy-orders.yaml:6:5: adds an exemption of legacy_orders" in text
    assert "from BUS101: imported as it is" in text
    assert "notify: billing (https://chat.example.com/rooms/billing), platform" in text
    github = run("check", "--against", "main", "--repo", str(root), "--format", "github")
    assert github.out.startswith(
        "::notice file=topics/billing/legacy-orders.yaml,line=6,col=5,title=BUS513::"
    )
    markdown = run("check", "--against", "main", "--repo", str(root), "--format", "markdown")
    assert ":information_source: | BUS513" in markdown.out
    document = assert_report(
        "check-report", run("check", "--against", "main", "--repo", str(root), "-f", "json").out
    )
    assert document["summary"] == {"breaking": 0, "approved": 0, "findings": 1}


def test_github_annotations_for_breaks(run: Run, tmp_path: Path) -> None:
    repo = ["--against", "main", "--repo", str(_repo(tmp_path, "schema-type-changed"))]
    result = run("check", *repo, "--format", "github", "--out", str(tmp_path / "check.json"))
    assert result.code == 1
    assert result.out.startswith("::error file=schemas/acme/billing/v1/invoice_created.proto,line=")
    assert "title=buf%3AFIELD_WIRE_JSON_COMPATIBLE_TYPE::" in result.out  # the colon escaped
    saved = (tmp_path / "check.json").read_text()
    assert saved == run("check", *repo, "--format", "json").out
    assert assert_report("check-report", saved)["summary"] == {"breaking": 1, "approved": 0, "findings": 1}


def test_unknown_ref_explains_fetch_depth(run: Run, tmp_path: Path) -> None:
    result = run("check", "--against", "origin/main", "--repo", str(_repo(tmp_path, "safe-new-field")))
    assert result.code == 1
    assert 'git ref "origin/main" not found' in result.err and "fetch-depth: 0" in result.err


def test_outside_git_is_a_clear_error(run: Run, bus_repo: Callable[..., Path]) -> None:
    result = run("check", "--against", "main", "--repo", str(bus_repo()))
    assert result.code == 1 and "not inside a git repository" in result.err


def test_the_checkout_is_not_touched(run: Run, tmp_path: Path) -> None:
    root = _repo(tmp_path, "schema-field-deleted")
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts}
    run("check", "--against", "main", "--repo", str(root))
    after = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts}
    assert before == after


def test_bus_in_a_subdirectory_of_the_git_repository(run: Run, tmp_path: Path) -> None:
    top = tmp_path / "monorepo"
    shutil.copytree(CORPUS.parent.parent / "rules" / "base", top / "platform" / "bus")
    git = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci"]
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "base"]):
        subprocess.run([*git, *args], cwd=top, check=True, capture_output=True, timeout=60)
    topic = top / "platform" / "bus" / "topics" / "billing" / "invoice-created.yaml"
    topic.write_text(topic.read_text().replace("partitions: 12", "partitions: 4"))
    result = run("check", "--against", "main", "--repo", str(top / "platform" / "bus"))
    assert result.code == 1 and "decrease 12 → 4" in result.out
    assert "topics/billing/invoice-created.yaml" in result.out


def test_a_schema_root_other_than_schemas_is_compared(run: Run, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    make_repo(root, CORPUS / "safe-new-field", {})
    git(root, "checkout", "-q", "main")
    git(root, "mv", "schemas", "proto")
    (root / "bus.yaml").write_text((root / "bus.yaml").read_text() + "schemas: {root: proto}\n")
    git(root, "commit", "-q", "-am", "schemas under proto/")
    git(root, "checkout", "-q", "-b", "retype")
    proto = root / "proto/acme/billing/v1/invoice_created.proto"
    proto.write_text(proto.read_text().replace("int64 amount_cents", "string amount_cents"))
    result = run("check", "--against", "main", "--repo", str(root), "--format", "json")
    document = json.loads(result.out)
    assert result.code == 1, result.out + result.err
    assert [f["code"] for f in document["findings"]] == ["buf:FIELD_WIRE_JSON_COMPATIBLE_TYPE"]
    assert document["ownership"][0]["files"] == ["proto/acme/billing/v1/invoice_created.proto"]


def test_unchanged_symlinks_are_not_changes(run: Run, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    make_repo(root, CORPUS / "safe-new-field", {})
    git(root, "checkout", "-q", "main")
    (root / "schemas/notes.txt").symlink_to("buf.yaml")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "a symlink")
    result = run("check", "--against", "HEAD", "--repo", str(root), "--format", "json")
    assert result.code == 0, result.out + result.err
    assert json.loads(result.out)["ownership"] == []
