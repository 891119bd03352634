"""What `busctl topics` and `busctl describe` show: declarations, their sources, and how a cluster
differs from them. Pure. Drift is read from the plan the diff made (core/diff.py): a topic differs in
exactly what `busctl plan` would change or block, never by a second comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from busctl.core.bus import Bus, Origin, Source, TopicDecl, effective
from busctl.core.diagnostics import Span
from busctl.core.plan import Action, Change, Plan
from busctl.core.state import AclBinding, ClusterState, TopicState
from busctl.core.topic_configs import Catalogue, ConfigValueError

# Configs whose effective value `busctl check` compares (BUS504/BUS505): always shown by describe.
KEY_CONFIGS = ("cleanup.policy", "retention.ms", "retention.bytes", "min.insync.replicas")
DEFAULT_CONFIG = "DEFAULT_CONFIG"


class DriftStatus(StrEnum):
    """How a topic on a cluster compares with its declaration."""

    IN_SYNC = "in-sync"
    MISSING = "missing"  # declared, not on the cluster
    DIFFERS = "differs"  # on the cluster, plan would change (or blocks a change to) `fields`
    TOMBSTONED = "tombstoned"  # lifecycle: deleted, still on the cluster
    INVISIBLE = "invisible"  # the principal may not DESCRIBE it
    UNMANAGED = "unmanaged"  # on the cluster, declared nowhere


@dataclass(frozen=True)
class Drift:
    """A topic's drift status and, when it differs, which fields (config keys, partitions, acls, ...)."""

    status: DriftStatus
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Setting:
    """One desired value and where it was set (None: nobody sets it and Kafka has no default)."""

    value: str | None
    origin: Origin | None

    @property
    def source(self) -> Source | None:
        return None if self.origin is None else self.origin.source


def changes_by_topic(plan: Plan, bus: Bus) -> dict[str, list[Change]]:
    """The plan's changes per declared topic. A consumer group's ACL change counts for the topics whose
    consumer entry names that group and principal, else (an ACL nobody declares) for every topic
    declaring the group."""
    by_group: dict[str, set[str]] = {}
    by_consumer: dict[tuple[str, str | None], set[str]] = {}
    for decl in bus.topics:
        for consumer in decl.topic.consumers:
            by_group.setdefault(consumer.group, set()).add(decl.topic.name)
            by_consumer.setdefault((consumer.group, consumer.principal), set()).add(decl.topic.name)
    result: dict[str, list[Change]] = {}
    for change in plan.changes:
        topics = {change.topic} if change.topic else set()
        acl = change.acl
        if acl is not None and acl.resource_type == "GROUP":
            topics |= by_consumer.get((acl.resource_name, acl.principal)) or by_group.get(
                acl.resource_name, set()
            )
        for topic in topics:
            result.setdefault(topic, []).append(change)
    return result


def drift(name: str, deleted: bool, state: ClusterState, changes: list[Change]) -> Drift:
    """How declared topic `name` stands on the cluster, from the plan's changes for it."""
    observed = state.topics.get(name)
    if name in state.invisible:
        return Drift(DriftStatus.INVISIBLE)
    if deleted:
        return Drift(DriftStatus.IN_SYNC if observed is None else DriftStatus.TOMBSTONED)
    if observed is None:
        return Drift(DriftStatus.MISSING)
    fields = _fields(changes)
    return Drift(DriftStatus.DIFFERS, fields) if fields else Drift(DriftStatus.IN_SYNC)


def _fields(changes: list[Change]) -> tuple[str, ...]:
    """Changed config keys (sorted), then partitions, replication_factor, acls and schema, as planned."""
    configs = sorted({c.key for ch in changes if ch.action is Action.UPDATE_CONFIG for c in ch.configs})
    found = set()
    for change in changes:
        if change.action is Action.ADD_PARTITIONS or change.previous_partitions is not None:
            found.add("partitions")
        elif change.action is Action.BLOCKED and change.replication_factor is not None:
            found.add("replication_factor")
        elif change.action in (Action.CREATE_ACL, Action.DELETE_ACL):
            found.add("acls")
        elif change.subject is not None:
            found.add("schema")  # its registry subject: a new version, a level, drift
    return (*configs, *(f for f in ("partitions", "replication_factor", "acls", "schema") if f in found))


def count_setting(
    bus: Bus, decl: TopicDecl, cluster: str | None, key: Literal["partitions", "replication_factor"]
) -> tuple[int, Origin]:
    """The partitions or replication factor the topic gets (on `cluster`) and where it was set, by
    busctl.core.bus.effective."""
    settings = effective(bus.config, decl.topic, cluster)
    value: int = getattr(settings, key)
    return value, settings.origins[key]


