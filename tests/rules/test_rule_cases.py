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
from busctl.rules.base import all_rules

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


def test_every_rule_has_passing_and_failing_cases() -> None:
    covered: dict[str, set[str]] = {}
    for path in CASES_DIR.glob("*.yaml"):
        spec = yaml.safe_load(path.read_text("utf-8"))
        kinds = covered.setdefault(spec["rule"], set())
        for case in spec["cases"].values():
            kinds.add("fail" if case.get("expect") else "pass")
    for rule in all_rules():
        assert covered.get(rule.id) == {"pass", "fail"}, f"{rule.id} needs a passing and a failing case"


def test_every_rule_documents_itself() -> None:
    ids = [rule.id for rule in all_rules()]
    assert len(ids) == len(set(ids))
    for rule in all_rules():
        doc = type(rule).__doc__ or ""
        assert re.match(r"^BUS\d{3}$", rule.id)
        assert rule.summary().endswith("."), rule.id
        assert "**Bad**" in doc and "**Good**" in doc, f"{rule.id} docstring needs Bad/Good examples"
