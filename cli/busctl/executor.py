"""Execute a Plan through a ClusterWriter: broker-side preflight, then batches in a safe order.

Nothing is half-applied silently: every change ends done, failed (the broker refused it), unconfirmed
(sent, but no answer or not seen applied) or not started (with the reason), and the report says which.
A run stops sending at the first batch the cluster did not answer (so a dead cluster costs one
timeout, not one per batch), and between batches when `stop` gives a reason (an interrupt, a lost
lock); a second Ctrl-C during a batch leaves that batch unconfirmed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import assert_never

from busctl.core.plan import CONNECTOR_ACTIONS, EXECUTION_ORDER, SUBJECT_ACTIONS, Action, Change, Plan
from busctl.core.ports import ClusterWriter, ConnectorWriter, Outcomes, Status, SubjectWriter

CHUNK = 200  # changes per batch and progress step (the writer may split requests further)
Progress = Callable[[str, int, int], None]
StopCheck = Callable[[], str | None]  # a reason to send nothing more, or None to go on


@dataclass(frozen=True)
class Outcome:
    """What happened to one change."""

    change: Change
    status: Status
    error: str = ""  # failed/unconfirmed: what the cluster said; not started: why it was not sent
    error_name: str = ""  # the cluster's name for the error, when it gave one


@dataclass
class ApplyReport:
    """The outcome of every change of a plan, in execution order."""

    outcomes: list[Outcome] = field(default_factory=list)
    preflight_only: bool = False  # True when preflight failed and nothing was changed
    stopped: str = ""  # why the run stopped before its end, if it did

    def count(self, status: Status) -> int:
        return sum(o.status is status for o in self.outcomes)

    @property
    def ok(self) -> bool:
        return all(o.status is Status.DONE for o in self.outcomes) and not self.preflight_only


_VERBS = {
    Action.CREATE_TOPIC: "creating topics",
    Action.UPDATE_CONFIG: "updating configs",
    Action.ADD_PARTITIONS: "adding partitions",
    Action.CREATE_ACL: "creating ACLs",
    Action.DELETE_ACL: "deleting ACLs",
    Action.DELETE_TOPIC: "deleting topics",
    Action.SET_COMPATIBILITY: "setting compatibility levels",
    Action.REGISTER_SCHEMA: "registering schemas",
    Action.DELETE_SUBJECT: "deleting subjects",
    Action.CREATE_CONNECTOR: "creating connectors",
    Action.UPDATE_CONNECTOR: "updating connectors",
    Action.PAUSE_CONNECTOR: "pausing connectors",
    Action.RESUME_CONNECTOR: "resuming connectors",
    Action.DELETE_CONNECTOR: "deleting connectors",
}


def _call(
    writer: ClusterWriter,
    action: Action,
    batch: list[Change],
    validate_only: bool,
    subjects: SubjectWriter | None = None,
    connectors: ConnectorWriter | None = None,
) -> Outcomes:
    """The one writer call for an action; every action is named, so a new one cannot fall through to
    another's call (mypy checks the match is exhaustive)."""
    match action:
        case Action.CREATE_TOPIC:
            return writer.create_topics(batch, validate_only=validate_only)
        case Action.UPDATE_CONFIG:
            return writer.update_configs(batch, validate_only=validate_only)
        case Action.ADD_PARTITIONS:
            return writer.add_partitions(batch, validate_only=validate_only)
        case Action.CREATE_ACL:
            return writer.create_acls(batch)
        case Action.DELETE_ACL:
            return writer.delete_acls(batch)
        case Action.DELETE_TOPIC:
            return writer.delete_topics(batch)
        case Action.SET_COMPATIBILITY:
            return _registry(subjects).set_levels(batch)
        case Action.REGISTER_SCHEMA:
            return _registry(subjects).register_schemas(batch)
        case Action.DELETE_SUBJECT:
            return _registry(subjects).delete_subjects(batch)
        case Action.CREATE_CONNECTOR:
            return _connect(connectors).create_connectors(batch)
        case Action.UPDATE_CONNECTOR:
            return _connect(connectors).update_connectors(batch)
        case Action.PAUSE_CONNECTOR:
            return _connect(connectors).pause_connectors(batch)
        case Action.RESUME_CONNECTOR:
            return _connect(connectors).resume_connectors(batch)
        case Action.DELETE_CONNECTOR:
            return _connect(connectors).delete_connectors(batch)
        case Action.BLOCKED:
            raise ValueError("a blocked change is never executed")
        case _:
            assert_never(action)


