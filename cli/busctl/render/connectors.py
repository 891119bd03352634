"""Render a ConnectorsStatus: terminal text (80 columns), JSON (the connectors-status-report document),
Markdown, or workflow annotations."""

from __future__ import annotations

from busctl.core.connectors import ConnectorsStatus, Health
from busctl.render import markdown
from busctl.render.github import annotation, in_repository
from busctl.render.json import as_json as json_text
from busctl.render.style import Tone, paint, wrap
from busctl.reports.connectors import status_report

_NAME = 30


def headline(status: ConnectorsStatus) -> str:
    """'busctl connectors status · cluster prod · 3 connectors · 1 not as declared'."""
    count, failing = len(status.connectors), len(status.failing)
    verdict = f"{failing} not as declared" if failing else "all as declared"
    connectors = f"{count} connector{'s' * (count != 1)}"
    return f"busctl connectors status · cluster {status.cluster} · {connectors} · {verdict}"


def _tasks(found: Health) -> str:
    if not found.tasks:
        return "no tasks"
    states: dict[str, int] = {}
    for task in found.tasks:
        states[task.state] = states.get(task.state, 0) + 1
    return "tasks: " + ", ".join(f"{n} {state}" for state, n in states.items())


def _lines(found: Health, color: bool) -> list[str]:
    mark = "✗" if found.problem else "✓"
    what = f"{found.state or 'absent'} · {_tasks(found)} · {found.owner}"
    head = (
        f"{mark} {found.name:<{_NAME}} {what}" if len(found.name) < _NAME else f"{mark} {found.name}  {what}"
    )
    lines = [paint(line, Tone.ERROR if found.problem else Tone.OK, color) for line in wrap(head, hang="    ")]
    if found.problem:
        lines += wrap(found.problem, indent="    ", hang="      ")
    return lines


def as_text(status: ConnectorsStatus, color: bool = False) -> str:
    lines = [paint(line, Tone.HEADER, color) for line in wrap(headline(status), hang="  ")]
    lines += [*wrap(f"Connect {status.version or '?'} at {status.url}", indent="  ", hang="  "), ""]
    for found in status.connectors:
        lines += _lines(found, color)
    if not status.connectors:
        lines.append("no connector is declared on this cluster")
    if status.unmanaged:
        lines += [
            "",
            *wrap("unmanaged (not declared; left alone): " + ", ".join(status.unmanaged), hang="  "),
        ]
    return "\n".join(lines) + "\n"


def as_json(status: ConnectorsStatus) -> str:
    return json_text(status_report(status))


def as_markdown(status: ConnectorsStatus) -> str:
    lines = [
        f"### {markdown.text(headline(status))}",
        "",
        "| | connector | state | tasks | owner | problem |",
    ]
    lines.append("|---|---|---|---|---|---|")
    for found in status.connectors:
        cells = [
            "✗" if found.problem else "✓",
            markdown.code(found.name),
            markdown.text(found.state or "absent"),
            markdown.text(_tasks(found)),
            markdown.text(found.owner),
            markdown.text(found.problem),
        ]
        lines.append(f"| {' | '.join(cells)} |")
    return "\n".join(lines) + "\n"


def as_github(status: ConnectorsStatus, root: str = "") -> str:
    """An error annotation on the file of each connector not running as declared."""
    return "".join(
        annotation(
            "error",
            f"{found.name}: {found.problem}",
            file=in_repository(root, found.file),
            title="busctl connectors status",
        )
        + "\n"
        for found in status.failing
    )
