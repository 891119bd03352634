"""`busctl schema show` and `busctl schema list` as text (within 80 columns) and markdown."""

from __future__ import annotations

from rich.cells import cell_len

from busctl.core.diagnostics import printable
from busctl.render.columns import Column, table
from busctl.render.style import WIDTH, Tone, paint, wrap
from busctl.reports.schema import SchemaListReport, SchemaShowReport

LABEL = 15


def _intro(report: SchemaShowReport) -> str:
    """What was shown instead of the query, when the query named a topic."""
    return f"{report.query} is a topic: its value message is shown" if report.named == "topic" else ""


def _rows(report: SchemaShowReport) -> list[tuple[str, list[str]]]:
    owner = report.owner
    team = f"{owner.team} ({owner.github})" if owner.github else owner.team or "(nobody)"
    topics = [
        f"{c.topic} ({', '.join(c.carries)}" + (f"; owner {c.owner})" if c.owner != owner.team else ")")
        for c in report.topics
    ]
    return [
        ("defined at", [report.defined_at]),
        ("owner", [team]),
        ("chat", [owner.chat or "(no chat room in teams.yaml)"]),
        ("why", report.owner_why),
        ("topics", topics or ["- (no topic carries it)"]),
        ("consumers", [f"{c.group} ({c.team}) on {c.topic}" for c in report.consumers] or ["-"]),
    ]


def _history(report: SchemaShowReport) -> list[str]:
    """One line per commit (sha, date, author: subject), and how many more there are."""
    history = report.history
    if history.note:
        return [history.note]
    lines = [f"{c.sha}  {c.date}  {printable(c.author)}: {printable(c.subject)}" for c in history.commits]
    hidden = history.total - len(history.commits)
    if hidden:
        lines.append(f"and {hidden} more ({history.command})")
    return lines or ["no commit changed it"]


def _source(report: SchemaShowReport) -> list[str]:
    """The definition with line numbers; a line wider than the screen wraps under its number."""
    definition = report.definition
    gutter = len(str(definition.end_line)) + 2
    lines = []
    for number, line in enumerate(definition.text.split("\n"), definition.start_line):
        shown = f"{number:>{gutter}}  {printable(line.expandtabs(2))}".rstrip()
        lines += [shown] if cell_len(shown) <= WIDTH else wrap(shown, "", " " * (gutter + 4))
    return lines


def show_text(report: SchemaShowReport, color: bool) -> str:
    """The message's facts under its name, then its definition, then its history."""
    lines = [paint(intro, Tone.NOTE, color) for intro in [_intro(report)] if intro]
    lines.append(paint(report.message, Tone.HEADER, color))
    for label, values in _rows(report):
        for index, value in enumerate(values):
            lines += wrap(value, f"  {label if index == 0 else '':<{LABEL - 2}}", " " * (LABEL + 2))
    lines += ["", *_source(report), ""]
    title = f"history  {report.history.command}" if report.history.command else "history"
    lines += [paint(line, Tone.HEADER, color) for line in wrap(title, "", " " * 9)]
    lines += [line for entry in _history(report) for line in wrap(entry, "  ", " " * 6)]
    return "\n".join(lines) + "\n"


def show_markdown(report: SchemaShowReport) -> str:
    """A two-column table under the message, its definition as a proto block, and its history."""
    lines = [f"_{_intro(report)}_", ""] if _intro(report) else []
    lines += [f"**{report.message}**", "", "| | |", "|---|---|"]
    lines += [f"| {label} | {'<br>'.join(f'`{v}`' for v in values)} |" for label, values in _rows(report)]
    lines += ["", "```proto", report.definition.text, "```", "", "History:", ""]
    lines += [f"- {entry}" for entry in _history(report)]
    return "\n".join(lines) + "\n"


def _listed_rows(report: SchemaListReport) -> list[list[str]]:
    return [
        [m.message, m.team or "(nobody)", ", ".join(m.topics) or "-", m.defined_at] for m in report.messages
    ]


def _nothing(report: SchemaListReport) -> str:
    return f"team {report.team} owns no message\n" if report.team else "the schemas define no message\n"


def list_text(report: SchemaListReport, color: bool) -> str:
    """A table of message and owner; under each row, where the message is defined and its topics
    (names whole: a table column would cut them)."""
    if not report.messages:
        return _nothing(report)
    rows = _listed_rows(report)
    header, *body = table([Column("MESSAGE"), Column("OWNER")], [r[:2] for r in rows], color=color)
    details = iter(
        [f"  {row[3]}", *wrap(row[2] if row[2] != "-" else "(no topic carries it)", "  topics  ", " " * 10)]
        for row in rows
    )
    lines = [header]
    for line in body:  # a row starts with its message's name, a continuation line with spaces
        if not line.startswith(" ") and len(lines) > 1:
            lines += next(details)
        lines.append(line)
    lines += next(details)
    return "\n".join(lines) + "\n"


def list_markdown(report: SchemaListReport) -> str:
    """A table of the messages."""
    if not report.messages:
        return _nothing(report)
    lines = ["| message | owner | topics | defined at |", "|---|---|---|---|"]
    lines += ["| " + " | ".join(f"`{cell}`" for cell in row) + " |" for row in _listed_rows(report)]
    return "\n".join(lines) + "\n"
