"""The apply document ("apply-report"): what `busctl apply --format json` prints once the run is over,
also when it failed or was interrupted: every change of the plan made under the lock, with its status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from busctl.core.plan import Action, Plan
from busctl.core.ports import Status
from busctl.reports import Document
from busctl.reports.plan import AclDocument, ChangeDocument, change_document

if TYPE_CHECKING:
    from busctl.executor import ApplyReport as Executed
    from busctl.executor import Outcome

Result = Literal["no-changes", "applied", "preflight-failed", "incomplete"]


class ChangeError(Document):
    """What the cluster answered for a change it refused (failed) or did not confirm (unconfirmed)."""

    name: str | None = Field(description="Kafka's error name, e.g. INVALID_CONFIG; null when there was none")
    message: str


class AppliedChange(Document):
    """One change of the plan and how it ended."""

    action: Action
    topic: str
    acl: AclDocument | None
    subject: str | None = Field(None, description="the registry subject of a subject change")
    connector: str | None = Field(None, description="the connector of a connector change")
    status: Status = Field(
        description="done; failed (refused, nothing changed); unconfirmed (sent, no answer or not seen "
        "applied: it may or may not have happened); not-started (never sent)"
    )
    error: ChangeError | None = Field(description="for failed and unconfirmed changes")
    reason: str | None = Field(description="for not-started changes: why it was not sent")


class ApplySummary(Document):
    """Counts of the changes by status, and of the blocked changes (never executed)."""

    changes: int
    done: int
    failed: int
    unconfirmed: int
    not_started: int
    blocked: int
    not_planned: int = Field(0, description="declared topics held back by lint errors in their files")


class LockDocument(Document):
    """The cluster's apply lock as this run held it."""

    holder: str
    held_since: datetime = Field(description="when the broker appended the winning claim (UTC)")
    released: bool = Field(description="false: the release failed; the lease then ends by itself")
    release_problem: str | None


class ApplyReport(Document):
    """One apply run: the plan it executed (made under the lock) and the outcome of every change."""

    format_version: Literal[1]
    cluster: str
    cluster_id: str
    fingerprint: str = Field(
        description="the state fingerprint of the plan applied (a PLANFILE's, which it must equal)"
    )
    desired_digest: str
    plan_file: str | None = Field(description="the approved plan file; null with --auto-approve")
    result: Result = Field(
        description="no-changes; applied (every change done); preflight-failed (the broker refused "
        "some in validation: nothing changed); incomplete (see the statuses and `stopped`)"
    )
    stopped: str | None = Field(description="why the run stopped sending before its end, if it did")
    summary: ApplySummary
    changes: list[AppliedChange] = Field(description="in execution order")
    blocked: list[ChangeDocument] = Field(description="changes apply never makes, with reason and remedy")
    lock: LockDocument


@dataclass(frozen=True)
class HeldLock:
    """How the run held the apply lock: who, since when (broker ms), and any problem releasing it."""

    holder: str
    since_ms: int
    release_problem: str | None


def apply_report(plan: Plan, executed: Executed, plan_file: str | None, lock: HeldLock) -> ApplyReport:
    """The report of an apply run that executed `plan` (nothing to execute: no outcomes)."""
    counts = {status: executed.count(status) for status in Status}
    return ApplyReport(
        format_version=1,
        cluster=plan.cluster,
        cluster_id=plan.cluster_id,
        fingerprint=plan.fingerprint,
        desired_digest=plan.desired_digest,
        plan_file=plan_file,
        result=_result(plan, executed),
        stopped=executed.stopped or None,
        summary=ApplySummary(
            changes=len(executed.outcomes),
            done=counts[Status.DONE],
            failed=counts[Status.FAILED],
            unconfirmed=counts[Status.UNCONFIRMED],
            not_started=counts[Status.NOT_STARTED],
            blocked=len(plan.blocked),
            not_planned=len(plan.not_planned),
        ),
        changes=[_applied(outcome) for outcome in executed.outcomes],
        blocked=[change_document(change) for change in plan.blocked],
        lock=LockDocument(
            holder=lock.holder,
            held_since=datetime.fromtimestamp(lock.since_ms / 1000, UTC),
            released=lock.release_problem is None,
            release_problem=lock.release_problem,
        ),
    )


def _result(plan: Plan, executed: Executed) -> Result:
    if not plan.has_changes:
        return "no-changes"
    if executed.preflight_only and not executed.stopped:
        return "preflight-failed"
    return "applied" if executed.ok else "incomplete"


def _applied(outcome: Outcome) -> AppliedChange:
    change, status = outcome.change, outcome.status
    error = None
    if status in (Status.FAILED, Status.UNCONFIRMED):
        name = outcome.error_name or None
        message = outcome.error.removeprefix(f"{name}: ") if name else outcome.error
        error = ChangeError(name=name, message=message)
    return AppliedChange(
        action=change.action,
        topic=change.topic,
        acl=None if change.acl is None else AclDocument.model_validate(change.acl, from_attributes=True),
        subject=None if change.subject is None else change.subject.subject,
        connector=None if change.connector is None else change.connector.name,
        status=status,
        error=error,
        reason=outcome.error if status is Status.NOT_STARTED else None,
    )