def _registry(subjects: SubjectWriter | None) -> SubjectWriter:
    if subjects is None:
        raise ValueError("a plan with subject changes is executed with a subject writer")
    return subjects


def _connect(connectors: ConnectorWriter | None) -> ConnectorWriter:
    if connectors is None:
        raise ValueError("a plan with connector changes is executed with a connector writer")
    return connectors


PREFLIGHT_ACTIONS = (Action.CREATE_TOPIC, Action.UPDATE_CONFIG, Action.ADD_PARTITIONS)


def preflight(plan: Plan, writer: ClusterWriter) -> list[Outcome]:
    """Ask the broker to validate creates, config changes and partition increases (validate_only).

    Returns the failures (a validation without an answer is one); empty means the broker accepts all.
    """
    failures = []
    for action in PREFLIGHT_ACTIONS:
        batch = [c for c in plan.actionable if c.action is action]
        if batch:
            for change, sent in zip(batch, _call(writer, action, batch, validate_only=True), strict=True):
                if sent.status is not Status.DONE:
                    failures.append(Outcome(change, Status.FAILED, sent.error, sent.error_name))
    return failures


def execute(
    plan: Plan,
    writer: ClusterWriter,
    progress: Progress | None = None,
    stop: StopCheck | None = None,
    subjects: SubjectWriter | None = None,
    connectors: ConnectorWriter | None = None,
) -> ApplyReport:
    """Preflight, then run every actionable change in EXECUTION_ORDER (subject changes through
    `subjects`, connector changes through `connectors`); never raises for broker, registry or Connect
    errors."""
    try:
        failures = preflight(plan, writer)
    except KeyboardInterrupt:
        return _not_started(plan, [], "interrupted during preflight, nothing was changed", "interrupted")
    if failures:
        return _not_started(plan, failures, "preflight failed, nothing was changed", "")
    report = ApplyReport()
    broken_topics: set[str] = set()
    for action in EXECUTION_ORDER:
        runnable = []
        for change in (c for c in plan.actionable if c.action is action):
            if change.topic and change.topic in broken_topics and not report.stopped:
                report.outcomes.append(
                    Outcome(change, Status.NOT_STARTED, f"an earlier change to {change.topic} failed")
                )
            else:
                runnable.append(change)
        for start in range(0, len(runnable), CHUNK):
            batch = runnable[start : start + CHUNK]
            report.stopped = report.stopped or (stop() if stop is not None else None) or ""
            if report.stopped:
                report.outcomes += [Outcome(c, Status.NOT_STARTED, report.stopped) for c in batch]
                continue
            try:
                results = _call(writer, action, batch, False, subjects, connectors)
            except KeyboardInterrupt:
                report.stopped = "interrupted"
                report.outcomes += [
                    Outcome(c, Status.UNCONFIRMED, "interrupted while in flight") for c in batch
                ]
                continue
            for change, sent in zip(batch, results, strict=True):
                report.outcomes.append(Outcome(change, sent.status, sent.error, sent.error_name))
                if sent.status is not Status.DONE and change.topic:
                    broken_topics.add(change.topic)
                if sent.status in (Status.UNCONFIRMED, Status.NOT_STARTED) and not report.stopped:
                    system = (
                        "the schema registry"
                        if action in SUBJECT_ACTIONS
                        else "the Connect cluster"
                        if action in CONNECTOR_ACTIONS
                        else "the cluster"
                    )
                    report.stopped = f"{system} stopped answering ({sent.error})"
            if progress is not None:
                progress(_VERBS[action], min(start + CHUNK, len(runnable)), len(runnable))
    return report


def _not_started(plan: Plan, failures: list[Outcome], why: str, stopped: str) -> ApplyReport:
    failed = {id(f.change) for f in failures}
    outcomes = failures + [
        Outcome(c, Status.NOT_STARTED, why) for c in plan.actionable if id(c) not in failed
    ]
    return ApplyReport(outcomes=outcomes, preflight_only=True, stopped=stopped)
