"""Render a Plan as text (terminal), JSON (stable, versioned) or Markdown (pull-request comment)."""

from __future__ import annotations

from busctl.core.plan import (
    SYMBOLS,
    Action,
    Change,
    ConnectorChange,
    NotPlanned,
    Plan,
    Skipped,
    SubjectChange,
)
from busctl.core.topic_configs import Catalogue
from busctl.render import json as json_writer
from busctl.render import markdown
from busctl.render.github import annotation
from busctl.render.style import WIDTH, Tone, paint, wrap
from busctl.reports.plan import plan_report, skipped_report

_TONES = {"+": Tone.OK, "~": Tone.WARNING, "-": Tone.ERROR, "!": Tone.ERROR}
_TOPIC_COLUMN = 34
_DETAIL = " " * 6  # where a change's config lines, warnings and remedy start


def counts(plan: Plan) -> str:
    """'3 changes, 1 blocked, 2 not planned' or 'no changes'."""
    parts = []
    if plan.actionable:
        parts.append(f"{len(plan.actionable)} change{'s' * (len(plan.actionable) != 1)}")
    if plan.blocked:
        parts.append(f"{len(plan.blocked)} blocked")
    if plan.not_planned:
        parts.append(f"{len(plan.not_planned)} not planned")
    return ", ".join(parts) or "no changes"


def headline(plan: Plan) -> str:
    """'busctl plan · cluster prod (id X) · 3 changes, 1 blocked'."""
    scope = f" · topics {plan.topic_filter}" if plan.topic_filter else ""
    return f"busctl plan · cluster {plan.cluster} (id {plan.cluster_id}){scope} · {counts(plan)}"


def _describe(change: Change) -> str:
    if change.action is Action.CREATE_TOPIC:
        return f"create · {change.partitions} partitions · rf {change.replication_factor}"
    if change.action is Action.UPDATE_CONFIG:
        return "update config"
    if change.action is Action.ADD_PARTITIONS:
        return f"partitions {change.previous_partitions} → {change.partitions}"
    if change.action is Action.DELETE_TOPIC:
        return f"delete · {change.partitions} partitions"
    if change.subject is not None and change.action is not Action.BLOCKED:
        return _subject_describe(change.action, change.subject)
    if change.connector is not None and change.action is not Action.BLOCKED:
        return _connector_describe(change.action, change.connector)
    return f"blocked: {change.reason}"


def _connector_describe(action: Action, connector: ConnectorChange) -> str:
    state = connector.state.lower()
    if action is Action.CREATE_CONNECTOR:
        return f"create connector · {state}"
    if action is Action.UPDATE_CONNECTOR:
        return "update connector config"
    if action is Action.DELETE_CONNECTOR:
        return "delete connector"
    return (
        f"{action.value.removesuffix('-connector')} connector · {connector.previous_state.lower()} → {state}"
    )


def _subject_describe(action: Action, subject: SubjectChange) -> str:
    if action is Action.SET_COMPATIBILITY:
        return f"level {subject.previous_compatibility} → {subject.compatibility}"
    if action is Action.DELETE_SUBJECT:
        return "delete subject (soft)"
    if subject.latest_version is None:
        return "new subject"
    return f"new version (after v{subject.latest_version})"


def _subject_lines(change: Change) -> list[str]:
    subject = change.subject
    if subject is None or change.action in (Action.SET_COMPATIBILITY, Action.DELETE_SUBJECT):
        return []
    lines = _labelled("schema", subject.file) if subject.file else []
    if subject.references:
        lines += _labelled("references", ", ".join(subject.references))
    if subject.check:
        lines += _labelled("check", subject.check)
    return lines


def _value(catalogue: Catalogue, key: str, value: str | None, connector: bool = False) -> str:
    if connector:
        return "(not set)" if value is None else value
    return "(default)" if value is None else catalogue.display(key, value)


