"""The plan: a value listing what apply would change on a cluster, what is blocked and why.

Plans are data (Terraform's model): rendered as text/JSON/markdown, saved with `--out`, and executed by
`apply` only after checking that the cluster still has the state (fingerprint) the plan was made from.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from busctl.core.state import AclBinding

PLAN_FORMAT_VERSION = 1


class Action(StrEnum):
    """What a change does. The symbols are those of the text rendering."""

    CREATE_TOPIC = "create"
    UPDATE_CONFIG = "update-config"
    ADD_PARTITIONS = "add-partitions"
    DELETE_TOPIC = "delete"
    CREATE_ACL = "create-acl"
    DELETE_ACL = "delete-acl"
    BLOCKED = "blocked"


SYMBOLS = {
    Action.CREATE_TOPIC: "+",
    Action.UPDATE_CONFIG: "~",
    Action.ADD_PARTITIONS: "~",
    Action.DELETE_TOPIC: "-",
    Action.CREATE_ACL: "+",
    Action.DELETE_ACL: "-",
    Action.BLOCKED: "!",
}
# Execution order: topics before the ACLs and partitions that refer to them; deletions last.
EXECUTION_ORDER = [
    Action.CREATE_TOPIC,
    Action.UPDATE_CONFIG,
    Action.ADD_PARTITIONS,
    Action.CREATE_ACL,
    Action.DELETE_ACL,
    Action.DELETE_TOPIC,
]


@dataclass(frozen=True)
class ConfigChange:
    """One config key: before (None = not set on the topic) and after (None = remove the override)."""

    key: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class Change:
    """One planned action on one topic or ACL."""

    action: Action
    topic: str
    partitions: int | None = None  # create: count; add-partitions: new total
    previous_partitions: int | None = None
    replication_factor: int | None = None
    configs: tuple[ConfigChange, ...] = ()
    acl: AclBinding | None = None
    reason: str = ""  # why blocked
    remedy: str = ""  # what an operator can do about a blocked change
    warnings: tuple[str, ...] = ()
    risk: str = "low"  # low | medium | high


@dataclass
class Plan:
    """Everything `busctl plan` found for one cluster."""

    cluster: str
    cluster_id: str
    fingerprint: str
    changes: list[Change] = field(default_factory=list)
    unmanaged: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    topic_filter: str | None = None
    allow_delete: bool = False

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


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The stable JSON form of a plan (also the --out plan file). Never contains connection settings."""
    counts: dict[str, int] = {}
    for change in plan.actionable:
        counts[change.action.value] = counts.get(change.action.value, 0) + 1
    return {
        "format_version": PLAN_FORMAT_VERSION,
        "cluster": plan.cluster,
        "cluster_id": plan.cluster_id,
        "fingerprint": plan.fingerprint,
        "options": {"topic_filter": plan.topic_filter, "allow_delete": plan.allow_delete},
        "summary": {"changes": len(plan.actionable), "blocked": len(plan.blocked), "by_action": counts},
        "changes": [_change_to_dict(c) for c in plan.actionable],
        "blocked": [_change_to_dict(c) for c in plan.blocked],
        "unmanaged": plan.unmanaged,
        "notes": plan.notes,
    }


def _change_to_dict(change: Change) -> dict[str, Any]:
    return {
        "action": change.action.value,
        "topic": change.topic,
        "partitions": change.partitions,
        "previous_partitions": change.previous_partitions,
        "replication_factor": change.replication_factor,
        "configs": [{"key": c.key, "before": c.before, "after": c.after} for c in change.configs],
        "acl": asdict(change.acl) if change.acl else None,
        "reason": change.reason,
        "remedy": change.remedy,
        "warnings": list(change.warnings),
        "risk": change.risk,
    }


def plan_from_dict(document: dict[str, Any]) -> Plan:
    """Read a plan file written by plan_to_dict; ValueError if it is not one this version understands."""
    if document.get("format_version") != PLAN_FORMAT_VERSION:
        raise ValueError(
            f"plan format_version {document.get('format_version')!r} is not {PLAN_FORMAT_VERSION}"
        )
    changes = [
        Change(
            action=Action(item["action"]),
            topic=item["topic"],
            partitions=item["partitions"],
            previous_partitions=item["previous_partitions"],
            replication_factor=item["replication_factor"],
            configs=tuple(ConfigChange(c["key"], c["before"], c["after"]) for c in item["configs"]),
            acl=AclBinding(**item["acl"]) if item["acl"] else None,
            reason=item["reason"],
            remedy=item["remedy"],
            warnings=tuple(item["warnings"]),
            risk=item["risk"],
        )
        for item in [*document["changes"], *document["blocked"]]
    ]
    options = document["options"]
    return Plan(
        cluster=document["cluster"],
        cluster_id=document["cluster_id"],
        fingerprint=document["fingerprint"],
        changes=changes,
        unmanaged=list(document["unmanaged"]),
        notes=list(document["notes"]),
        topic_filter=options["topic_filter"],
        allow_delete=options["allow_delete"],
    )
