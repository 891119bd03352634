"""The plan: a value listing what apply would change on a cluster, what is blocked and why.

Plans are data (Terraform's model): rendered as text or markdown, and as one JSON document
(busctl.reports.plan), which is also the `--out` plan file. A plan records digests of the observed
state (`fingerprint`) and of the desired state (`desired_digest`) it was made from. `apply` never
executes a plan file's changes: it plans again, under the cluster's apply lock, and executes its own
plan only when it equals the approved one (`first_difference`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from busctl.core.diagnostics import printable
from busctl.core.state import AclBinding

PLAN_FORMAT_VERSION = 3
Risk = Literal["low", "medium", "high"]


class Action(StrEnum):
    """What a change does. The symbols are those of the text rendering."""

    CREATE_TOPIC = "create"
    UPDATE_CONFIG = "update-config"
    ADD_PARTITIONS = "add-partitions"
    DELETE_TOPIC = "delete"
    CREATE_ACL = "create-acl"
    DELETE_ACL = "delete-acl"
    SET_COMPATIBILITY = "set-compatibility"
    REGISTER_SCHEMA = "register-schema"
    DELETE_SUBJECT = "delete-subject"
    CREATE_CONNECTOR = "create-connector"
    UPDATE_CONNECTOR = "update-connector"
    PAUSE_CONNECTOR = "pause-connector"
    RESUME_CONNECTOR = "resume-connector"
    DELETE_CONNECTOR = "delete-connector"
    BLOCKED = "blocked"


SYMBOLS = {
    Action.CREATE_TOPIC: "+",
    Action.UPDATE_CONFIG: "~",
    Action.ADD_PARTITIONS: "~",
    Action.DELETE_TOPIC: "-",
    Action.CREATE_ACL: "+",
    Action.DELETE_ACL: "-",
    Action.SET_COMPATIBILITY: "~",
    Action.REGISTER_SCHEMA: "+",
    Action.DELETE_SUBJECT: "-",
    Action.CREATE_CONNECTOR: "+",
    Action.UPDATE_CONNECTOR: "~",
    Action.PAUSE_CONNECTOR: "~",
    Action.RESUME_CONNECTOR: "~",
    Action.DELETE_CONNECTOR: "-",
    Action.BLOCKED: "!",
}
# Execution order: topics before the ACLs and partitions that refer to them; a subject's compatibility
# level before its new schema (so the registry judges it by the declared level); connectors once their
# topics, ACLs and schemas are there, and removed before the topics they used; deletions last.
EXECUTION_ORDER = [
    Action.CREATE_TOPIC,
    Action.UPDATE_CONFIG,
    Action.ADD_PARTITIONS,
    Action.CREATE_ACL,
    Action.DELETE_ACL,
    Action.SET_COMPATIBILITY,
    Action.REGISTER_SCHEMA,
    Action.CREATE_CONNECTOR,
    Action.UPDATE_CONNECTOR,
    Action.PAUSE_CONNECTOR,
    Action.RESUME_CONNECTOR,
    Action.DELETE_CONNECTOR,
    Action.DELETE_TOPIC,
    Action.DELETE_SUBJECT,
]
SUBJECT_ACTIONS = frozenset({Action.SET_COMPATIBILITY, Action.REGISTER_SCHEMA, Action.DELETE_SUBJECT})
CONNECTOR_ACTIONS = frozenset(
    {
        Action.CREATE_CONNECTOR,
        Action.UPDATE_CONNECTOR,
        Action.PAUSE_CONNECTOR,
        Action.RESUME_CONNECTOR,
        Action.DELETE_CONNECTOR,
    }
)


@dataclass(frozen=True)
class ConfigChange:
    """One config key: before (None = not set on the topic) and after (None = remove the override)."""

    key: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class SubjectChange:
    """What a change does to one schema registry subject (the schema itself is not in the plan: its
    digest is)."""

    subject: str
    file: str = ""  # the .proto (import path) whose schema the subject holds
    schema_digest: str = ""  # register: sha256 of the schema, first 16 hex digits
    latest_version: int | None = None  # register: the latest version now (None: a new subject)
    references: tuple[str, ...] = ()  # register: the subjects its schema references
    compatibility: str | None = None  # register, set-compatibility: the level declared
    previous_compatibility: str = ""  # set-compatibility: the level now
    check: str = ""  # register of a new version: the registry's verdict, or why there is none


@dataclass(frozen=True)
class ConnectorChange:
    """What a change does to one Kafka Connect connector (its config changes are the Change's
    `configs`, secret values masked)."""

    name: str
    connector_class: str
    state: str = ""  # the state declared: RUNNING or PAUSED
    previous_state: str = ""  # the state now ("" for a new connector)
    file: str = ""  # the declaration's file


@dataclass(frozen=True)
class Change:
    """One planned action on one topic, ACL or schema registry subject."""

    action: Action
    topic: str
    partitions: int | None = None  # create: count; add-partitions: new total
    previous_partitions: int | None = None
    replication_factor: int | None = None
    configs: tuple[ConfigChange, ...] = ()
    acl: AclBinding | None = None
    subject: SubjectChange | None = None
    connector: ConnectorChange | None = None
    reason: str = ""  # why blocked
    remedy: str = ""  # what an operator can do about a blocked change
    warnings: tuple[str, ...] = ()
    risk: Risk = "low"
    # where each value the change sets was declared: (partitions | replication_factor | config key, where)
    origins: tuple[tuple[str, str], ...] = ()

    @property
    def target(self) -> str:
        """What the change is made to, in words: the topic, the ACL, `subject NAME` or `connector NAME`."""
        if self.subject is not None:
            return f"subject {self.subject.subject}"
        if self.connector is not None:
            return f"connector {self.connector.name}"
        return self.acl.describe() if self.acl is not None else self.topic


@dataclass(frozen=True)
class NotPlanned:
    """A declared topic plan holds back because its file has lint errors (the first one given)."""

    topic: str  # "" when the file could not be read far enough to name it
    file: str
    error: str


@dataclass
class Plan:
    """Everything `busctl plan` found for one cluster."""

    cluster: str
    cluster_id: str
    fingerprint: str
    desired_digest: str = ""
    changes: list[Change] = field(default_factory=list)
    unmanaged: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    topic_filter: str | None = None
    allow_delete: bool = False
    not_planned: list[NotPlanned] = field(default_factory=list)
    registry: str = ""  # the cluster's schema registry (its URL without credentials); "": none
    registry_fingerprint: str = ""  # digest of the registry state the subject changes were made from
    unmanaged_subjects: list[str] = field(default_factory=list)
    connect: str = ""  # the cluster's Kafka Connect REST URL (without credentials); "": none
    connect_fingerprint: str = ""  # digest of the Connect state the connector changes were made from
    unmanaged_connectors: list[str] = field(default_factory=list)

    @property
    def actionable(self) -> list[Change]:
        """Changes apply would make, in execution order."""
        order = {action: index for index, action in enumerate(EXECUTION_ORDER)}
        return sorted(
            (c for c in self.changes if c.action is not Action.BLOCKED), key=lambda c: order[c.action]
        )

    @property
    def blocked(self) -> list[Change]:
        return [c for c in self.changes if c.action is Action.BLOCKED]

    @property
    def has_changes(self) -> bool:
        return bool(self.actionable)


@dataclass(frozen=True)
class Unread:
    """A cluster of a fleet plan that could not be read (unreachable, refused the principal, ...)."""

    cluster: str
    error: str
    hint: str = ""


@dataclass(frozen=True)
class Skipped:
    """A plan not made because no chosen cluster has its credentials here (`plan
    --skip-without-credentials`, for a pull request from a fork): each cluster and the variables it
    lacks."""

    clusters: dict[str, tuple[str, ...]]

    reason = "no credentials (pull request from a fork)"


@dataclass
class FleetPlan:
    """One plan per cluster of a fleet, in the order chosen, and the clusters that could not be read.
    Each part is a whole Plan, with the digests of the state it was made from: apply checks each part
    on its own."""

    plans: list[Plan]
    unread: list[Unread] = field(default_factory=list)
    order: list[str] = field(default_factory=list)  # every cluster, as chosen (default: plans, then unread)

    @property
    def clusters(self) -> list[str]:
        return self.order or [p.cluster for p in self.plans] + [u.cluster for u in self.unread]

    @property
    def parts(self) -> list[Plan | Unread]:
        """Each cluster's plan, or why it has none, in the order chosen."""
        by_cluster: dict[str, Plan | Unread] = {p.cluster: p for p in self.plans}
        by_cluster |= {u.cluster: u for u in self.unread}
        return [by_cluster[c] for c in self.clusters]


