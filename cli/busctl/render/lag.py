"""Render a LagReport: terminal text (80 columns), JSON (the lag-report document), Markdown, or
workflow annotations."""

from __future__ import annotations

from busctl.core.lag import GroupLag, LagReport, PartitionLag, Status
from busctl.core.units import format_age
from busctl.render.github import annotation, in_repository
from busctl.render.json import as_json as json_text
from busctl.render.style import Tone, paint, wrap
from busctl.reports.lag import lag_report

_MARKS = {
    Status.OK: "✓",
    Status.BREAKS: "✗",
    Status.STUCK: "✗",
    Status.LOST: "✗",
    Status.OVER: "!",
    Status.NO_OFFSETS: "?",
    Status.NO_TOPIC: "?",
}
_COLUMNS = ("GROUP", "TOPIC", "TEAM", "LAG", "BEHIND", "MEMBERS", "OBJECTIVE", "STATUS")
_INDENT = "    "


def _tone(status: Status) -> Tone:
    if status.fails:
        return Tone.ERROR
    return {Status.OVER: Tone.WARNING, Status.OK: Tone.OK}.get(status, Tone.NOTE)


def headline(report: LagReport) -> str:
    """'busctl lag · cluster prod · 4 groups · 1 breaks the objective'."""
    count, failing, over = len(report.groups), len(report.failing), len(report.over)
    if failing:
        verdict = f"{failing} break{'s' * (failing == 1)} the objective"
        verdict += f" · {over} over it now" if over else ""
    else:
        verdict = f"none fails · {over} over the objective now" if over else "all within objective"
    return f"busctl lag · cluster {report.cluster} · {count} group{'s' * (count != 1)} · {verdict}"


def _sampling(report: LagReport) -> str:
    if report.interval is None:
        return "one sample: no group needed a second to tell stuck from moving"
    return f"sampled twice, {report.interval:g}s apart, to tell stuck groups from moving ones"


def _lag(group: GroupLag) -> str:
    return "-" if group.lag is None else str(group.lag)


def _behind(group: GroupLag) -> str:
    return "-" if group.seconds_behind is None else format_age(group.seconds_behind)


def _partition_line(row: PartitionLag) -> str:
    age = "" if row.seconds_behind is None else f" · {format_age(row.seconds_behind)} behind"
    still = " · not moving" if row.moved is False else ""
    offsets = f"committed {row.committed} · end {row.log_end} · lag {row.lag}"
    return f"partition {row.partition}: {offsets}{age}{still}"


def _group_lines(group: GroupLag) -> list[str]:
    """One line for a healthy group; for any other its team, objective, problems and lagging
    partitions below it, each wrapped to 80 columns."""
    summary = f"{_MARKS[group.status]} {group.target.group} · {group.target.topic}"
    if group.lag is not None:
        summary += f" · lag {group.lag}"
    if group.seconds_behind is not None:
        summary += f" · {format_age(group.seconds_behind)} behind"
    lines = wrap(summary, hang=_INDENT)
    if group.status is Status.OK:
        return lines
    members = f"{group.members} member{'s' * (group.members != 1)}"
    context = f"team {group.target.team} · {members} · {group.target.objective.describe()}"
    lines += wrap(context, _INDENT)
    for problem in group.problems:
        lines += wrap(problem, _INDENT, _INDENT + "  ")
    if group.status is not Status.NO_TOPIC:
        for row in group.partitions:
            if row.lag:
                lines += wrap(_partition_line(row), _INDENT + "  ", _INDENT + "    ")
    return lines


def as_text(report: LagReport, color: bool = False) -> str:
    """Each (group, topic) on a line, failing and over ones followed by what is wrong."""
    lines = [paint(line, Tone.HEADER, color) for line in wrap(headline(report), hang="  ")]
    lines += [paint(line, Tone.NOTE, color) for line in wrap(_sampling(report))]
    lines.append("")
    if not report.groups:
        return "\n".join([*lines, "No consumer groups are declared."]) + "\n"
    for group in report.groups:
        tone = _tone(group.status)
        lines += [paint(line, tone, color) for line in _group_lines(group)]
    return "\n".join(lines) + "\n"


def as_json(report: LagReport) -> str:
    """The lag-report document."""
    return json_text(lag_report(report))


def _cells(group: GroupLag) -> tuple[str, ...]:
    status = "; ".join(group.problems) if group.status is not Status.OK else "ok"
    return (
        group.target.group,
        group.target.topic,
        group.target.team,
        _lag(group),
        _behind(group),
        str(group.members),
        group.target.objective.describe(),
        status,
    )


def as_markdown(report: LagReport) -> str:
    """A Markdown table (for a chat message or an issue)."""
    lines = [
        f"### {headline(report)}",
        "",
        _sampling(report),
        "",
        "| | " + " | ".join(h.lower() for h in _COLUMNS) + " |",
    ]
    lines.append("|---" * (len(_COLUMNS) + 1) + "|")
    for group in report.groups:
        cells = [c.replace("|", "&#124;") for c in _cells(group)]
        lines.append(
            f"| {_MARKS[group.status]} | "
            + " | ".join(f"`{c}`" if i < 2 else c for i, c in enumerate(cells))
            + " |"
        )
    return "\n".join(lines) + "\n"


def as_github(report: LagReport, root: str = "") -> str:
    """An error annotation on the topic file of each group that breaks its objective, a warning on
    each over it now but not known to last its `for` (files under `root`)."""
    return "".join(
        annotation(
            "error" if g.status.fails else "warning",
            f"{g.target.topic}: {'; '.join(g.problems)}",
            file=in_repository(root, g.target.file),
            title=f"busctl lag: {g.target.group}",
        )
        + "\n"
        for g in report.groups
        if g.status.fails or g.status is Status.OVER
    )
