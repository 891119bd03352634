"""`busctl check` on real git repositories: each corpus case is a base/head pair of bus changes.

The base branch holds tests/rules/base, then tests/check/base (a richer InvoiceCreated schema), then the
case's `base/` files. The working tree of branch `change` adds the case's `head/` files, then applies
`expect.yaml`'s `delete:` (paths removed) and `edits:` ({file, replace, with}: the change, readable in one
line). `expect.yaml` also holds `findings:` (each {code, status, topics, teams}), `ownership:` (the
teams owning changed files) and `exit:`. Safe cases expect no findings at all.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import BASE_BUS, CliResult, git

CORPUS = Path(__file__).parent / "corpus"
CHECK_BASE = Path(__file__).parent / "base"
CASES = sorted(p for p in CORPUS.iterdir() if (p / "expect.yaml").is_file())


def _overlay(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)


def make_repo(root: Path, case: Path, spec: dict[str, Any]) -> None:
    """main = base bus + case/base; working tree of branch `change` = that + case/head - deletions."""
    shutil.copytree(BASE_BUS, root)
    _overlay(CHECK_BASE, root)
    _overlay(case / "base", root)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "change")
    _overlay(case / "head", root)
    for path in spec.get("delete", []):
        (root / path).unlink()
    for edit in spec.get("edits", []):
        target = root / edit["file"]
        text = target.read_text()
        assert text.count(edit["replace"]) == 1, f"{edit['replace']!r} must occur once in {edit['file']}"
        target.write_text(text.replace(edit["replace"], edit["with"]))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_check_case(case: Path, tmp_path: Path, run: Callable[..., CliResult]) -> None:
    spec = yaml.safe_load((case / "expect.yaml").read_text())
    root = tmp_path / "repo"
    make_repo(root, case, spec)
    result = run("check", "--against", "main", "--repo", str(root), "--format", "json")
    assert "Traceback" not in result.err, result.err
    document = json.loads(result.out)
    got = sorted((f["code"], f["status"], f["topics"], f["teams"]) for f in document["findings"])
    expected = sorted((f["code"], f["status"], f["topics"], f["teams"]) for f in spec["findings"])
    assert got == expected, json.dumps(document["findings"], indent=1)[:3000]
    assert [o["team"] for o in document["ownership"]] == spec["ownership"]
    assert result.code == spec["exit"]
    assert result.code == (1 if any(f["status"] == "breaking" for f in spec["findings"]) else 0)


def test_corpus_size() -> None:
    schema_cases = [c for c in CASES if c.name.startswith("schema-")]
    safe_cases = [c for c in CASES if c.name.startswith("safe-")]
    assert len(schema_cases) >= 15 and len(safe_cases) >= 5