def config_settings(
    bus: Bus, decl: TopicDecl, cluster: str | None, catalogue: Catalogue, observed: TopicState | None
) -> dict[str, Setting]:
    """Every config worth showing with its desired value (in Kafka's units) and origin: the keys set
    for the topic (by busctl.core.bus.effective), KEY_CONFIGS, and keys the cluster sets other than by
    Kafka's default; a key nobody sets gets the catalogue's default. Sorted by key."""
    settings_of = effective(bus.config, decl.topic, cluster)
    settings = {
        key: Setting(_normalised(catalogue, key, value), settings_of.config_origins[key])
        for key, value in settings_of.config.items()
    }
    shown = set(KEY_CONFIGS)
    if observed is not None:
        shown |= {k for k, v in observed.configs.items() if v.source != DEFAULT_CONFIG}
    for key in shown - settings.keys():
        spec = catalogue.spec(key)
        default = spec.default if spec is not None else None
        settings[key] = (
            Setting(None, None)
            if default is None
            else Setting(_normalised(catalogue, key, default), Origin(Source.CATALOGUE_DEFAULT))
        )
    return dict(sorted(settings.items()))


def _normalised(catalogue: Catalogue, key: str, value: object) -> str:
    try:
        return catalogue.normalise(key, value)
    except ConfigValueError:  # lint reports it; describe shows what is written
        return str(value)


class AclStatus(StrEnum):
    """An ACL binding of the topic, declared and/or on the cluster."""

    DECLARED = "declared"  # declared; the cluster was not read, or has no authorizer
    PRESENT = "present"  # declared and on the cluster
    MISSING = "missing"  # declared, not on the cluster: plan creates it
    UNDECLARED = "undeclared"  # on the cluster, declared nowhere: plan removes it
    UNMANAGED = "unmanaged"  # on the cluster, not busctl's (prefixed, DENY, other operations): left alone


@dataclass(frozen=True)
class AclRow:
    """One binding, the declaration behind it (role and where), and its status."""

    binding: AclBinding
    role: str | None  # producer | consumer; None when not declared
    declared_at: Span | None
    status: AclStatus


def acl_rows(
    decl: TopicDecl, wanted: frozenset[AclBinding], state: ClusterState | None, changes: list[Change]
) -> list[AclRow]:
    """The topic's declared bindings (`wanted`, from core.desired) and those on the cluster that apply
    to it or to its consumer groups (literal, prefixed or wildcard), with their status per the plan."""
    topic = decl.topic
    groups = {c.group for c in topic.consumers}
    observed = set() if state is None or state.acls is None else set(state.acls)
    applying = {
        a
        for a in observed
        if (a.resource_type == "TOPIC" and _covers(a, topic.name))
        or (a.resource_type == "GROUP" and any(_covers(a, g) for g in groups))
    }
    removed = {c.acl for c in changes if c.action is Action.DELETE_ACL}
    rows = []
    for binding in sorted(wanted | applying):
        role, span = _declaration(decl, binding) if binding in wanted else (None, None)
        if state is None or state.acls is None:
            status = AclStatus.DECLARED
        elif binding in wanted:
            status = AclStatus.PRESENT if binding in observed else AclStatus.MISSING
        else:
            status = AclStatus.UNDECLARED if binding in removed else AclStatus.UNMANAGED
        rows.append(AclRow(binding, role, span, status))
    return rows


def _covers(acl: AclBinding, name: str) -> bool:
    if acl.pattern_type == "PREFIXED":
        return name.startswith(acl.resource_name)
    return acl.pattern_type == "LITERAL" and acl.resource_name in (name, "*")


def _declaration(decl: TopicDecl, binding: AclBinding) -> tuple[str, Span]:
    """Which producers:/consumers: entry asks for the binding: WRITE is a producer's, READ and group
    ACLs a consumer's, DESCRIBE the producer's if the principal produces."""
    topic = decl.topic
    producers = [i for i, p in enumerate(topic.producers) if p.principal == binding.principal]
    consumers = [i for i, c in enumerate(topic.consumers) if c.principal == binding.principal]
    if binding.resource_type == "GROUP":
        consumers = [i for i in consumers if topic.consumers[i].group == binding.resource_name]
    if producers and (binding.operation == "WRITE" or binding.operation == "DESCRIBE"):
        return "producer", decl.source.at("producers", producers[0], "principal")
    return "consumer", decl.source.at("consumers", consumers[0], "principal")
