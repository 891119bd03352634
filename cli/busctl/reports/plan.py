"""The plan document ("plan-report"): what `plan --format json` prints and `plan --out` saves.

A saved plan is read back with `plan_from_document`, which refuses anything that is not exactly this
shape (apply only compares it with the plan it makes itself; comment renders it).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from busctl.core.plan import (
    PLAN_FORMAT_VERSION,
    Action,
    Change,
    ConfigChange,
    ConnectorChange,
    NotPlanned,
    Plan,
    Risk,
    Skipped,
    SubjectChange,
)
from busctl.core.state import AclBinding
from busctl.reports import Document, validated


class ConfigChangeDocument(Document):
    """One config key: before (null = not set on the topic) and after (null = remove the override)."""

    key: str
    before: str | None
    after: str | None


class AclDocument(Document):
    """One ACL binding: Kafka's resource pattern and access control entry."""

    resource_type: str
    resource_name: str
    pattern_type: str
    principal: str
    host: str
    operation: str
    permission: str


class SubjectDocument(Document):
    """What a change does to one schema registry subject."""

    subject: str
    file: str = Field(description="the .proto (import path) whose schema the subject holds")
    schema_digest: str = Field(description="register-schema: sha256 of the schema, first 16 hex digits")
    latest_version: int | None = Field(
        description="register-schema: the latest version now (null: new subject)"
    )
    references: list[str] = Field(description="register-schema: the subjects the schema references")
    compatibility: str | None = Field(description="the compatibility level declared")
    previous_compatibility: str = Field(description="set-compatibility: the level now")
    check: str = Field(description="register-schema of a new version: the registry's verdict, or why none")


class ConnectorDocument(Document):
    """What a change does to one Kafka Connect connector (its config changes are under `configs`,
    secret values shown as "(secret)")."""

    name: str
    connector_class: str
    state: str = Field(description="the state declared: RUNNING or PAUSED")
    previous_state: str = Field(description='the state now ("" for a new connector)')
    file: str = Field(description="the connector's declaration")


class ChangeDocument(Document):
    """One planned change (or, under `blocked`, one change apply will not make, with reason and remedy)."""

    action: Action
    topic: str
    partitions: int | None = Field(description="create: the count; add-partitions: the new total")
    previous_partitions: int | None
    replication_factor: int | None
    configs: list[ConfigChangeDocument]
    acl: AclDocument | None
    subject: SubjectDocument | None = None
    connector: ConnectorDocument | None = None
    reason: str = Field(description="why the change is blocked (empty when it is not)")
    remedy: str = Field(description="what an operator can do about a blocked change")
    warnings: list[str]
    risk: Risk
    origins: dict[str, str] = Field(
        default_factory=dict,
        description="where each value the change sets was declared, by partitions, replication_factor "
        "or config key: the topic, per_cluster.KEY, bus.yaml clusters.NAME.overrides, bus.yaml defaults",
    )


class NotPlannedDocument(Document):
    """A declared topic plan held back: its file has lint errors (the first one given)."""

    topic: str = Field(description='"" when the file could not be read far enough to name it')
    file: str
    error: str


class PlanOptions(Document):
    """The options the plan was made with: apply must be given the same."""

    topic_filter: str | None
    allow_delete: bool


class PlanSummary(Document):
    """Counts: changes apply would make (by action) and blocked changes."""

    changes: int
    blocked: int
    by_action: dict[str, int]


class PlanReport(Document):
    """Everything `busctl plan` found for one cluster, with the digests of the state it was made from."""

    format_version: Literal[3]
    cluster: str
    cluster_id: str
    fingerprint: str = Field(description="digest of the observed cluster state the plan was made from")
    desired_digest: str = Field(description="digest of the declarations the plan was made from")
    options: PlanOptions
    summary: PlanSummary
    changes: list[ChangeDocument] = Field(description="in execution order")
    blocked: list[ChangeDocument]
    unmanaged: list[str] = Field(description="topics on the cluster that no declaration names (left alone)")
    registry: str = Field("", description="the cluster's schema registry URL (no credentials); empty: none")
    registry_fingerprint: str = Field("", description="digest of the registry state the plan was made from")
    unmanaged_subjects: list[str] = Field(
        default_factory=list, description="registry subjects no declaration needs (left alone)"
    )
    connect: str = Field("", description="the cluster's Kafka Connect REST URL (no credentials); empty: none")
    connect_fingerprint: str = Field("", description="digest of the Connect state the plan was made from")
    unmanaged_connectors: list[str] = Field(
        default_factory=list,
        description="connectors on the Connect cluster no declaration names (left alone)",
    )
    not_planned: list[NotPlannedDocument] = Field(
        default_factory=list, description="declared topics held back by lint errors in their files"
    )
    notes: list[str]


