"""The one pull-request comment: lint, check and plan results and whom to notify, in Markdown.

Built from the JSON documents the workflow saved (`busctl lint/check --format json`, `busctl plan
--out`), so every step can run (and fail) on its own; a missing document says which step to look at.
The marker on the first line lets `busctl comment --post` find and update the comment on every push.
"""

from __future__ import annotations

from dataclasses import dataclass

from busctl.core.diagnostics import Severity
from busctl.core.plan import Action, Plan, Skipped, Unread
from busctl.core.topic_configs import Catalogue
from busctl.render import check as check_render
from busctl.render import markdown
from busctl.render import plan as plan_render
from busctl.reports.check import CheckReport
from busctl.reports.lint import LintReport

MARKER = "<!-- busctl:pr-comment -->"
MAX_CHARS = 65_000  # GitHub refuses comments over 65,536 characters
MAX_LINT_ROWS = 20


@dataclass(frozen=True)
class CommentInputs:
    """What the workflow's steps produced. A step that was not run is None and gets no row; one that
    ran but left no document (it crashed, or could not reach the cluster) is listed in `missing`."""

    lint: LintReport | None
    check: CheckReport | None
    plans: dict[str, Plan | Unread | Skipped | None]  # cluster -> its plan, why not, or None: missing
    version: str
    missing: tuple[str, ...] = ()


def render_comment(inputs: CommentInputs, catalogue: Catalogue) -> str:
    """The comment body: a results table, whom to notify, then each report."""
    lines = [MARKER, "## busctl", "", "| step | result |", "|---|---|"]
    if inputs.lint is not None or "lint" in inputs.missing:
        lines.append(f"| lint | {_lint_result(inputs.lint)} |")
    if inputs.check is not None or "check" in inputs.missing:
        lines.append(f"| check | {_check_result(inputs.check)} |")
    for name, plan in inputs.plans.items():
        lines.append(f"| plan {markdown.code(name)} | {_plan_result(plan)} |")
    lines += _deletions(inputs.plans)
    lines += _notify(inputs.check)
    lines += _lint_details(inputs.lint)
    if inputs.check is not None:
        lines += ["", check_render.markdown_from_report(inputs.check, owners=False).rstrip("\n")]
    for name, plan in inputs.plans.items():
        if isinstance(plan, Plan):
            lines += ["", plan_render.as_markdown(plan, catalogue).rstrip("\n")]
        elif isinstance(plan, Unread):
            lines += ["", f"### busctl plan · cluster {markdown.text(name)} · not read", ""]
            lines += [f"> {markdown.text(plan.error)}"] + (
                [f"> hint: {markdown.text(plan.hint)}"] if plan.hint else []
            )
    footer = f"<sub>busctl {inputs.version} · this comment is updated on every push.</sub>"
    body = "\n".join(lines)
    if len(body) + len(footer) > MAX_CHARS:
        body = body[: MAX_CHARS - 200] + "\n\n… truncated: the full reports are in the workflow log."
    return f"{body}\n\n{footer}\n"


def _lint_result(report: LintReport | None) -> str:
    if report is None:
        return ":grey_question: no result: see the lint step's log"
    summary = report.summary
    if summary.errors:
        return f":x: {summary.errors} error(s), {summary.warnings} warning(s)"
    warnings = f", {summary.warnings} warning(s)" if summary.warnings else ""
    return f":white_check_mark: clean ({summary.files} files{warnings})"


def _check_result(report: CheckReport | None) -> str:
    if report is None:
        return ":grey_question: no result: see the check step's log"
    summary = report.summary
    against = f"against `{report.ref}`"
    if summary.breaking:
        return f":x: {summary.breaking} breaking change(s) {against}"
    approved = f", {summary.approved} approved break(s)" if summary.approved else ""
    return f":white_check_mark: nothing breaks {against}{approved}"


def _plan_result(plan: Plan | Unread | Skipped | None) -> str:
    if isinstance(plan, Skipped):
        return f":fast_forward: skipped: {plan.reason}"
    if plan is None:
        return ":grey_question: no plan: see the plan step's log (is the cluster reachable?)"
    if isinstance(plan, Unread):
        return f":x: not read: {markdown.text(plan.error)}"
    mark = (
        ":no_entry:"
        if plan.blocked or plan.not_planned
        else (":pencil2:" if plan.has_changes else ":white_check_mark:")
    )
    return f"{mark} {plan_render.counts(plan)}"


def _deletions(plans: dict[str, Plan | Unread | Skipped | None]) -> list[str]:
    """What merging deletes, cluster by cluster: topics (their data is lost), registry subjects and
    connectors."""
    rows = []
    for name, plan in plans.items():
        if not isinstance(plan, Plan):
            continue
        for change in plan.actionable:
            if change.action is Action.DELETE_TOPIC:
                what = f"topic {markdown.code(change.topic)}"
            elif change.action is Action.DELETE_SUBJECT and change.subject is not None:
                what = f"subject {markdown.code(change.subject.subject)}"
            elif change.action is Action.DELETE_CONNECTOR and change.connector is not None:
                what = f"connector {markdown.code(change.connector.name)}"
            else:
                continue
            warnings = "<br>".join(markdown.text(w) for w in change.warnings) or "-"
            rows.append(f"| {markdown.code(name)} | {what} | {warnings} |")
    if not rows:
        return []
    heading = "**Merging deletes** (apply deletes these on merge; a topic's data is lost)"
    return ["", heading, "", "| cluster | deleted | warnings |", "|---|---|---|", *rows]


def _notify(report: CheckReport | None) -> list[str]:
    if report is None or not report.notify:
        return []
    files = {o.team: len(o.files) for o in report.ownership}
    affected: dict[str, list[str]] = {}
    for finding in report.findings:
        for team in finding.teams:
            affected.setdefault(team, []).append(finding.code)
    lines = ["", "**Notify**", "", "| team | chat room | GitHub | why |", "|---|---|---|---|"]
    for entry in report.notify:
        why = []
        if entry.team in files:
            why.append(f"owns {files[entry.team]} changed file(s)")
        if entry.team in affected:
            why.append("affected by " + ", ".join(sorted(set(affected[entry.team]))))
        lines.append(f"| {entry.team} | {entry.chat or '-'} | {entry.github or '-'} | {'; '.join(why)} |")
    return lines


def _lint_details(report: LintReport | None) -> list[str]:
    if report is None or not report.summary.errors:
        return []
    errors = [d for d in report.diagnostics if d.severity is Severity.ERROR]
    lines = ["", "### busctl lint", "", "| rule | where | what |", "|---|---|---|"]
    for d in errors[:MAX_LINT_ROWS]:
        where = d.file + (f":{d.line}:{d.column}" if d.line else "")
        lines.append(f"| {d.code} | {markdown.code(where)} | {markdown.text(d.message)} |")
    if len(errors) > MAX_LINT_ROWS:
        lines.append(f"\n… and {len(errors) - MAX_LINT_ROWS} more: run `busctl lint`.")
    return lines
