"""Render a LagReport: a terminal table, JSON (stable, versioned), Markdown, or workflow annotations."""

from __future__ import annotations

import json

from busctl.core.lag import GroupLag, LagReport, Status, report_to_dict
from busctl.core.units import format_age

_MARKS = {
    Status.OK: "✓",
    Status.BREAKS: "✗",
    Status.STUCK: "✗",
    Status.LOST: "✗",
    Status.NO_OFFSETS: "?",
    Status.NO_TOPIC: "?",
}
_COLUMNS = ("GROUP", "TOPIC", "TEAM", "LAG", "BEHIND", "MEMBERS", "OBJECTIVE", "STATUS")
_NUMERIC = (3, 4, 5)  # right-aligned columns
_NUMERIC = (3, 4, 5)  # right-aligned columns


def headline(report: LagReport) -> str:
    """'busctl lag · cluster prod · 4 groups · 1 breaks its objective'."""
    count = len(report.groups)
    failing = len(report.failing)
    verdict = f"{failing} break{'s' * (failing == 1)} the objective" if failing else "all within objective"
    sampled = f" · sampled twice, {report.interval:g}s apart" if report.interval is not None else ""
    return f"busctl lag · cluster {report.cluster} · {count} group{'s' * (count != 1)}{sampled} · {verdict}"


def _cells(group: GroupLag) -> tuple[str, ...]:
    lag = "-" if group.lag is None else str(group.lag)
    behind = "-" if group.seconds_behind is None else format_age(group.seconds_behind)
    status = "; ".join(group.problems) if group.status is not Status.OK else "ok"
    return (
        group.target.group,
        group.target.topic,
        group.target.team,
        lag,
        behind,
        str(group.members),
        group.target.objective.describe(),
        status,
    )


def as_text(report: LagReport, color: bool = False) -> str:
    """A table, one row per (group, topic), with the lagging partitions under each row."""
    lines = [headline(report), ""]
    if not report.groups:
        return "\n".join([*lines, "No consumer groups are declared."]) + "\n"
    rows = [_cells(g) for g in report.groups]
    widths = [max(len(c[i]) for c in [_COLUMNS, *rows]) for i in range(len(_COLUMNS) - 1)]

    def line(mark: str, cells: tuple[str, ...]) -> str:
        pairs = enumerate(zip(cells[:-1], widths, strict=True))
        padded = [c.rjust(w) if i in _NUMERIC else c.ljust(w) for i, (c, w) in pairs]
        return f"{mark} {'  '.join(padded)}  {cells[-1]}".rstrip()

    lines.append(line(" ", _COLUMNS))
    for group, cells in zip(report.groups, rows, strict=True):
        text = line(_MARKS[group.status], cells)
        if color and group.status.fails:
            text = f"\x1b[1;31m{text}\x1b[0m"
        lines.append(text)
        for p in group.partitions:
            if p.lag:
                age = "" if p.seconds_behind is None else f" · {format_age(p.seconds_behind)} behind"
                lines.append(
                    f"      partition {p.partition}: committed {p.committed} · end {p.log_end} · "
                    f"lag {p.lag}{age}{' · not moving' if p.moved is False else ''}"
                )
    return "\n".join(lines) + "\n"


def as_json(report: LagReport) -> str:
    """The stable JSON document."""
    return json.dumps(report_to_dict(report), indent=2, ensure_ascii=False) + "\n"


def as_markdown(report: LagReport) -> str:
    """A Markdown table (for a chat message or an issue)."""
    lines = [f"### {headline(report)}", "", "| | " + " | ".join(h.lower() for h in _COLUMNS) + " |"]
    lines.append("|---" * (len(_COLUMNS) + 1) + "|")
    for group in report.groups:
        cells = [c.replace("|", "&#124;") for c in _cells(group)]
        lines.append(
            f"| {_MARKS[group.status]} | "
            + " | ".join(f"`{c}`" if i < 2 else c for i, c in enumerate(cells))
            + " |"
        )
    return "\n".join(lines) + "\n"


def as_github(report: LagReport) -> str:
    """An error annotation on the topic file of each group that breaks its objective."""
    return "".join(
        f"::error file={g.target.file},title=busctl lag: {g.target.group}::"
        f"{g.target.topic}: {'; '.join(g.problems)}\n"
        for g in report.failing
    )