def first_difference(approved: dict[str, Any], now: dict[str, Any]) -> str | None:
    """How a plan document that was approved (saved, or confirmed at a prompt) differs from the one busctl
    makes now, in words: the first difference that matters most, or None when they are equal. Text from
    the approved plan is shown escaped (an invisible character in a name is made visible)."""
    difference = _first_difference(approved, now)
    return None if difference is None else printable(difference)


def _first_difference(approved: dict[str, Any], now: dict[str, Any]) -> str | None:
    if approved == now:
        return None
    for key, what in (
        ("format_version", "plan format"),
        ("cluster", "cluster"),
        ("cluster_id", "cluster id"),
        ("options", "options (--topic, --allow-delete)"),
    ):
        if approved.get(key) != now.get(key):
            return f"it was made for {what} {approved.get(key)!r}, now {now.get(key)!r}"
    # the declarations first: they also decide which topics the fingerprint covers
    if approved.get("desired_digest") != now.get("desired_digest"):
        return "it was made from other declarations (their digest differs)"
    if approved.get("fingerprint") != now.get("fingerprint"):
        return "the cluster changed since it was made (its state fingerprint differs)"
    if approved.get("registry_fingerprint") != now.get("registry_fingerprint"):
        return "the schema registry changed since it was made (its state fingerprint differs)"
    if approved.get("connect_fingerprint") != now.get("connect_fingerprint"):
        return "the Connect cluster's connectors changed since it was made (its state fingerprint differs)"
    for key in ("changes", "blocked"):
        difference = _list_difference(key, approved.get(key) or [], now.get(key) or [])
        if difference:
            return difference
    different = sorted(k for k in approved.keys() | now.keys() if approved.get(k) != now.get(k))
    return f"its {', '.join(different)} differ from the plan busctl makes now"


