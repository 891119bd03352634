"""The diff: desired topics and ACLs against an observed ClusterState, producing a Plan. Pure.

Safety rules: undeclared topics are listed as unmanaged and never touched; protected topics (and
busctl's own lock topic) are never touched; a declared topic the principal cannot see is never
created; a topic is deleted only through a `lifecycle: deleted` tombstone whose file approves the
deletion (rule BUS515, asked for by `busctl check`) or --allow-delete; a config
override is removed only if it was set on the topic (DYNAMIC_TOPIC_CONFIG) and is no longer declared;
declared values equal to the cluster's effective value (after unit normalisation) are no change.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace

from busctl.core.bus import TOMBSTONE_RULE, Source
from busctl.core.desired import MANAGED_OPERATIONS, DesiredTopic, desired_digest
from busctl.core.lag import GroupOffsets
from busctl.core.lock import LOCK_TOPIC
from busctl.core.plan import Action, Change, ConfigChange, NotPlanned, Plan, Risk
from busctl.core.state import DYNAMIC_TOPIC_CONFIG, AclBinding, ClusterState, TopicState
from busctl.core.topic_configs import Catalogue, ConfigValueError

KEYED_PARTITIONS_WARNING = (
    "keyed topic: adding partitions changes which partition a key goes to; "
    "per-key ordering breaks across the change"
)


@dataclass(frozen=True)
class DiffOptions:
    """What the diff may do and which topics it looks at."""

    cluster: str
    protected: tuple[str, ...] = ()
    allow_delete: bool = False
    topic_filter: str | None = None  # a glob: only matching topics (and their ACLs) are planned
    held: tuple[NotPlanned, ...] = ()  # topics with lint errors: neither planned nor listed as unmanaged
    held_groups: frozenset[str] = frozenset()  # groups they declare: ACLs on them are not removed
    groups_unknown: bool = False  # a held file names groups busctl cannot read: no group ACL is removed

    @functools.cached_property
    def held_names(self) -> frozenset[str]:
        return frozenset(h.topic for h in self.held)


def in_scope(name: str, options: DiffOptions) -> bool:
    """Whether the --topic glob selects this topic."""
    return selected_by(name, options.topic_filter)


def selected_by(name: str, topic_filter: str | None) -> bool:
    """Whether a --topic glob (None: every topic) selects this topic."""
    return topic_filter is None or fnmatch.fnmatchcase(name, topic_filter)


def is_protected(name: str, patterns: Iterable[str]) -> bool:
    """Whether a protected-topics regex (bus.yaml policy.protected_topics) matches the name."""
    return any(re.search(pattern, name) for pattern in patterns)


def diff(
    desired: list[DesiredTopic],
    declared_groups: set[str],
    state: ClusterState,
    catalogue: Catalogue,
    options: DiffOptions,
    digest: str | None = None,
) -> Plan:
    """Compare desired with observed and return the Plan (changes, blocked changes, unmanaged topics).
    `digest`: the desired digest of `desired` and `declared_groups`, when the caller made it already."""
    scope = [t for t in desired if in_scope(t.name, options)]
    plan = Plan(
        cluster=options.cluster,
        cluster_id=state.cluster_id,
        fingerprint=state.fingerprint(lambda name: _considered(name, options)),
        desired_digest=digest or desired_digest(desired, declared_groups),
        topic_filter=options.topic_filter,
        allow_delete=options.allow_delete,
        not_planned=[h for h in options.held if not h.topic or in_scope(h.topic, options)],
    )
    if options.topic_filter is not None and not scope and not any(in_scope(n, options) for n in state.topics):
        plan.notes.append(f"--topic {options.topic_filter} matches no declared topic and none on the cluster")
    for topic in scope:
        if is_protected(topic.name, options.protected):
            plan.notes.append(f"{topic.name} is protected (policy.protected_topics): not touched")
            continue
        plan.changes.extend(_topic_changes(topic, state, catalogue, options))
    plan.changes.extend(_acl_changes(desired, scope, declared_groups, state, options, plan))
    declared = {t.name for t in desired}
    plan.unmanaged = sorted(
        name for name in state.topics if name not in declared and _considered(name, options)
    )
    plan.notes.extend(_schema_notes([t for t in scope if t.name in state.topics and not t.deleted]))
    plan.notes.extend(health_notes(state, options))
    return plan


def _schema_notes(existing: list[DesiredTopic]) -> list[str]:
    """One note for the topics that exist although their schema has an error (they are left as they
    are: only creating a topic waits for its schema)."""
    broken = [t for t in existing if t.schema_problem]
    if not broken:
        return []
    names = ", ".join(t.name for t in broken[:3]) + (
        f" and {len(broken) - 3} more" if len(broken) > 3 else ""
    )
    return [f"the schema of {names} has an error ({broken[0].schema_problem}); `busctl lint` shows where"]


def _considered(name: str, options: DiffOptions) -> bool:
    """In the --topic scope, not protected, not held back and not busctl's lock: the topics a plan
    depends on."""
    return (
        in_scope(name, options)
        and name != LOCK_TOPIC
        and not is_protected(name, options.protected)
        and name not in options.held_names
    )


def deletions(plan: Plan, tombstones: Collection[str]) -> set[str]:
    """The tombstoned topics the plan deletes or blocks the deletion of (those on the cluster)."""
    wanted = set(tombstones)
    return {
        c.topic
        for c in plan.changes
        if c.topic in wanted
        and c.action in (Action.DELETE_TOPIC, Action.BLOCKED)
        and c.acl is None
        and c.subject is None
    }


def warn_readers(plan: Plan, readers: Mapping[str, GroupOffsets]) -> None:
    """On each topic deletion, planned or blocked, a warning naming the consumer groups that have
    offsets committed on the topic: those with members (active: they read it now) first."""
    for index, change in enumerate(plan.changes):
        if change.action not in (Action.DELETE_TOPIC, Action.BLOCKED) or change.acl or change.subject:
            continue
        groups = {n: g for n, g in readers.items() if any(t == change.topic for t, _ in g.committed)}
        if not groups:
            continue
        active = sorted(n for n, g in groups.items() if g.members)
        named = [f"{n} ({groups[n].members} member{'s' * (groups[n].members != 1)})" for n in active]
        named += [f"{n} (no members)" for n in sorted(groups.keys() - set(active))]
        what = (
            f"{len(active)} active consumer group{'s' * (len(active) != 1)} read{'s' * (len(active) == 1)} it"
            if active
            else "consumer groups have offsets on it, none active now"
        )
        plan.changes[index] = replace(change, warnings=(*change.warnings, f"{what}: {', '.join(named)}"))


def health_notes(state: ClusterState, options: DiffOptions) -> list[str]:
    """What the plan must say about a degraded cluster or a principal that cannot see everything."""
    notes = []
    if state.offline_brokers:
        ids = ", ".join(str(b) for b in state.offline_brokers)
        notes.append(
            f"broker(s) {ids} down: they hold replicas but are not live "
            f"({len(state.brokers)} of {len(state.brokers) + len(state.offline_brokers)} brokers up)"
        )
    scoped = [t for name, t in sorted(state.topics.items()) if in_scope(name, options)]
    for what, counted in (
        ("offline (no leader)", [(t.name, t.offline_partitions) for t in scoped]),
        ("under-replicated", [(t.name, t.under_replicated_partitions) for t in scoped]),
    ):
        hit = [(name, n) for name, n in counted if n]
        if hit:
            total = sum(n for _, n in hit)
            more = f" and {len(hit) - 3} more" if len(hit) > 3 else ""
            shown = ", ".join(name for name, _ in hit[:3]) + more
            notes.append(f"{total} partition(s) {what} in {len(hit)} topic(s): {shown}")
    invisible = [n for n in state.invisible if in_scope(n, options)]
    if invisible:
        notes.append(
            f"the principal may not DESCRIBE {len(invisible)} declared topic(s) ({', '.join(invisible[:3])}"
            f"{' …' if len(invisible) > 3 else ''}): busctl cannot tell whether they exist, and the "
            "unmanaged list may be incomplete"
        )
    return notes


def _topic_changes(
    topic: DesiredTopic, state: ClusterState, catalogue: Catalogue, options: DiffOptions
) -> list[Change]:
    observed = state.topics.get(topic.name)
    if topic.name in state.invisible:
        return [_invisible(topic)]
    if topic.deleted:
        return _deletion(topic, observed, options)
    if observed is None:
        return [_creation(topic, state, options.cluster)]
    changes: list[Change] = []
    configs = _config_changes(topic, observed, catalogue)
    if configs:
        changes.append(
            Change(
                Action.UPDATE_CONFIG,
                topic.name,
                configs=configs,
                risk=_config_risk(configs),
                origins=_origins(topic, [c.key for c in configs if c.after is not None]),
            )
        )
    if topic.partitions > observed.partitions:
        warnings = (KEYED_PARTITIONS_WARNING,) if topic.keyed else ()
        changes.append(
            Change(
                Action.ADD_PARTITIONS,
                topic.name,
                partitions=topic.partitions,
                previous_partitions=observed.partitions,
                warnings=warnings,
                risk="medium" if topic.keyed else "low",
                origins=_origins(topic, ["partitions"]),
            )
        )
    elif topic.partitions < observed.partitions:
        changes.append(
            Change(
                Action.BLOCKED,
                topic.name,
                partitions=topic.partitions,
                previous_partitions=observed.partitions,
                reason=f"partitions {observed.partitions} → {topic.partitions} "
                f"(Kafka cannot remove partitions){_set_by(topic, 'partitions')}",
                remedy=_keep_remedy(topic, "partitions", observed.partitions),
                risk="high",
            )
        )
    if topic.replication_factor != observed.replication_factor:
        changes.append(_replication_change(topic, observed, state))
    return changes


def _origins(topic: DesiredTopic, keys: list[str]) -> tuple[tuple[str, str], ...]:
    """Where each of `keys` (partitions, replication_factor, config keys) of the topic was declared."""
    known = {**topic.config_origins, **topic.origins}
    return tuple((key, known[key].describe()) for key in keys if key in known)


def _set_by(topic: DesiredTopic, key: str) -> str:
    """Where the desired value of `key` comes from, when not from the topic's own declaration:
    "; set by bus.yaml clusters.local.overrides"."""
    origin = topic.origins.get(key)
    if origin is None or origin.source is Source.DECLARED:
        return ""
    return f"; {key} set by {origin.describe()}"


def _keep_remedy(topic: DesiredTopic, key: str, current: int) -> str:
    """How to keep `key` at its current value on this cluster, given what set the desired one: only a
    per-cluster value wins over a cluster override."""
    origin = topic.origins.get(key)
    if origin is not None and origin.source is Source.CLUSTER_OVERRIDE:
        return (
            f"bus.yaml clusters.{origin.entry}.overrides sets {key} for every topic: give this topic "
            f"per_cluster: {{{origin.entry}: {{{key}: {current}}}}} (it wins over the override), or "
            "change the override"
        )
    migrate = ", or create a new topic version and migrate" if key == "partitions" else ""
    if origin is not None and origin.source is Source.PER_CLUSTER:
        return f"set per_cluster.{origin.entry}.{key}: {current}{migrate}"
    return f"declare {key}: {current}{migrate}"


def _blocked_creation(topic: DesiredTopic, reason: str, remedy: str) -> Change:
    return Change(
        Action.BLOCKED,
        topic.name,
        partitions=topic.partitions,
        replication_factor=topic.replication_factor,
        reason=reason,
        remedy=remedy,
        risk="high",
    )


def _invisible(topic: DesiredTopic) -> Change:
    return _blocked_creation(
        topic,
        "the principal may not DESCRIBE this topic: busctl cannot tell whether it exists",
        f"grant the principal DESCRIBE on topic {topic.name} (or all topics), then plan again",
    )


def _creation(topic: DesiredTopic, state: ClusterState, cluster: str) -> Change:
    if topic.schema_problem:
        return _blocked_creation(
            topic,
            f"its schema has an error: {topic.schema_problem}",
            "fix the schema (`busctl lint` shows where), then plan again: a topic is created only with "
            "the message type it carries",
        )
    wanted, live = topic.replication_factor, len(state.brokers)
    registered = live + len(state.offline_brokers)
    if live < wanted <= registered:
        down = ", ".join(str(b) for b in state.offline_brokers)
        return _blocked_creation(
            topic,
            f"brokers down: replication factor {wanted} needs {wanted} live brokers, {live} of {registered} "
            f"are up (down: {down})",
            "bring the brokers back, then plan again (do not lower replication_factor for an outage)",
        )
    if wanted > live:
        return _blocked_creation(
            topic,
            f"replication factor {wanted} but the cluster has {live} broker(s)"
            + _set_by(topic, "replication_factor"),
            f"set per_cluster: {{{cluster}: {{replication_factor: {live}}}}} in the topic, or "
            f"clusters.{cluster}.overrides.replication_factor in bus.yaml for every topic there "
            "(if brokers are down, bring them back first)",
        )
    configs = tuple(ConfigChange(key, None, value) for key, value in topic.config.items())
    return Change(
        Action.CREATE_TOPIC,
        topic.name,
        partitions=topic.partitions,
        replication_factor=topic.replication_factor,
        configs=configs,
        origins=_origins(topic, ["partitions", "replication_factor", *topic.config]),
    )


def deletes(topic: DesiredTopic, options: DiffOptions) -> bool:
    """Whether the plan deletes this tombstone: its reviewed file approves it (rule BUS515), or the
    operator said --allow-delete."""
    return topic.deleted and (topic.deletion_approved or options.allow_delete)


def _deletion(topic: DesiredTopic, observed: TopicState | None, options: DiffOptions) -> list[Change]:
    if observed is None:
        return []
    if not deletes(topic, options):
        return [
            Change(
                Action.BLOCKED,
                topic.name,
                reason=f"tombstoned, and its file does not approve the deletion ({TOMBSTONE_RULE})",
                remedy=f"approve the deletion in the topic's file (approvals: [{{rule: {TOMBSTONE_RULE}, "
                "reason: ...}]) in a reviewed change, or plan/apply with --allow-delete",
                risk="high",
            )
        ]
    return [
        Change(
            Action.DELETE_TOPIC,
            topic.name,
            partitions=observed.partitions,
            risk="high",
            warnings=("all data in the topic is lost",),
        )
    ]


def _config_changes(
    topic: DesiredTopic, observed: TopicState, catalogue: Catalogue
) -> tuple[ConfigChange, ...]:
    changes = []
    for key, wanted in topic.config.items():
        current = observed.configs.get(key)
        current_value = current.value if current else None
        if current is not None and current.read_only:
            continue
        if not _same(catalogue, key, wanted, current_value):
            changes.append(ConfigChange(key, current_value, wanted))
    for key, current in sorted(observed.configs.items()):
        if current.source == DYNAMIC_TOPIC_CONFIG and key not in topic.config and not current.read_only:
            changes.append(ConfigChange(key, current.value, None))
    return tuple(changes)


def _same(catalogue: Catalogue, key: str, wanted: str, current: str | None) -> bool:
    """Equal as Kafka means it: same normalised value, lists as sets, doubles as numbers."""
    if current is None:
        return False
    spec = catalogue.spec(key)
    if spec is not None and spec.type == "list":
        return {i.strip() for i in wanted.split(",") if i.strip()} == {
            i.strip() for i in current.split(",") if i.strip()
        }
    if spec is not None and spec.type == "double":
        try:
            return float(wanted) == float(current)
        except ValueError:
            return wanted == current
    try:
        return catalogue.normalise(key, current) == wanted
    except ConfigValueError:
        return current == wanted


def _config_risk(configs: tuple[ConfigChange, ...]) -> Risk:
    for change in configs:
        if change.key in ("cleanup.policy",) or (
            change.key in ("retention.ms", "retention.bytes") and _shrinks(change)
        ):
            return "high"
    return "low"


def _shrinks(change: ConfigChange) -> bool:
    try:
        before = int(change.before or "-1")
        after = int(change.after or "-1")
    except ValueError:
        return False
    return after != -1 and (before == -1 or after < before)


def _replication_change(topic: DesiredTopic, observed: TopicState, state: ClusterState) -> Change:
    wanted, current = topic.replication_factor, observed.replication_factor
    reason = (
        f"replication factor {current} → {wanted} needs a partition reassignment, which busctl does not run"
        + _set_by(topic, "replication_factor")
    )
    if wanted > len(state.brokers):
        return Change(
            Action.BLOCKED,
            topic.name,
            replication_factor=wanted,
            reason=f"replication factor {current} → {wanted} but the cluster has {len(state.brokers)} "
            f"broker(s){_set_by(topic, 'replication_factor')}",
            remedy="add brokers, or " + _keep_remedy(topic, "replication_factor", current),
            risk="high",
        )
    reassignment = reassignment_json(observed, wanted, state.brokers)
    remedy = (
        "save this as reassign.json and run: kafka-reassign-partitions.sh --bootstrap-server <bootstrap> "
        "--reassignment-json-file reassign.json --execute (then --verify); " + reassignment
    )
    return Change(
        Action.BLOCKED, topic.name, replication_factor=wanted, reason=reason, remedy=remedy, risk="high"
    )


def reassignment_json(observed: TopicState, wanted: int, brokers: tuple[int, ...]) -> str:
    """The kafka-reassign-partitions.sh input that gives every partition `wanted` replicas.

    Existing replicas are kept (first ones when shrinking); new ones are spread round-robin over the
    brokers not yet holding the partition, starting after the partition's leader, so load stays even.
    """
    ordered = sorted(brokers)
    partitions = []
    for index, replicas in enumerate(observed.replicas):
        chosen = list(replicas[:wanted])
        start = ordered.index(replicas[0]) + 1 if replicas and replicas[0] in ordered else index
        candidates = [ordered[(start + step) % len(ordered)] for step in range(len(ordered))]
        for broker in candidates:
            if len(chosen) >= wanted:
                break
            if broker not in chosen:
                chosen.append(broker)
        partitions.append({"topic": observed.name, "partition": index, "replicas": chosen})
    # spaced (json's default separators): a terminal can wrap it at spaces and it stays valid JSON
    return json.dumps({"version": 1, "partitions": partitions})


def _acl_changes(
    desired: list[DesiredTopic],
    scope: list[DesiredTopic],
    declared_groups: set[str],
    state: ClusterState,
    options: DiffOptions,
    plan: Plan,
) -> list[Change]:
    if state.acls is None:
        if any(t.acls for t in scope):
            plan.notes.append("the cluster has no authorizer: ACLs are not managed")
        return []
    kept = [t for t in scope if not deletes(t, options)]  # deleted topics lose their ACLs
    groups_in_scope = {a.resource_name for t in scope for a in t.acls if a.resource_type == "GROUP"}
    if options.topic_filter is None:
        groups_in_scope |= declared_groups
    # a group is shared by every topic that declares it: with --topic, the group ACLs that topics out of
    # scope declare are wanted too (they are not this plan's to remove)
    deleted = {t.name for t in scope if deletes(t, options)}
    wanted = {acl for t in kept for acl in t.acls} | {
        acl
        for t in desired
        if t.name not in deleted
        for acl in t.acls
        if acl.resource_type == "GROUP" and acl.resource_name in groups_in_scope
    }
    observed = {acl for acl in state.acls if _managed(acl, {t.name for t in scope}, groups_in_scope)}
    changes = [
        Change(Action.CREATE_ACL, acl.resource_name if acl.resource_type == "TOPIC" else "", acl=acl)
        for acl in sorted(wanted - observed)
    ]
    changes += [
        Change(
            Action.DELETE_ACL,
            acl.resource_name if acl.resource_type == "TOPIC" else "",
            acl=acl,
            risk="medium",
        )
        for acl in sorted(observed - wanted)
        if not _held_group(acl, options)
    ]
    return changes


def _held_group(acl: AclBinding, options: DiffOptions) -> bool:
    """A group ACL a held-back declaration may want: never removed while it is held."""
    return acl.resource_type == "GROUP" and (
        options.groups_unknown or acl.resource_name in options.held_groups
    )


def _managed(acl: AclBinding, topics: set[str], groups: set[str]) -> bool:
    """busctl owns LITERAL ALLOW READ/WRITE/DESCRIBE ACLs on the topics and groups it declares."""
    if acl.pattern_type != "LITERAL" or acl.permission != "ALLOW" or acl.operation not in MANAGED_OPERATIONS:
        return False
    if acl.resource_type == "TOPIC":
        return acl.resource_name in topics
    return acl.resource_type == "GROUP" and acl.resource_name in groups
