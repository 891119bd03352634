"""Render a CheckResult as text, JSON (format_version 1), GitHub annotations or Markdown (PR comment)."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from busctl.check import CheckResult, Finding
from busctl.core.diagnostics import Severity

CHECK_FORMAT_VERSION = 1


def _status(finding: Finding) -> str:
    if finding.approved:
        return "approved"
    return "breaking" if finding.diagnostic.severity is Severity.ERROR else "warning"


def headline(result: CheckResult) -> str:
    return _headline(as_dict(result))


def _headline(document: dict[str, Any]) -> str:
    counts: dict[str, int] = defaultdict(int)
    for finding in document["findings"]:
        counts[finding["status"]] += 1
    parts = [f"{counts[k]} {k}" for k in ("breaking", "approved", "warning") if counts[k]]
    return (
        f"busctl check · against {document['ref']} (merge base {document['merge_base'][:10]}) · "
        f"{', '.join(parts) or 'no breaking changes'}"
    )


def _ownership(result: CheckResult) -> dict[str, list[str]]:
    files: dict[str, list[str]] = defaultdict(list)
    for owner in result.changed:
        files[owner.team or "(nobody)"].append(owner.path)
    return dict(sorted(files.items()))


def _chat(result: CheckResult, team: str) -> str:
    info = result.head.teams.get(team)
    return (info.chat or "") if info else ""


def _github(result: CheckResult, team: str) -> str | None:
    info = result.head.teams.get(team)
    return info.github if info else None


def as_text(result: CheckResult) -> str:
    lines = [headline(result), ""]
    symbols = {"breaking": "✗", "approved": "✓", "warning": "!"}
    for finding in result.findings:
        d = finding.diagnostic
        lines.append(f"{symbols[_status(finding)]} {d.code} {d.span}: {d.message}")
        if finding.topics:
            lines.append(f"    topics: {', '.join(finding.topics)}")
        if finding.teams:
            lines.append(
                "    notify: "
                + ", ".join(f"{t} ({_chat(result, t) or 'no chat room'})" for t in finding.teams)
            )
        if finding.consumers:
            lines.append(f"    consumers: {', '.join(finding.consumers)}")
        if finding.approved:
            lines.append(f"    approved: {finding.approved}")
        elif d.hint:
            lines.append(f"    hint: {d.hint}")
    if not result.findings:
        lines.append("Nothing in this change breaks producers or consumers.")
    ownership = _ownership(result)
    if ownership:
        lines += [
            "",
            f"ownership: this change touches files of {len(ownership)} team(s); each should review:",
        ]
        for team, paths in ownership.items():
            lines.append(f"  {team:<14} {_chat(result, team) or '-'}")
            lines += [f"      {path}" for path in paths]
    return "\n".join(lines) + "\n"


def as_dict(result: CheckResult) -> dict[str, Any]:
    return {
        "format_version": CHECK_FORMAT_VERSION,
        "ref": result.ref,
        "merge_base": result.base_sha,
        "summary": {
            "breaking": len(result.unapproved),
            "approved": sum(bool(f.approved) for f in result.findings),
            "findings": len(result.findings),
        },
        "findings": [
            {
                "code": f.diagnostic.code,
                "severity": f.diagnostic.severity.value,
                "status": _status(f),
                "message": f.diagnostic.message,
                "hint": f.diagnostic.hint,
                "file": f.diagnostic.span.file,
                "line": f.diagnostic.span.line,
                "column": f.diagnostic.span.col,
                "subject": f.diagnostic.subject,
                "topics": f.topics,
                "teams": f.teams,
                "consumers": f.consumers,
                "approved": f.approved or None,
            }
            for f in result.findings
        ],
        "ownership": [
            {"team": team, "chat": _chat(result, team) or None, "files": paths}
            for team, paths in _ownership(result).items()
        ],
        "teams_to_notify": result.teams_to_ask,
        "notify": [
            {"team": team, "chat": _chat(result, team) or None, "github": _github(result, team)}
            for team in result.teams_to_ask
        ],
    }


def as_json(result: CheckResult) -> str:
    return json.dumps(as_dict(result), indent=2, ensure_ascii=False) + "\n"


def as_github(result: CheckResult) -> str:
    level = {"breaking": "error", "warning": "warning", "approved": "notice"}
    lines = []
    for finding in result.findings:
        d = finding.diagnostic
        where = f"file={d.span.file}" + (
            f",line={d.span.line},col={max(d.span.col, 1)}" if d.span.line else ""
        )
        text = d.message + (f" (approved: {finding.approved})" if finding.approved else "")
        if finding.teams:
            text += f" -- notify: {', '.join(finding.teams)}"
        lines.append(f"::{level[_status(finding)]} {where},title={d.code}::{text}".replace("\n", "%0A"))
    lines.append(headline(result))
    return "\n".join(lines) + "\n"


def as_markdown(result: CheckResult) -> str:
    """The PR-comment rendering (from the JSON document, so a saved `--format json` renders the same)."""
    return markdown_from_dict(as_dict(result))


def markdown_from_dict(document: dict[str, Any], owners: bool = True) -> str:
    """Markdown for a check JSON document (format_version 1); `owners=False` leaves out the owners to
    ask (the PR comment lists them in its own table)."""
    icon = {"breaking": ":x:", "approved": ":white_check_mark:", "warning": ":warning:"}
    findings = document["findings"]
    lines = [f"### {_headline(document)}", ""]
    if findings:
        lines += ["| | rule | where | what | topics | notify |", "|---|---|---|---|---|---|"]
        for f in findings:
            what = f["message"].replace("|", "&#124;").replace("\n", "<br>")
            if f["approved"]:
                what += f"<br>_approved: {f['approved']}_"
            where = f["file"] + (f":{f['line']}:{f['column']}" if f["line"] else "")
            lines.append(
                f"| {icon[f['status']]} | {f['code']} | `{where}` | {what} | "
                f"{', '.join(f'`{t}`' for t in f['topics'])} | {', '.join(f['teams'])} |"
            )
    else:
        lines.append("Nothing in this change breaks producers or consumers.")
    if owners and document["ownership"]:
        lines += [
            "",
            "**Owners to ask:** "
            + ", ".join(f"{o['team']} ({o['chat'] or 'no chat room'})" for o in document["ownership"]),
        ]
    return "\n".join(lines) + "\n"
