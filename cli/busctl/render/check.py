"""Render a CheckResult as text, JSON (the check-report), GitHub annotations, Markdown (the PR
comment) or SARIF."""

from __future__ import annotations

from collections import defaultdict

from busctl.check import CheckResult
from busctl.render import json, sarif
from busctl.render.github import Level, annotation, in_repository
from busctl.render.style import Tone, paint, wrap
from busctl.reports.check import CheckReport, chat_of, check_report, files_by_team, status_of


def headline(result: CheckResult) -> str:
    """`busctl check · against REF (merge base SHA) · counts`."""
    return _headline(check_report(result))


def _headline(report: CheckReport) -> str:
    counts: dict[str, int] = defaultdict(int)
    for finding in report.findings:
        counts[finding.status] += 1
    parts = [f"{counts[k]} {k}" for k in ("breaking", "approved", "warning") if counts[k]]
    parts += [f"{counts['note']} note{'s' * (counts['note'] != 1)}"] if counts["note"] else []
    return (
        f"busctl check · against {report.ref} (merge base {report.merge_base[:10]}) · "
        f"{', '.join(parts) or 'no breaking changes'}"
    )


_SYMBOLS = {"breaking": "✗", "approved": "✓", "warning": "!", "note": "·"}
_TONES = {"breaking": Tone.ERROR, "approved": Tone.OK, "warning": Tone.WARNING, "note": Tone.NOTE}


def _labelled(label: str, text: str, tone: Tone | None = None, color: bool = False) -> list[str]:
    """`    label: text`, continued under the text, within WIDTH."""
    lines = wrap(text, indent=f"    {label}: ", hang=" " * (len(label) + 6))
    return [paint(line, tone, color) for line in lines] if tone else lines


def as_text(result: CheckResult, color: bool = False) -> str:
    """Findings with what they touch and whom to notify, then ownership; every line within WIDTH."""
    lines = [paint(line, Tone.HEADER, color) for line in wrap(headline(result), hang="  ")] + [""]
    for finding in result.findings:
        d, status = finding.diagnostic, status_of(finding)
        mark = paint(f"{_SYMBOLS[status]} {d.code}", _TONES[status], color)
        head = wrap(f"{d.span}: {d.message}", indent=f"{_SYMBOLS[status]} {d.code} ", hang="    ")
        lines += [mark + head[0][len(f"{_SYMBOLS[status]} {d.code}") :], *head[1:]]
        if finding.topics:
            lines += _labelled("topics", ", ".join(finding.topics))
        if finding.teams:
            rooms = ", ".join(f"{t} ({chat_of(result, t) or 'no chat room'})" for t in finding.teams)
            lines += _labelled("notify", rooms)
        if finding.consumers:
            lines += _labelled("consumers", ", ".join(finding.consumers))
        if finding.approved:
            lines += _labelled("approved", finding.approved, Tone.OK, color)
        elif d.hint:
            lines += _labelled("hint", d.hint, Tone.NOTE, color)
    if not result.findings:
        lines.append(paint("Nothing in this change breaks producers or consumers.", Tone.OK, color))
    ownership = files_by_team(result)
    if ownership:
        intro = f"ownership: this change touches files of {len(ownership)} team(s); each should review:"
        lines += ["", *[paint(line, Tone.HEADER, color) for line in wrap(intro, hang="  ")]]
        for team, paths in ownership.items():
            lines += wrap(chat_of(result, team) or "-", indent=f"  {team:<14} ", hang=" " * 17)
            for path in paths:
                lines += wrap(path, indent="      ")
    return "\n".join(lines) + "\n"


def as_json(result: CheckResult) -> str:
    """The check document ("check-report", format_version 1)."""
    return json.as_json(check_report(result))


_LEVELS: dict[str, Level] = {
    "breaking": "error",
    "warning": "warning",
    "approved": "notice",
    "note": "notice",
}


def as_github(result: CheckResult, root: str = "") -> str:
    """A workflow annotation per finding (approved breaks as notices), then the headline (files under
    `root`, the bus repo's directory in the git repository)."""
    lines = []
    for finding in result.findings:
        d = finding.diagnostic
        text = d.message + (f" (approved: {finding.approved})" if finding.approved else "")
        if finding.teams:
            text += f" -- notify: {', '.join(finding.teams)}"
        level = _LEVELS[status_of(finding)]
        lines.append(
            annotation(
                level,
                text,
                file=in_repository(root, d.span.file),
                line=d.span.line,
                col=d.span.col,
                title=d.code,
            )
        )
    lines.append(headline(result))
    return "\n".join(lines) + "\n"


def as_sarif(result: CheckResult, root: str = "") -> str:
    """A SARIF 2.1.0 log of the findings (for GitHub code scanning; files under `root`); approved
    breaks are notes with the approval as their suppression."""
    return sarif.as_sarif([(f.diagnostic, f.approved) for f in result.findings], root)


def as_markdown(result: CheckResult) -> str:
    """The PR-comment rendering (from the document, so a saved `--format json` renders the same)."""
    return markdown_from_report(check_report(result))


def markdown_from_report(report: CheckReport, owners: bool = True) -> str:
    """Markdown for a check document; `owners=False` leaves out the owners to ask (the PR comment
    lists them in its own table)."""
    icon = {
        "breaking": ":x:",
        "approved": ":white_check_mark:",
        "warning": ":warning:",
        "note": ":information_source:",
    }
    lines = [f"### {_headline(report)}", ""]
    if report.findings:
        lines += ["| | rule | where | what | topics | notify |", "|---|---|---|---|---|---|"]
        for f in report.findings:
            what = f.message.replace("|", "&#124;").replace("\n", "<br>")
            if f.approved:
                what += f"<br>_approved: {f.approved}_"
            where = f.file + (f":{f.line}:{f.column}" if f.line else "")
            lines.append(
                f"| {icon[f.status]} | {f.code} | `{where}` | {what} | "
                f"{', '.join(f'`{t}`' for t in f.topics)} | {', '.join(f.teams)} |"
            )
    else:
        lines.append("Nothing in this change breaks producers or consumers.")
    if owners and report.ownership:
        lines += [
            "",
            "**Owners to ask:** "
            + ", ".join(f"{o.team} ({o.chat or 'no chat room'})" for o in report.ownership),
        ]
    return "\n".join(lines) + "\n"
