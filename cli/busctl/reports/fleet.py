"""The fleet plan document ("fleet-plan-report"): `plan --format json` and `plan --out` for several
clusters. Each part is a whole plan document (busctl.reports.plan), checked by apply on its own."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from busctl.core.plan import FleetPlan, Unread
from busctl.reports import Document, validated
from busctl.reports.apply import ApplyReport
from busctl.reports.plan import PlanReport, plan_from_document, plan_report

FLEET_FORMAT_VERSION = 1


class UnreadDocument(Document):
    """A cluster the fleet plan could not read: nothing is planned (or applied) for it."""

    cluster: str
    error: str
    hint: str


class FleetSummary(Document):
    """Counts over the fleet."""

    clusters: int
    changes: int = Field(description="changes apply would make, over every cluster")
    blocked: int
    unread: int = Field(description="clusters that could not be read")
    with_changes: list[str] = Field(description="the clusters apply would change")


class FleetPlanReport(Document):
    """Everything `busctl plan` found for several clusters: one plan per cluster, in the order chosen."""

    format_version: Literal[1]
    kind: Literal["fleet-plan"]
    clusters: list[str] = Field(description="every cluster chosen, in order (planned and unread)")
    summary: FleetSummary
    plans: list[PlanReport]
    unread: list[UnreadDocument]


def fleet_report(fleet: FleetPlan) -> FleetPlanReport:
    """The fleet plan as its document."""
    return FleetPlanReport(
        format_version=FLEET_FORMAT_VERSION,
        kind="fleet-plan",
        clusters=fleet.clusters,
        summary=FleetSummary(
            clusters=len(fleet.clusters),
            changes=sum(len(p.actionable) for p in fleet.plans),
            blocked=sum(len(p.blocked) for p in fleet.plans),
            unread=len(fleet.unread),
            with_changes=[p.cluster for p in fleet.plans if p.has_changes],
        ),
        plans=[plan_report(p) for p in fleet.plans],
        unread=[UnreadDocument(cluster=u.cluster, error=u.error, hint=u.hint) for u in fleet.unread],
    )


def is_fleet_document(document: object) -> bool:
    """Whether parsed JSON claims to be a fleet plan (then it must be one exactly)."""
    return isinstance(document, dict) and document.get("kind") == "fleet-plan"


def fleet_from_document(document: object) -> FleetPlan:
    """A fleet plan read back from its JSON data; ValueError naming the first thing that is wrong."""
    if not isinstance(document, dict):
        raise ValueError("not a JSON object")
    version = document.get("format_version")
    if version != FLEET_FORMAT_VERSION:
        raise ValueError(f"fleet plan format_version {version!r} is not {FLEET_FORMAT_VERSION}")
    report = validated(FleetPlanReport, document)
    plans = [plan_from_document(p) for p in document["plans"]]
    names = [p.cluster for p in plans] + [u.cluster for u in report.unread]
    if len(set(names)) != len(names) or sorted(names) != sorted(report.clusters):
        raise ValueError("clusters do not match the plans and unread clusters it holds")
    if not names:
        raise ValueError("it holds no cluster")
    return FleetPlan(
        plans, [Unread(u.cluster, u.error, u.hint) for u in report.unread], list(report.clusters)
    )


def part_documents(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each cluster's plan document of a fleet plan document, as saved (what apply compares)."""
    return {part["cluster"]: part for part in document["plans"]}


FleetStatus = Literal[
    "applied",
    "no-changes",
    "preflight-failed",
    "incomplete",
    "failed",
    "interrupted",
    "not-read",
    "not-started",
]


class ClusterApplied(Document):
    """What apply did on one cluster of a fleet: its apply report when it got as far as the lock,
    else why not (failed: refused or unreachable; not-read: unread when planned; not-started: apply
    stopped before it)."""

    cluster: str
    status: FleetStatus
    error: str | None = None
    hint: str | None = None
    exit_code: int = Field(1, description="what `busctl apply --cluster` alone would have exited with")
    apply: ApplyReport | None = None

    @classmethod
    def of(cls, cluster: str, code: int, report: ApplyReport) -> ClusterApplied:
        """The outcome of a run that reached the lock and planned again."""
        return cls(cluster=cluster, status=report.result, error=report.stopped, exit_code=code, apply=report)

    @property
    def succeeded(self) -> bool:
        return self.exit_code == 0


class FleetApplyReport(Document):
    """`busctl apply --format json` for several clusters: each cluster's outcome, in order."""

    format_version: Literal[1]
    kind: Literal["fleet-apply"]
    plan_file: str | None
    succeeded: list[str] = Field(description="clusters where everything planned was applied")
    failed: list[str] = Field(description="clusters where something was not applied (see their status)")
    clusters: list[ClusterApplied]


def fleet_apply_report(results: list[ClusterApplied], plan_file: str | None) -> FleetApplyReport:
    """The fleet apply document."""
    return FleetApplyReport(
        format_version=1,
        kind="fleet-apply",
        plan_file=plan_file,
        succeeded=[r.cluster for r in results if r.succeeded],
        failed=[r.cluster for r in results if not r.succeeded],
        clusters=results,
    )
