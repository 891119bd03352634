"""Every check rule against its cases file (tests/check/cases/<ID>.yaml).

A case overlays `base:` files on tests/rules/base to make the bus before a change, then `head:` files on
that to make the bus after it, and lists the findings of the rule (code, file, line) under `expect:`.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from busctl.core.compare import topic_changes
from busctl.core.topic_configs import load_catalogue
from busctl.loading.bus import load_bus
from busctl.rules.base import CheckContext, check_rules
from tests.conftest import BASE_BUS, write_files

CASES_DIR = Path(__file__).parent / "cases"


def _cases() -> list[Any]:
    params = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        spec = yaml.safe_load(path.read_text("utf-8"))
        params += [
            pytest.param(spec["rule"], case, id=f"{spec['rule']}_{name}")
            for name, case in spec["cases"].items()
        ]
    return params


def _bus(root: Path, *overlays: dict[str, str | None]) -> Any:
    shutil.copytree(BASE_BUS, root)
    for files in overlays:
        write_files(root, files or {})
    bus, report = load_bus(root)
    assert not report.errors, [f"{d.span} {d.message}" for d in report.errors]
    return bus


@pytest.mark.parametrize(("rule_id", "case"), _cases())
def test_check_rule_case(rule_id: str, case: dict[str, Any], tmp_path: Path) -> None:
    base = _bus(tmp_path / "base", case.get("base", {}))
    head = _bus(tmp_path / "head", case.get("base", {}), case.get("head", {}))
    context = CheckContext(
        base=base, head=head, changes=topic_changes(base, head), catalogue=load_catalogue()
    )
    found = [d for rule in check_rules() if rule.id == rule_id for d in rule.check(context)]
    got = sorted((d.code, d.span.file, d.span.line) for d in found)
    expected = sorted((e["code"], e["file"], e["line"]) for e in case.get("expect", []))
    assert got == expected, [f"{d.span} {d.message}" for d in found]
    for finding, wanted in zip(
        sorted(found, key=lambda d: d.span),
        sorted(case.get("expect", []), key=lambda e: (e["file"], e["line"])),
        strict=True,
    ):
        assert finding.subject, "a check finding names its topic"
        if "message" in wanted:
            assert wanted["message"] in finding.message
        if "hint" in wanted:
            assert wanted["hint"] in (finding.hint or "")


def test_every_check_rule_has_cases_and_documents_itself() -> None:
    covered: dict[str, set[str]] = {}
    for path in CASES_DIR.glob("*.yaml"):
        spec = yaml.safe_load(path.read_text("utf-8"))
        covered[spec["rule"]] = {
            "fail" if c.get("expect") else "near miss" if c.get("head") else "unchanged"
            for c in spec["cases"].values()
        }
    for rule in check_rules():
        assert {"fail", "near miss"} <= covered.get(rule.id, set()), (
            f"{rule.id} needs a failing case and a near miss (a passing case whose head: changes the bus)"
        )
        doc = type(rule).__doc__ or ""
        assert re.match(r"^BUS5\d\d$", rule.id) and "**Bad**" in doc and "**Good**" in doc
