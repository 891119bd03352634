"""Render a VerifyReport: terminal text (80 columns), JSON (the verify-report document), Markdown, or
workflow annotations."""

from __future__ import annotations

from busctl.core.verify import TopicVerdict, VerifyReport, Violation
from busctl.render.github import annotation, in_repository
from busctl.render.json import as_json as json_text
from busctl.render.style import Tone, paint, wrap
from busctl.reports.verify import verify_report

SHOWN = 5  # violations listed per topic in text and Markdown (JSON has them all)
_INDENT = "    "


def headline(report: VerifyReport) -> str:
    """'busctl verify · cluster prod · 4 topics · 20 newest per partition · 1 fails'."""
    count, failing = len(report.topics), len(report.failing)
    verdict = f"{failing} fail{'s' * (failing == 1)}" if failing else "all conform"
    return (
        f"busctl verify · cluster {report.cluster} · {count} topic{'s' * (count != 1)} · "
        f"{report.samples} newest per partition · {verdict}"
    )


def _summary(verdict: TopicVerdict) -> str:
    """'412 sampled · 410 conform · 2 do not', or why nothing was."""
    if verdict.absent:
        return "not on the cluster"
    if not verdict.sampled:
        return "empty" if not verdict.problem else "nothing read"
    broken = verdict.sampled - verdict.conforming
    shown = f"{verdict.sampled} sampled · {verdict.conforming} conform"
    return shown + (f" · {broken} do not" if broken else "")


def _mark(verdict: TopicVerdict) -> str:
    return "✗" if verdict.failing else "-" if verdict.absent or not verdict.sampled else "✓"


def _violation(violation: Violation) -> str:
    return f"partition {violation.partition} offset {violation.offset} {violation.part}: {violation.reason}"


def _details(verdict: TopicVerdict) -> list[str]:
    """The problem and the first violations, then how many more."""
    lines = [verdict.problem] if verdict.problem else []
    lines += [_violation(v) for v in verdict.violations[:SHOWN]]
    if len(verdict.violations) > SHOWN:
        lines.append(f"and {len(verdict.violations) - SHOWN} more (--format json lists them all)")
    return lines


def as_text(report: VerifyReport, color: bool = False) -> str:
    """Each topic on a line, failing ones followed by what is wrong."""
    lines = [paint(line, Tone.HEADER, color) for line in wrap(headline(report), hang="  ")]
    resolved = f"schema ids resolved with {report.registry}" if report.registry else "no schema registry"
    lines += [paint(line, Tone.NOTE, color) for line in wrap(resolved)]
    lines.append("")
    if not report.topics:
        return "\n".join([*lines, "No topics are declared on this cluster."]) + "\n"
    for verdict in report.topics:
        tone = Tone.ERROR if verdict.failing else Tone.OK if verdict.sampled else Tone.NOTE
        topic_lines = wrap(f"{_mark(verdict)} {verdict.topic} · {_summary(verdict)}", hang=_INDENT)
        for detail in _details(verdict):
            topic_lines += wrap(detail, _INDENT, _INDENT + "  ")
        lines += [paint(line, tone, color) for line in topic_lines]
    return "\n".join(lines) + "\n"


def as_json(report: VerifyReport) -> str:
    """The verify-report document."""
    return json_text(verify_report(report))


def as_markdown(report: VerifyReport) -> str:
    """A Markdown table (for a chat message or an issue), then the failing topics' details."""
    lines = [f"### {headline(report)}", "", "| | topic | team | sampled | conforming | status |"]
    lines.append("|---" * 6 + "|")
    for verdict in report.topics:
        status = "fails" if verdict.failing else _summary(verdict) if not verdict.sampled else "ok"
        cells = [verdict.team, str(verdict.sampled), str(verdict.conforming), status]
        lines.append(f"| {_mark(verdict)} | `{verdict.topic}` | " + " | ".join(cells) + " |")
    for verdict in report.failing:
        lines += ["", f"**`{verdict.topic}`**", ""]
        lines += [f"- {detail.replace('|', '&#124;')}" for detail in _details(verdict)]
    return "\n".join(lines) + "\n"


def as_github(report: VerifyReport, root: str = "") -> str:
    """An error annotation on the topic file of each failing topic (files under `root`)."""
    return "".join(
        annotation(
            "error",
            f"{v.topic}: " + "; ".join(_details(v)),
            file=in_repository(root, v.file),
            title=f"busctl verify: {v.topic}",
        )
        + "\n"
        for v in report.failing
    )