def _label(item: dict[str, Any]) -> str:
    subject = item.get("subject")
    if isinstance(subject, dict):
        return f"{item.get('action')} subject {subject.get('subject')}"
    connector = item.get("connector")
    if isinstance(connector, dict):
        return f"{item.get('action')} connector {connector.get('name')}"
    acl = item.get("acl")
    if isinstance(acl, dict):
        target = f"{acl.get('principal')} {acl.get('operation')} {acl.get('resource_name')}"
        return f"{item.get('action')} acl {target}"
    return f"{item.get('action')} {item.get('topic')}"


def _config_difference(approved: Any, now: Any) -> str:
    def by_key(items: Any) -> dict[str, Any]:
        return {str(c.get("key")): c for c in items if isinstance(c, dict)} if isinstance(items, list) else {}

    old, new = by_key(approved), by_key(now)
    for key in sorted(old.keys() | new.keys(), key=str):
        if key not in new:
            return f"config {key} is in the approved plan, not in the plan now"
        if key not in old:
            return f"config {key} is planned now, not in the approved plan"
        if old[key] != new[key]:
            before, after = old[key].get("after"), new[key].get("after")
            return f"config {key} is {before!r} in the approved plan, {after!r} now"
    return "configs differ in order"


def _list_difference(key: str, approved: list[Any], now: list[Any]) -> str | None:
    noun = "change" if key == "changes" else "blocked change"
    for index, (old, new) in enumerate(zip(approved, now, strict=False), start=1):
        if old == new:
            continue
        if not isinstance(old, dict) or _label(old) != _label(new):
            shown = _label(old) if isinstance(old, dict) else repr(old)
            return f"{noun} {index} is `{shown}`, but busctl plans `{_label(new)}` there"
        fields = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
        field_name = fields[0]
        if field_name == "configs":
            return f"{noun} {index} (`{_label(new)}`): {_config_difference(old['configs'], new['configs'])}"
        before, after = old.get(field_name), new.get(field_name)
        where = f"{noun} {index} (`{_label(new)}`)"
        return f"{where}: {field_name} is {before!r} in the approved plan, {after!r} now"
    if len(approved) > len(now):
        extra = approved[len(now)]
        shown = _label(extra) if isinstance(extra, dict) else repr(extra)
        return f"it has a {noun} busctl does not plan now: `{shown}`"
    if len(now) > len(approved):
        return f"busctl now plans a {noun} it lacks: `{_label(now[len(approved)])}`"
    return None
