"""`busctl owner` as text (labelled rows within 80 columns) and markdown."""

from __future__ import annotations

from busctl.core.topic_configs import load_catalogue
from busctl.render.style import wrap
from busctl.reports.owner import OwnedItem, OwnerReport, TeamContact

LABEL = 10


def _contact(team: TeamContact) -> str:
    return f"{team.team} ({team.github})" if team.github else team.team


def _item(report: OwnerReport, item: OwnedItem) -> str:
    """An item's name, with its owner unless the answer has that one team."""
    if item.team and item.team == report.team:
        return item.name
    return f"{item.name}  ({item.team or 'nobody'})"


def _rows(report: OwnerReport) -> list[tuple[str, list[str]]]:
    rows: list[tuple[str, list[str]]] = []
    if report.team or not report.teams:
        own = next((t for t in report.teams if t.team == report.team), None)
        rows.append(("team", [_contact(own) if own else report.team or "(nobody)"]))
        rows.append(("chat", [report.chat or "(no chat room in teams.yaml)"]))
    else:
        rows.append(("teams", [f"{_contact(t)}  {t.chat or '(no chat room)'}" for t in report.teams]))
    if report.items:
        for role in ("owns", "produces", "consumes"):
            shown = [_item(report, i) for i in report.items if i.role == role and i.kind == "topic"]
            if shown:
                rows.append((role if role != "owns" else "topics", shown))
        files = [_item(report, i) for i in report.items if i.kind == "file"]
        rows.append(("files", list(dict.fromkeys(files)) or ["-"]))
    else:
        rows += [("topics", report.topics or ["-"]), ("files", report.files or ["-"])]
    if report.placement:
        catalogue = load_catalogue()
        rows += [
            (
                f"on {placed.cluster}",
                [f"{v.key} = {catalogue.display(v.key, v.value)}  ({v.set_by})" for v in placed.values],
            )
            for placed in report.placement
        ]
    elif report.config:
        catalogue = load_catalogue()
        rows.append(("config", [f"{k} = {catalogue.display(k, v)}" for k, v in report.config.items()]))
    rows.append(("why", report.why))
    return rows


def as_text(report: OwnerReport) -> str:
    """Labelled rows; long values wrap under their label."""
    lines = []
    for label, values in _rows(report):
        if len(label) >= LABEL:  # a long label (on CLUSTER) gets a line of its own
            lines.append(label)
            label = ""
        for index, value in enumerate(values):
            lines += wrap(value, f"{label if index == 0 else '':<{LABEL}}", " " * (LABEL + 2))
    return "\n".join(lines) + "\n"


def as_markdown(report: OwnerReport) -> str:
    """A two-column table under the query."""
    lines = [f"**{report.query}** ({report.kind})", "", "| | |", "|---|---|"]
    lines += [f"| {label} | {'<br>'.join(f'`{v}`' for v in values)} |" for label, values in _rows(report)]
    return "\n".join(lines) + "\n"
