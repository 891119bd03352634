"""Render a Plan as text (terminal), JSON (stable, versioned) or Markdown (pull-request comment)."""

from __future__ import annotations

import json

from busctl.core.plan import SYMBOLS, Action, Change, Plan, plan_to_dict
from busctl.core.topic_configs import Catalogue

_COLORS = {"+": "32", "~": "33", "-": "31", "!": "1;31"}
_TOPIC_COLUMN = 34


def counts(plan: Plan) -> str:
    """'3 changes, 1 blocked' or 'no changes'."""
    parts = []
    if plan.actionable:
        parts.append(f"{len(plan.actionable)} change{'s' * (len(plan.actionable) != 1)}")
    if plan.blocked:
        parts.append(f"{len(plan.blocked)} blocked")
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
    return f"blocked: {change.reason}"


def _value(catalogue: Catalogue, key: str, value: str | None) -> str:
    return "(default)" if value is None else catalogue.display(key, value)


def change_lines(change: Change, catalogue: Catalogue) -> list[str]:
    """The text lines of one change (no colour)."""
    symbol = SYMBOLS[change.action]
    if change.acl is not None:
        return [f"{symbol} acl  {change.acl.describe()}"]
    lines = [f"{symbol} {change.topic:<{_TOPIC_COLUMN}}{_describe(change)}"]
    width = max((len(c.key) for c in change.configs), default=0) + 2
    for config in change.configs:
        if change.action is Action.CREATE_TOPIC:
            lines.append(f"      {config.key:<{width}}{_value(catalogue, config.key, config.after)}")
        else:
            lines.append(
                f"      {config.key:<{width}}{_value(catalogue, config.key, config.before)} → "
                f"{_value(catalogue, config.key, config.after)}"
            )
    lines += [f"      warning: {w}" for w in change.warnings]
    if change.remedy:
        lines.append(f"      to fix: {change.remedy}")
    return lines


def as_text(plan: Plan, catalogue: Catalogue, color: bool = False) -> str:
    """The terminal rendering shown in SPEC.md."""
    lines = [headline(plan), ""]
    topic_changes = [c for c in plan.actionable if c.acl is None]
    acl_changes = [c for c in plan.actionable if c.acl is not None]
    for change in sorted(topic_changes, key=lambda c: c.topic) + acl_changes + plan.blocked:
        for index, line in enumerate(change_lines(change, catalogue)):
            if color and index == 0:
                line = f"\x1b[{_COLORS[line[0]]}m{line}\x1b[0m"
            lines.append(line)
    if not plan.changes:
        lines.append("The cluster matches the declarations.")
    if plan.unmanaged:
        lines += ["", "unmanaged (exist in cluster, not declared; left alone): " + ", ".join(plan.unmanaged)]
    lines += [f"note: {note}" for note in plan.notes]
    return "\n".join(lines) + "\n"


def as_json(plan: Plan) -> str:
    """The stable JSON document (the same as a saved plan file)."""
    return json.dumps(plan_to_dict(plan), indent=2, ensure_ascii=False) + "\n"


def as_markdown(plan: Plan, catalogue: Catalogue) -> str:
    """A PR comment: summary line, risk labels, details collapsed."""
    risky = [c for c in plan.changes if c.risk == "high"]
    lines = [f"### {headline(plan)}", ""]
    if not plan.changes:
        lines.append("No changes: the cluster matches the declarations.")
    else:
        label = ":red_circle: **high risk**" if risky else ":green_circle: low risk"
        lines += [f"Risk: {label}", "", "| | topic / ACL | change | risk |", "|---|---|---|---|"]
        for change in plan.actionable + plan.blocked:
            target = change.acl.describe() if change.acl else change.topic
            what = "ACL" if change.acl else _describe(change)
            lines.append(
                f"| `{SYMBOLS[change.action]}` | `{target}` | {what.replace('|', '&#124;')} | {change.risk} |"
            )
        lines += ["", "<details><summary>Details</summary>", "", "```diff"]
        for change in plan.actionable + plan.blocked:
            lines += change_lines(change, catalogue)
        lines += ["```", "", "</details>"]
    if plan.unmanaged:
        lines += ["", f"Unmanaged topics (left alone): {', '.join(f'`{n}`' for n in plan.unmanaged)}"]
    lines += [f"> note: {note}" for note in plan.notes]
    return "\n".join(lines) + "\n"


def as_github(plan: Plan) -> str:
    """Workflow annotations for what needs a human: blocked changes and high-risk ones."""
    lines = []
    for change in plan.blocked:
        lines.append(f"::error title=busctl plan: blocked::{change.topic}: {change.reason}")
    for change in plan.actionable:
        if change.risk == "high":
            lines.append(f"::warning title=busctl plan: high risk::{change.topic}: {_describe(change)}")
    return "".join(line + "\n" for line in lines)
