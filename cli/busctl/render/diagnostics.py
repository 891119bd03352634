"""Render lint diagnostics as text, JSON (the lint-report), GitHub annotations, Markdown or SARIF."""

from __future__ import annotations

from busctl.core.diagnostics import Diagnostic, Severity
from busctl.render import json, sarif
from busctl.render.github import annotation, in_repository, severity_level
from busctl.render.style import Tone, paint, severity_tone, wrap
from busctl.reports.lint import lint_report


def summary(diagnostics: list[Diagnostic], files: int) -> str:
    """'2 errors, 1 warning in 35 files', or 'no problems in 35 files (1 note)'."""
    counts = {s: sum(d.severity is s for d in diagnostics) for s in Severity}
    parts = [f"{n} {s.value}{'s' * (n != 1)}" for s, n in counts.items() if n]
    if not counts[Severity.ERROR] and not counts[Severity.WARNING]:
        return f"no problems in {files} files" + (f" ({parts[0]})" if parts else "")
    return f"{', '.join(parts)} in {files} files"


def as_text(diagnostics: list[Diagnostic], files: int, color: bool = False) -> str:
    """One finding per paragraph, `file:line:col: severity CODE message` with its hint below, every
    line within WIDTH; the severity painted by its tone when `color`."""
    lines: list[str] = []
    for d in diagnostics:
        severity, lead = d.severity.value, f"{d.span}: "
        head = wrap(f"{lead}{severity} {d.code} {d.message}", hang="    ")
        for index, before in enumerate((lead, "    ")[: len(head)]):  # a long path pushes it down
            if head[index].startswith(f"{before}{severity} "):
                rest = head[index][len(before + severity) :]
                head[index] = before + paint(severity, severity_tone(severity), color) + rest
                break
        lines += head
        if d.hint:
            lines += [paint(line, Tone.NOTE, color) for line in wrap(d.hint, "    hint: ", " " * 10)]
    worst = min((d.severity for d in diagnostics), key=list(Severity).index, default=None)
    tone = Tone.OK if worst is None else severity_tone(worst.value)
    lines.append(paint(summary(diagnostics, files), tone, color))
    return "\n".join(lines) + "\n"


def as_json(diagnostics: list[Diagnostic], files: int) -> str:
    """The lint document ("lint-report", format_version 1)."""
    return json.as_json(lint_report(diagnostics, files))


def as_github(diagnostics: list[Diagnostic], files: int, root: str = "") -> str:
    """GitHub workflow annotations, `::error file=F,line=L,col=C,title=CODE::message`, then the summary
    (files under `root`, the bus repo's directory in the git repository)."""
    lines = [
        annotation(
            severity_level(d.severity),
            d.message + (f"\n{d.hint}" if d.hint else ""),
            file=in_repository(root, d.span.file),
            line=d.span.line,
            col=d.span.col,
            title=d.code,
        )
        for d in diagnostics
    ]
    lines.append(summary(diagnostics, files))
    return "\n".join(lines) + "\n"


def as_sarif(diagnostics: list[Diagnostic], files: int, root: str = "") -> str:
    """A SARIF 2.1.0 log of the findings (for GitHub code scanning; files under `root`)."""
    return sarif.as_sarif([(d, "") for d in diagnostics], root)


def as_markdown(diagnostics: list[Diagnostic], files: int) -> str:
    """A Markdown table for a pull-request comment."""
    icon = {Severity.ERROR: ":x:", Severity.WARNING: ":warning:", Severity.NOTE: ":information_source:"}
    lines = [f"**busctl lint**: {summary(diagnostics, files)}", ""]
    if diagnostics:
        lines += ["| | where | rule | problem |", "|---|---|---|---|"]
        for d in diagnostics:
            problem = d.message + (f"<br>_{d.hint}_" if d.hint else "")
            lines.append(f"| {icon[d.severity]} | `{d.span}` | {d.code} | {problem.replace('|', '&#124;')} |")
    return "\n".join(lines) + "\n"
