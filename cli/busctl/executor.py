"""Execute a Plan through a ClusterWriter: broker-side preflight, then batches in a safe order.

Nothing is half-applied silently: every change ends as done, failed (with the broker's error) or skipped
(with the reason, e.g. the topic it needs could not be created), and the report says which.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from busctl.core.plan import EXECUTION_ORDER, Action, Change, Plan
from busctl.core.ports import ClusterWriter, Outcomes

CHUNK = 200  # changes per progress step (the writer batches requests itself)
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Outcome:
    """What happened to one change."""

    change: Change
    status: str  # done | failed | skipped
    error: str = ""


@dataclass
class ApplyReport:
    """The outcome of every change of a plan, in execution order."""

    outcomes: list[Outcome] = field(default_factory=list)
    preflight_only: bool = False  # True when preflight failed and nothing was changed

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def ok(self) -> bool:
        return all(o.status == "done" for o in self.outcomes) and not self.preflight_only


_VERBS = {
    Action.CREATE_TOPIC: "creating topics",
    Action.UPDATE_CONFIG: "updating configs",
    Action.ADD_PARTITIONS: "adding partitions",
    Action.CREATE_ACL: "creating ACLs",
    Action.DELETE_ACL: "deleting ACLs",
    Action.DELETE_TOPIC: "deleting topics",
}


def _call(writer: ClusterWriter, action: Action, batch: list[Change], validate_only: bool) -> Outcomes:
    if action is Action.CREATE_TOPIC:
        return writer.create_topics(batch, validate_only=validate_only)
    if action is Action.UPDATE_CONFIG:
        return writer.update_configs(batch, validate_only=validate_only)
    if action is Action.ADD_PARTITIONS:
        return writer.add_partitions(batch, validate_only=validate_only)
    if action is Action.CREATE_ACL:
        return writer.create_acls(batch)
    if action is Action.DELETE_ACL:
        return writer.delete_acls(batch)
    return writer.delete_topics(batch)


PREFLIGHT_ACTIONS = (Action.CREATE_TOPIC, Action.UPDATE_CONFIG, Action.ADD_PARTITIONS)


def preflight(plan: Plan, writer: ClusterWriter) -> list[Outcome]:
    """Ask the broker to validate creates, config changes and partition increases (validate_only).

    Returns the failures; empty means the broker accepts every one of them.
    """
    failures = []
    for action in PREFLIGHT_ACTIONS:
        batch = [c for c in plan.actionable if c.action is action]
        if batch:
            for change, error in zip(batch, _call(writer, action, batch, validate_only=True), strict=True):
                if error is not None:
                    failures.append(Outcome(change, "failed", error))
    return failures


def execute(plan: Plan, writer: ClusterWriter, progress: Progress | None = None) -> ApplyReport:
    """Preflight, then run every actionable change in EXECUTION_ORDER; never raises for broker errors."""
    failures = preflight(plan, writer)
    if failures:
        failed = {id(f.change) for f in failures}
        outcomes = failures + [
            Outcome(c, "skipped", "not attempted: preflight failed, nothing was changed")
            for c in plan.actionable
            if id(c) not in failed
        ]
        return ApplyReport(outcomes=outcomes, preflight_only=True)
    report = ApplyReport()
    broken_topics: set[str] = set()
    for action in EXECUTION_ORDER:
        group = [c for c in plan.actionable if c.action is action]
        runnable = []
        for change in group:
            if change.topic and change.topic in broken_topics:
                report.outcomes.append(
                    Outcome(change, "skipped", f"not attempted: an earlier change to {change.topic} failed")
                )
            else:
                runnable.append(change)
        for start in range(0, len(runnable), CHUNK):
            batch = runnable[start : start + CHUNK]
            for change, error in zip(batch, _call(writer, action, batch, validate_only=False), strict=True):
                if error is None:
                    report.outcomes.append(Outcome(change, "done"))
                else:
                    report.outcomes.append(Outcome(change, "failed", error))
                    if change.topic:
                        broken_topics.add(change.topic)
            if progress is not None:
                progress(_VERBS[action], min(start + CHUNK, len(runnable)), len(runnable))
    return report