class PlanSkippedReport(Document):
    """A plan that was not made: no chosen cluster has its credentials here (`plan
    --skip-without-credentials`, as in a pull request from a fork). Nothing to apply."""

    format_version: Literal[3]
    skipped: str = Field(description="why no cluster was read")
    clusters: dict[str, list[str]] = Field(
        description="each cluster chosen and the environment variables it lacks (names, never values)"
    )


def skipped_report(skipped: Skipped) -> PlanSkippedReport:
    return PlanSkippedReport(
        format_version=PLAN_FORMAT_VERSION,
        skipped=skipped.reason,
        clusters={name: list(names) for name, names in skipped.clusters.items()},
    )


def is_skipped_document(document: object) -> bool:
    """Whether a saved plan file records a skipped plan."""
    return isinstance(document, dict) and "skipped" in document


def skipped_from_document(document: object) -> Skipped:
    report = validated(PlanSkippedReport, document)
    return Skipped({name: tuple(names) for name, names in report.clusters.items()})


def plan_report(plan: Plan) -> PlanReport:
    """The plan as its document. Never contains connection settings."""
    actionable = plan.actionable  # sorted on every access: once here
    counts: dict[str, int] = {}
    for change in actionable:
        counts[change.action.value] = counts.get(change.action.value, 0) + 1
    return PlanReport(
        format_version=PLAN_FORMAT_VERSION,
        cluster=plan.cluster,
        cluster_id=plan.cluster_id,
        fingerprint=plan.fingerprint,
        desired_digest=plan.desired_digest,
        options=PlanOptions(topic_filter=plan.topic_filter, allow_delete=plan.allow_delete),
        summary=PlanSummary(changes=len(actionable), blocked=len(plan.blocked), by_action=counts),
        changes=[change_document(c) for c in actionable],
        blocked=[change_document(c) for c in plan.blocked],
        unmanaged=list(plan.unmanaged),
        registry=plan.registry,
        registry_fingerprint=plan.registry_fingerprint,
        unmanaged_subjects=list(plan.unmanaged_subjects),
        connect=plan.connect,
        connect_fingerprint=plan.connect_fingerprint,
        unmanaged_connectors=list(plan.unmanaged_connectors),
        not_planned=[NotPlannedDocument.model_validate(n, from_attributes=True) for n in plan.not_planned],
        notes=list(plan.notes),
    )


def plan_document(plan: Plan) -> dict[str, Any]:
    """The plan's document as JSON data (what `first_difference` compares)."""
    return plan_report(plan).model_dump(mode="json")


def change_document(change: Change) -> ChangeDocument:
    """One change of a plan (or a blocked one) as its document."""
    fields = {f: getattr(change, f) for f in ChangeDocument.model_fields if f != "origins"}
    return ChangeDocument.model_validate({**fields, "origins": dict(change.origins)}, from_attributes=True)


def plan_from_document(document: object) -> Plan:
    """A plan read back from its JSON data; ValueError naming the first thing that is not a plan's."""
    if not isinstance(document, dict):
        raise ValueError("not a JSON object")
    version = document.get("format_version")
    if version != PLAN_FORMAT_VERSION:
        raise ValueError(f"plan format_version {version!r} is not {PLAN_FORMAT_VERSION}")
    report = validated(PlanReport, document)
    return Plan(
        cluster=report.cluster,
        cluster_id=report.cluster_id,
        fingerprint=report.fingerprint,
        desired_digest=report.desired_digest,
        changes=[_change(c) for c in [*report.changes, *report.blocked]],
        unmanaged=list(report.unmanaged),
        registry=report.registry,
        registry_fingerprint=report.registry_fingerprint,
        unmanaged_subjects=list(report.unmanaged_subjects),
        connect=report.connect,
        connect_fingerprint=report.connect_fingerprint,
        unmanaged_connectors=list(report.unmanaged_connectors),
        not_planned=[NotPlanned(**n.model_dump()) for n in report.not_planned],
        notes=list(report.notes),
        topic_filter=report.options.topic_filter,
        allow_delete=report.options.allow_delete,
    )


def _change(document: ChangeDocument) -> Change:
    fields = document.model_dump()
    acl = fields.pop("acl")
    subject = fields.pop("subject")
    connector = fields.pop("connector")
    return Change(
        **fields
        | {
            "configs": tuple(ConfigChange(**c) for c in fields["configs"]),
            "acl": None if acl is None else AclBinding(**acl),
            "subject": None
            if subject is None
            else SubjectChange(**subject | {"references": tuple(subject["references"])}),
            "connector": None if connector is None else ConnectorChange(**connector),
            "warnings": tuple(fields["warnings"]),
            "origins": tuple(fields["origins"].items()),
        }
    )
