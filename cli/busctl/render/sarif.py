"""SARIF 2.1.0 logs of lint and check findings, for GitHub code scanning (`upload-sarif`).

One run; the driver lists every registry entry (then any other code found, such as buf's), each
result points at its rule by id and index, at its file relative to the repo root (`%SRCROOT%`) and,
when it has one, at its 1-based line and column (counted in Unicode code points, as busctl does).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from busctl import __version__
from busctl.core.diagnostics import Diagnostic, Severity
from busctl.render.github import in_repository
from busctl.rules.base import entries

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"

Finding = tuple[Diagnostic, str]
"""A diagnostic and the reason its break was approved ('' when it was not)."""


def level(severity: Severity) -> str:
    """SARIF's level for a severity: error, warning, or note for anything milder."""
    return {Severity.ERROR: "error", Severity.WARNING: "warning"}.get(severity, "note")


def as_sarif(findings: Sequence[Finding], root: str = "") -> str:
    """The SARIF log of `findings`, as indented UTF-8 JSON ending in a newline; their files are in
    the bus repo, the directory `root` of the repository (`%SRCROOT%`)."""
    rules = _rules(findings)
    index = {rule["id"]: n for n, rule in enumerate(rules)}
    run = {
        "tool": {
            "driver": {
                "name": "busctl",
                "version": __version__,
                "rules": rules,
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": [_result(d, approved, index[d.code], root) for d, approved in findings],
    }
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _rules(findings: Sequence[Finding]) -> list[dict[str, Any]]:
    """Every registry entry (load codes, lint and check rules), then the codes of `findings` the
    registry does not hold (buf's)."""
    rules: dict[str, dict[str, Any]] = {}
    for entry in entries():
        doc = entry.doc()
        markdown = doc.replace("\n", "  \n")  # a hard break: Bad and Good stay on their lines
        rules[entry.id] = {
            "id": entry.id,
            "name": entry.name,
            "shortDescription": {"text": entry.summary()},
            "fullDescription": {"text": doc},
            "help": {"text": doc, "markdown": markdown},
            "defaultConfiguration": {
                "level": level(entry.severity),
                **({"enabled": False} if entry.opt_in else {}),  # off until bus.yaml turns it on
            },
        }
    for d, _ in findings:
        if d.code not in rules:
            rules[d.code] = {"id": d.code, **({"name": d.name} if d.name else {})}
    return list(rules.values())


def _result(d: Diagnostic, approved: str, rule_index: int, root: str) -> dict[str, Any]:
    region = {"startLine": d.span.line, **({"startColumn": d.span.col} if d.span.col > 0 else {})}
    location = {
        "physicalLocation": {
            "artifactLocation": {"uri": quote(in_repository(root, d.span.file)), "uriBaseId": SRCROOT},
            **({"region": region} if d.span.line > 0 else {}),
        }
    }
    result: dict[str, Any] = {
        "ruleId": d.code,
        "ruleIndex": rule_index,
        "level": "note" if approved else level(d.severity),
        "message": {"text": d.message + (f"\nhint: {d.hint}" if d.hint else "")},
        "locations": [location],
    }
    if approved:
        result["suppressions"] = [{"kind": "inSource", "justification": approved}]
    return result