def _head(change: Change) -> list[str]:
    """The first lines of a change: symbol, topic (or ACL) and what happens, within WIDTH."""
    symbol = SYMBOLS[change.action]
    if change.acl is not None:
        return wrap(f"{symbol} acl  {change.acl.describe()}", hang=" " * 7)
    what = "blocked" if change.action is Action.BLOCKED else _describe(change)
    name = change.target if change.subject is not None or change.connector is not None else change.topic
    if len(name) < _TOPIC_COLUMN and _TOPIC_COLUMN + 2 + len(what) <= WIDTH:
        return [f"{symbol} {name:<{_TOPIC_COLUMN}}{what}"]
    column = " " * (_TOPIC_COLUMN + 2)
    if len(name) < _TOPIC_COLUMN:
        first, *rest = wrap(what, indent=column)
        return [f"{symbol} {name:<{_TOPIC_COLUMN}}{first.lstrip()}", *rest]
    return [*wrap(f"{symbol} {name}", hang="  "), *wrap(what, indent=column)]


def _labelled(label: str, text: str) -> list[str]:
    """`      label: text`, continued under the text."""
    return wrap(text, indent=f"{_DETAIL}{label}: ", hang=" " * (len(_DETAIL) + len(label) + 2))


def change_lines(change: Change, catalogue: Catalogue, color: bool = False) -> list[str]:
    """The text lines of one change, within WIDTH; its head painted by action when `color`."""
    lines = [paint(line, _TONES[SYMBOLS[change.action]], color) for line in _head(change)]
    if change.action is Action.BLOCKED:
        lines += _labelled("reason", change.reason)
    lines += _subject_lines(change)
    width = max((len(c.key) for c in change.configs), default=0) + 2
    connector = change.connector is not None
    for config in change.configs:
        after = _value(catalogue, config.key, config.after, connector)
        if change.action not in (Action.CREATE_TOPIC, Action.CREATE_CONNECTOR):
            after = f"{_value(catalogue, config.key, config.before, connector)} → {after}"
        lines += wrap(after, indent=f"{_DETAIL}{config.key:<{width}}", hang=" " * (len(_DETAIL) + width))
    for warning in change.warnings:
        lines += [paint(line, Tone.WARNING, color) for line in _labelled("warning", warning)]
    if change.remedy:
        lines += _labelled("to fix", change.remedy)
    return lines


def as_text(plan: Plan, catalogue: Catalogue, color: bool = False) -> str:
    """The terminal rendering shown in the README, every line within WIDTH."""
    lines = [paint(line, Tone.HEADER, color) for line in wrap(headline(plan), hang="  ")] + [""]
    topic_changes = [
        c for c in plan.actionable if c.acl is None and c.subject is None and c.connector is None
    ]
    acl_changes = [c for c in plan.actionable if c.acl is not None]
    subject_changes = [c for c in plan.actionable if c.subject is not None]  # in dependency order
    connector_changes = [c for c in plan.actionable if c.connector is not None]
    ordered = (
        sorted(topic_changes, key=lambda c: c.topic)
        + acl_changes
        + subject_changes
        + connector_changes
        + plan.blocked
    )
    for change in ordered:
        lines += change_lines(change, catalogue, color)
    if not plan.changes:
        matches = "the topics planned" if plan.not_planned else "the declarations"
        also = [
            what
            for what, there in (("its schema registry", plan.registry), ("its connectors", plan.connect))
            if there
        ]
        registry = f" (and {' and '.join(also)})" if also else ""
        lines.append(paint(f"The cluster{registry} matches {matches}.", Tone.OK, color))
    if plan.unmanaged:
        unmanaged = "unmanaged (exist in cluster, not declared; left alone): " + ", ".join(plan.unmanaged)
        lines += ["", *wrap(unmanaged, hang="  ")]
    if plan.unmanaged_subjects:
        subjects = "unmanaged subjects (in the registry, not declared; left alone): "
        lines += ["", *wrap(subjects + ", ".join(plan.unmanaged_subjects), hang="  ")]
    if plan.unmanaged_connectors:
        connectors = "unmanaged connectors (on the Connect cluster, not declared; left alone): "
        lines += ["", *wrap(connectors + ", ".join(plan.unmanaged_connectors), hang="  ")]
    if plan.not_planned:
        lines += [
            "",
            paint(f"not planned: lint errors ({len(plan.not_planned)} topic(s))", Tone.ERROR, color),
        ]
        for held in plan.not_planned:
            lines += wrap(f"! {_held(held)}: {held.error}", hang="      ")
        lines += wrap("fix them (`busctl lint` shows every error) and plan again", indent="  ", hang="  ")
    for note in plan.notes:
        lines += [paint(line, Tone.NOTE, color) for line in wrap(f"note: {note}", hang="      ")]
    return "\n".join(lines) + "\n"


