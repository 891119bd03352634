"""Render a FleetPlan: a headline for the fleet, then each cluster's plan as busctl.render.plan does."""

from __future__ import annotations

from busctl.core.plan import FleetPlan, Plan
from busctl.core.topic_configs import Catalogue
from busctl.render import json as json_writer
from busctl.render import markdown
from busctl.render import plan as plan_render
from busctl.render.github import annotation
from busctl.render.style import WIDTH, Tone, paint, wrap
from busctl.reports.fleet import fleet_report

RULE = "─"


def headline(fleet: FleetPlan) -> str:
    """'busctl plan · 3 clusters · prod-eu: 2 changes · prod-us: no changes · staging: unreadable'."""
    parts = [f"busctl plan · {_clusters(len(fleet.clusters))}"]
    parts += [
        f"{p.cluster}: {plan_render.counts(p)}" if isinstance(p, Plan) else f"{p.cluster}: not read"
        for p in fleet.parts
    ]
    return " · ".join(parts)


def _clusters(count: int) -> str:
    return f"{count} cluster{'s' * (count != 1)}"


def as_text(fleet: FleetPlan, catalogue: Catalogue, color: bool = False) -> str:
    """The fleet headline, then a section per cluster (its whole plan), then the unread clusters."""
    lines = [paint(line, Tone.HEADER, color) for line in wrap(headline(fleet), hang="  ")]
    for part in fleet.parts:
        lines += ["", _rule(f"cluster {part.cluster}", color)]
        if isinstance(part, Plan):
            lines += plan_render.as_text(part, catalogue, color).rstrip("\n").split("\n")
            continue
        lines += [paint(line, Tone.ERROR, color) for line in wrap(f"not read: {part.error}", hang="  ")]
        if part.hint:
            lines += wrap(f"hint: {part.hint}", hang="  ")
        lines += wrap("nothing is planned for it", hang="  ")
    return "\n".join(lines) + "\n"


def section(cluster: str, color: bool = False) -> str:
    """The line that starts a cluster's part of a fleet screen."""
    return _rule(f"cluster {cluster}", color)


def _rule(title: str, color: bool) -> str:
    """`── cluster prod-eu ─────…` across the screen."""
    text = f"{RULE * 2} {title} "
    return paint(text + RULE * max(0, WIDTH - len(text)), Tone.HEADER, color)


def as_json(fleet: FleetPlan) -> str:
    """The fleet plan document (the same as a saved fleet plan file)."""
    return json_writer.as_json(fleet_report(fleet))


def as_markdown(fleet: FleetPlan, catalogue: Catalogue) -> str:
    """A summary table of the clusters, then each cluster's plan (a PR comment section each)."""
    lines = [f"### busctl plan · {_clusters(len(fleet.clusters))}", "", "| cluster | plan |", "|---|---|"]
    lines += [
        f"| {markdown.code(p.cluster)} | {plan_render.counts(p)} |"
        if isinstance(p, Plan)
        else f"| {markdown.code(p.cluster)} | :x: not read: {markdown.text(p.error)} |"
        for p in fleet.parts
    ]
    for plan in fleet.plans:
        lines += ["", plan_render.as_markdown(plan, catalogue).rstrip("\n")]
    return "\n".join(lines) + "\n"


def as_github(fleet: FleetPlan) -> str:
    """Each cluster's workflow annotations (named by cluster), and one error per unread cluster."""
    text = "".join(plan_render.as_github(plan, prefix=f"{plan.cluster}: ") for plan in fleet.plans)
    for unread in fleet.unread:
        text += annotation("error", f"{unread.cluster}: {unread.error}", title="busctl plan: not read") + "\n"
    return text
