"""Every lint rule against its cases file (tests/rules/cases/<ID>.yaml), sqlfluff style.

A cases file: `rule: BUS101` and `cases:` mapping a name to `files:` (overlaid on tests/rules/base;
null deletes a file) and `expect:` (the findings of that rule: code, file, line, and optionally text the
message and hint contain). No other error may appear.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from busctl import workspace
from busctl.core.diagnostics import Severity
from busctl.rules.base import all_rules, entries

CASES_DIR = Path(__file__).parent / "cases"


def _load_cases() -> list[Any]:
    params = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        spec = yaml.safe_load(path.read_text("utf-8"))
        for name, case in spec["cases"].items():
            params.append(pytest.param(spec["rule"], case, id=f"{spec['rule']}_{name}"))
    return params


@pytest.mark.parametrize(("rule_id", "case"), _load_cases())
def test_rule_case(rule_id: str, case: dict[str, Any], bus_repo: Any) -> None:
    root: Path = bus_repo(case.get("files", {}))
    report = workspace.lint(root, run_buf=False).report
    got = sorted((d.code, d.span.file, d.span.line) for d in report.items if d.code == rule_id)
    expected = sorted((e["code"], e["file"], e["line"]) for e in case.get("expect", []))
    assert got == expected, [str(d.span) + " " + d.message for d in report.items]
    found = sorted((d for d in report.items if d.code == rule_id), key=lambda d: (d.span.file, d.span.line))
    wanted = sorted(case.get("expect", []), key=lambda e: (e["file"], e["line"]))
    for finding, want in zip(found, wanted, strict=True):
        assert want.get("message", "") in finding.message
        assert want.get("hint", "") in (finding.hint or "")
    allowed = {rule_id, *case.get("also", [])}
    stray = [
        f"{d.span} {d.code} {d.message}"
        for d in report.items
        if d.severity is Severity.ERROR and d.code not in allowed
    ]
    assert not stray, "the case's files have other errors: fix the fixture"


def test_every_rule_has_a_failing_case_and_a_near_miss() -> None:
    """A near miss is a passing case that changes the base bus (`files:`): passing the untouched base
    alone proves nothing about where the rule draws its line."""
    kinds: dict[str, set[str]] = {}
    for path in CASES_DIR.glob("*.yaml"):
        spec = yaml.safe_load(path.read_text("utf-8"))
        found = kinds.setdefault(spec["rule"], set())
        for case in spec["cases"].values():
            found.add("fail" if case.get("expect") else "near miss" if case.get("files") else "base")
    for rule in all_rules():
        assert "fail" in kinds.get(rule.id, set()), f"{rule.id} needs a failing case"
        assert "near miss" in kinds.get(rule.id, set()), (
            f"{rule.id} needs a near miss: a passing case whose files: change the base bus"
        )


def test_every_entry_documents_itself() -> None:
    ids = [entry.id for entry in entries()]
    assert len(ids) == len(set(ids))
    for entry in entries():
        doc = entry.__doc__ or ""
        assert re.match(r"^BUS\d{3}$", entry.id)
        assert entry.summary().endswith("."), entry.id
        assert "**Bad**" in doc and "**Good**" in doc, f"{entry.id} docstring needs Bad/Good examples"
        assert entry.family != "load" or entry.locked, f"{entry.id}: a load error cannot be configurable"