def _held(held: NotPlanned) -> str:
    return held.topic or f"({held.file})"


def as_json(plan: Plan) -> str:
    """The stable JSON document (the same as a saved plan file)."""
    return json_writer.as_json(plan_report(plan))


def as_markdown(plan: Plan, catalogue: Catalogue) -> str:
    """A PR comment: summary line, risk labels, details collapsed."""
    risky = [c for c in plan.changes if c.risk == "high"]
    lines = [f"### {markdown.text(headline(plan))}", ""]
    if not plan.changes:
        lines.append("No changes: the cluster matches the declarations.")
    else:
        label = ":red_circle: **high risk**" if risky else ":green_circle: low risk"
        header = "| | topic / ACL / subject / connector | change | risk |"
        lines += [f"Risk: {label}", "", header, "|---|---|---|---|"]
        for change in plan.actionable + plan.blocked:
            what = "ACL" if change.acl else _describe(change)
            cells = [
                f"`{SYMBOLS[change.action]}`",
                markdown.code(change.target),
                markdown.text(what),
                change.risk,
            ]
            lines.append(f"| {' | '.join(cells)} |")
        details = [
            line for change in plan.actionable + plan.blocked for line in change_lines(change, catalogue)
        ]
        fence = markdown.fence(details)
        lines += [
            "",
            "<details><summary>Details</summary>",
            "",
            f"{fence}diff",
            *details,
            fence,
            "",
            "</details>",
        ]
    if plan.unmanaged:
        lines += ["", f"Unmanaged topics (left alone): {', '.join(f'`{n}`' for n in plan.unmanaged)}"]
    if plan.unmanaged_subjects:
        named = ", ".join(f"`{n}`" for n in plan.unmanaged_subjects)
        lines += ["", f"Unmanaged registry subjects (left alone): {named}"]
    if plan.unmanaged_connectors:
        named = ", ".join(f"`{n}`" for n in plan.unmanaged_connectors)
        lines += ["", f"Unmanaged connectors (left alone): {named}"]
    if plan.not_planned:
        lines += ["", ":x: **Not planned: lint errors**", ""]
        lines += [f"- {markdown.code(_held(h))}: {markdown.text(h.error)}" for h in plan.not_planned]
    lines += [f"> note: {markdown.text(note)}" for note in plan.notes]
    return "\n".join(lines) + "\n"


def as_github(plan: Plan, prefix: str = "") -> str:
    """Workflow annotations for what needs a human: blocked changes, held-back topics and high-risk
    changes; `prefix` starts each message (a fleet names the cluster)."""
    lines = [
        annotation("error", f"{prefix}{change.target}: {change.reason}", title="busctl plan: blocked")
        for change in plan.blocked
    ]
    lines += [
        annotation("error", f"{prefix}{_held(held)}: {held.error}", title="busctl plan: not planned")
        for held in plan.not_planned
    ]
    lines += [
        annotation("warning", f"{prefix}{change.target}: {_describe(change)}", title="busctl plan: high risk")
        for change in plan.actionable
        if change.risk == "high"
    ]
    return "".join(line + "\n" for line in lines)


def skipped_as_text(skipped: Skipped) -> str:
    """Why no cluster was read, and which variables each cluster lacks."""
    lines = wrap(f"plan skipped: {skipped.reason}", hang="  ")
    for cluster, names in skipped.clusters.items():
        lines += wrap(f"cluster {cluster} needs {', '.join(names)} (unset or empty)", "  ", "    ")
    return "\n".join(lines) + "\n"


def skipped_as_json(skipped: Skipped) -> str:
    return json_writer.as_json(skipped_report(skipped))


def skipped_as_github(skipped: Skipped) -> str:
    return annotation("notice", f"plan skipped: {skipped.reason}", title="busctl plan") + "\n"
