"""`busctl topics` as text (an 80-column table) and markdown."""

from __future__ import annotations

from collections import Counter

from busctl.core.inventory import DriftStatus
from busctl.render.columns import Column, table
from busctl.render.style import Tone, paint, wrap
from busctl.reports.topics import TopicEntry, TopicsReport

LEGEND = "PARTS (partitions) and RF (replication factor)"
DRIFT_TONES = {
    DriftStatus.IN_SYNC: Tone.OK,
    DriftStatus.DIFFERS: Tone.WARNING,
    DriftStatus.MISSING: Tone.WARNING,
    DriftStatus.TOMBSTONED: Tone.WARNING,
    DriftStatus.INVISIBLE: Tone.ERROR,
    DriftStatus.UNMANAGED: Tone.NOTE,
}


def _number(value: int | None) -> str:
    return "-" if value is None else str(value)


def _pair(declared: int | None, actual: int | None) -> str:
    return f"{_number(declared)}/{_number(actual)}"


def drift_text(entry: TopicEntry) -> str:
    """ "differs: retention.ms, partitions", "in sync", "missing", ..."""
    if entry.drift is None:
        return ""
    status = entry.drift.status.value.replace("-", " ")
    return f"{status}: {', '.join(entry.drift.fields)}" if entry.drift.fields else status


def _clusters(report: TopicsReport) -> list[str]:
    """Every cluster some listed topic is placed on, in bus.yaml order."""
    return list(dict.fromkeys(name for t in report.topics for name in t.clusters))


def headline(report: TopicsReport) -> str:
    """One line: what was listed, and on a cluster how many topics drift."""
    declared = sum(1 for t in report.topics if t.owner is not None)
    parts = ["busctl topics"]
    if report.cluster is not None:
        parts.append(f"cluster {report.cluster}")
    parts.append(f"{declared} declared" + (f" by {report.team}" if report.team else ""))
    if report.cluster is None:
        parts.append(f"clusters: {', '.join(_clusters(report)) or '-'}")
    else:
        counts = Counter(t.drift.status for t in report.topics if t.drift is not None)
        parts += [f"{counts[s]} {s.value.replace('-', ' ')}" for s in DriftStatus if counts[s]]
    return " · ".join(parts)


def as_text(report: TopicsReport, color: bool = False) -> str:
    """The headline, then one row per topic; with a cluster, declared/actual and drift."""
    lines = [*wrap(headline(report)), ""]
    if not report.topics:
        lines.append("no topics" + (f" owned by {report.team}" if report.team else ""))
    elif report.cluster is None:
        everywhere = _clusters(report)
        placed = any(t.clusters != everywhere for t in report.topics)  # not every topic is everywhere
        lines += table(
            [
                Column("TOPIC"),
                Column("OWNER", 14),
                Column("PARTS", right=True),
                Column("RF", right=True),
                Column("LIFECYCLE", 10 if placed else None),
                *([Column("CLUSTERS")] if placed else []),
            ],
            [
                [
                    t.name,
                    t.owner or "",
                    _number(t.partitions),
                    _number(t.replication_factor),
                    t.lifecycle or "",
                    *([", ".join(t.clusters) or "none"] if placed else []),
                ]
                for t in report.topics
            ],
            color=color,
        )
        lines += ["", *wrap(f"{LEGEND} with bus.yaml defaults applied")]
    else:
        lines += table(
            [Column("TOPIC"), Column("OWNER", 14), Column("PARTS"), Column("RF"), Column("DRIFT")],
            [
                [
                    t.name,
                    t.owner or "-",
                    _pair(t.partitions, t.actual.partitions if t.actual else None),
                    _pair(t.replication_factor, t.actual.replication_factor if t.actual else None),
                    drift_text(t),
                ]
                for t in report.topics
            ],
            tones=[DRIFT_TONES[t.drift.status] if t.drift else None for t in report.topics],
            color=color,
        )
        lines += ["", *wrap(f"{LEGEND}: declared/actual, - where there is none")]
    for note in report.notes:
        lines += [paint(line, Tone.NOTE, color) for line in wrap(note, "note: ", "      ")]
    return "\n".join(lines) + "\n"


def as_markdown(report: TopicsReport) -> str:
    """A table, for a PR comment or a wiki page."""
    cluster = report.cluster is not None
    header = "| Topic | Owner | Partitions | RF | " + ("Drift |" if cluster else "Lifecycle |")
    lines = [f"**{headline(report)}**", "", header, "|---|---|---|---|---|"]
    for t in report.topics:
        if cluster:
            partitions = _pair(t.partitions, t.actual.partitions if t.actual else None)
            replication = _pair(t.replication_factor, t.actual.replication_factor if t.actual else None)
            last = drift_text(t)
        else:
            partitions, replication = _number(t.partitions), _number(t.replication_factor)
            last = t.lifecycle or ""
        lines.append(f"| `{t.name}` | {t.owner or '-'} | {partitions} | {replication} | {last} |")
    lines += [f"> {note}" for note in report.notes]
    return "\n".join(lines) + "\n"
