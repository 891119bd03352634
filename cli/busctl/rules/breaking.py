"""Check rules: topic changes that break producers or consumers, found by comparing base and head.

Each finding names its topic (Diagnostic.subject) so that owners, consumers and approvals can be
attached to it by `busctl check`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

from busctl.core.bus import TOMBSTONE_RULE, Bus, Source, TopicDecl, effective, is_placed, placement
from busctl.core.compare import TopicChange
from busctl.core.diagnostics import Diagnostic, Severity, Span
from busctl.core.ownership import effective_config
from busctl.core.topic_configs import Catalogue
from busctl.core.units import format_bytes, format_ms
from busctl.rules.base import CheckContext, CheckRule, Reported, register


def _changed(ctx: CheckContext) -> Iterator[tuple[TopicChange, TopicDecl, TopicDecl]]:
    """Topics declared on both sides, neither a tombstone on the head side."""
    for change in ctx.changes:
        if change.base is not None and change.head is not None and change.head.topic.lifecycle != "deleted":
            yield change, change.base, change.head


def _at(decl: TopicDecl, *path: str | int) -> Span:
    return decl.source.at(*path)


def _counts(
    ctx: CheckContext, base: TopicDecl, head: TopicDecl, field: Literal["partitions", "replication_factor"]
) -> Iterator[tuple[int, int, str, Span]]:
    """(before, after, where, span) for each distinct before → after of a count on the clusters the topic
    lives on on both sides (`where`: " on A, B" unless every such cluster changes alike; a bus without
    clusters compares the topic's own values), `span` at the head value that decides it."""
    clusters: list[str | None] = [
        c
        for c in placement(ctx.head.config, head.topic)
        if c in ctx.base.config.clusters and is_placed(ctx.base.config, base.topic, c)
    ]
    pairs: dict[tuple[int, int], list[str]] = {}
    spans: dict[tuple[int, int], Span] = {}
    for cluster in clusters or [None]:
        old, new = (
            effective(ctx.base.config, base.topic, cluster),
            effective(ctx.head.config, head.topic, cluster),
        )
        pair = (getattr(old, field), getattr(new, field))
        pairs.setdefault(pair, []).extend([cluster] if cluster is not None else [])
        origin = new.origins[field]
        spans.setdefault(
            pair,
            _at(head, "per_cluster", origin.entry, field)
            if origin.source is Source.PER_CLUSTER
            else _at(head, field),
        )
    for (before, after), where in pairs.items():
        suffix = f" on {', '.join(where)}" if len(pairs) > 1 and where else ""
        yield before, after, suffix, spans[(before, after)]


def _config(bus: Bus, decl: TopicDecl, key: str, catalogue: Catalogue) -> str | None:
    """The value a topic gets for `key` on any cluster: declared, else bus.yaml defaults, else Kafka's
    default from the catalogue (cluster overrides aside). None for a key with no known default."""
    value = effective_config(bus, decl, catalogue).get(key)
    spec = catalogue.spec(key)
    if value is None and spec is not None and spec.default is not None:
        return catalogue.normalise(key, spec.default)
    return value


def _number(value: str | None) -> int | None:
    """An integer config value (-1 included); None when unset or not a number."""
    return int(value) if value is not None and re.fullmatch(r"-?[0-9]{1,19}", value) else None


@register
class PartitionsDecreased(CheckRule):
    """Partitions may not decrease: Kafka cannot remove partitions, and apply would be blocked.

    **Bad**:  `partitions: 24` → `partitions: 12`
    **Good**: keep 24, or create `name.v2` and migrate
    """

    id = "BUS501"
    name = "check.partitions-decreased"
    unapprovable = (
        "Kafka cannot remove partitions: plan blocks the decrease on every cluster, approved or not"
    )
    locked = unapprovable

    def check(self, ctx: CheckContext) -> Iterator[Diagnostic]:
        for change, base, head in _changed(ctx):
            for before, after, where, span in _counts(ctx, base, head, "partitions"):
                if after < before:
                    yield self.finding(
                        f"partitions of {change.name} decrease {before} → {after}{where}",
                        span,
                        "Kafka cannot remove partitions",
                        subject=change.name,
                    )


@register
class KeyedPartitionsIncreased(CheckRule):
    """More partitions on a keyed topic move keys to other partitions: per-key ordering breaks.

    A warning unless bus.yaml sets `policy.keyed_partition_increase: error` (or `policy.rules`, which
    takes precedence).

    **Bad**:  `key: string` with `partitions: 6` → `partitions: 12` unannounced
    **Good**: approve it (`approvals: [{rule: BUS502, reason: ...}]`) after consumers agreed
    """

    id = "BUS502"
    name = "check.keyed-partitions-increased"
    severity = Severity.WARNING

    def check(self, ctx: CheckContext) -> Iterator[Diagnostic]:
        severity = Severity(ctx.head.config.policy.keyed_partition_increase)
        for change, base, head in _changed(ctx):
            for before, after, where, span in _counts(ctx, base, head, "partitions"):
                if after > before and head.topic.key != "none":
                    yield self.finding(
                        f"partitions of keyed topic {change.name} increase {before} → {after}{where}: "
                        "keys move to other partitions",
                        span,
                        "consumers relying on per-key order must agree "
                        "(policy.keyed_partition_increase sets the severity)",
                        severity=severity,
                        subject=change.name,
                    )


@register
class ReplicationFactorDecreased(CheckRule):
    """A lower replication factor loses durability.

    **Bad**:  `replication_factor: 3` → `replication_factor: 2`
    **Good**: keep 3
    """

    id = "BUS503"
    name = "check.replication-factor-decreased"

    def check(self, ctx: CheckContext) -> Iterator[Diagnostic]:
        for change, base, head in _changed(ctx):
            for before, after, where, span in _counts(ctx, base, head, "replication_factor"):
                if after < before:
                    yield self.finding(
                        f"replication factor of {change.name} decreases {before} → {after}{where}",
                        span,
                        "fewer copies: a broker loss can lose data",
                        subject=change.name,
                    )


@register
class CleanupPolicyChanged(CheckRule):
    """Changing cleanup.policy changes what consumers can read back (compaction vs deletion).

    **Bad**:  `cleanup.policy: delete` → `cleanup.policy: compact`
    **Good**: a new topic version with the new policy
    """

    id = "BUS504"
    name = "check.cleanup-policy-changed"

    def check(self, ctx: CheckContext) -> Iterator[Diagnostic]:
        for change, base, head in _changed(ctx):
            before = _config(ctx.base, base, "cleanup.policy", ctx.catalogue) or "delete"
            after = _config(ctx.head, head, "cleanup.policy", ctx.catalogue) or "delete"
            if set(before.split(",")) != set(after.split(",")):
                yield self.finding(
                    f"cleanup.policy of {change.name} changes {before} → {after}",
                    _at(head, "config", "cleanup.policy"),
                    "consumers replaying the topic will see different data",
                    subject=change.name,
                )


@register
class RetentionReduced(CheckRule):
    """Lower retention deletes data consumers may not have read yet (effective values compared).

    **Bad**:  `retention.ms: 7d` → `retention.ms: 1d` unannounced
    **Good**: check the slowest consumer's lag first, then approve it
    """

    id = "BUS505"
    name = "check.retention-reduced"
    severity = Severity.WARNING

    def check(self, ctx: CheckContext) -> Iterator[Diagnostic]:
        for change, base, head in _changed(ctx):
            for key, human in (("retention.ms", format_ms), ("retention.bytes", format_bytes)):
                old = _number(_config(ctx.base, base, key, ctx.catalogue))
                new = _number(_config(ctx.head, head, key, ctx.catalogue))
                if old is None or new is None:
                    continue
                if new != -1 and (old == -1 or new < old):
                    shown_old = "forever" if old == -1 else f"{old} ({human(old)})"
                    yield self.finding(
                        f"{key} of {change.name} is reduced {shown_old} → {new} ({human(new)})",
                        _at(head, "config", key),
                        "data older than the new limit is deleted at once",
                        subject=change.name,
                    )


@register
class SchemaSwapped(CheckRule):
    """A topic's value schema may not change to another message: existing consumers cannot read it.

    **Bad**:  `schema: acme.billing.v1.InvoiceCreated` → `schema: acme.billing.v2.InvoiceCreated`
    **Good**: evolve the message compatibly, or create a new topic version
    """

    id = "BUS506"
    name = "check.schema-swapped"

    def check(self, ctx: CheckContext) -> Iterator[Diagnostic]:
        for change, base, head in _changed(ctx):
            if base.topic.schema_ != head.topic.schema_:
                yield self.finding(
                    f"schema of {change.name} changes {base.topic.schema_} → {head.topic.schema_}",
                    _at(head, "schema"),
                    "one topic, one message type: create a new topic version",
                    subject=change.name,
                )


@register
class KeyChanged(CheckRule):
    """A topic's record key may not change kind or message: partitioning and consumers' decoding break.

    **Bad**:  `key: string` → `key: acme.zones.v1.ZoneKey`
    **Good**: keep the key, or create a new topic version
    """

    id = "BUS511"
    name = "check.key-changed"

    def check(self, ctx: CheckContext) -> Iterator[Diagnostic]:
        for change, base, head in _changed(ctx):
            if base.topic.key != head.topic.key:
                yield self.finding(
                    f"key of {change.name} changes {base.topic.key} → {head.topic.key}",
                    _at(head, "key"),
                    "records with the same key stop landing together",
                    subject=change.name,
                )


@register
class TopicRemovedWithoutTombstone(CheckRule):
    """A topic file is removed only through a tombstone (`lifecycle: deleted`), reviewed like any change.

    **Bad**:  deleting topics/billing/invoice-created.yaml
    **Good**: keeping it with `lifecycle: deleted`
    """

    id = "BUS507"
    name = "check.topic-removed"

    def check(self, ctx: CheckContext) -> Iterator[Diagnostic]:
        for change in ctx.changes:
            if change.base is not None and change.head is None and not change.renamed_to:
                yield self.finding(
                    f"topic {change.name} is no longer declared ({change.base.file} removed)",
                    Span(change.base.file),
                    "keep the file with `lifecycle: deleted` so the deletion is explicit; "
                    "a removed file leaves the topic unmanaged in the cluster",
                    subject=change.name,
                )


@register
class TopicTombstoned(CheckRule):
    """A tombstone deletes the topic, and all its data, when the change is merged and applied.

    `lifecycle: deleted` is the one way busctl deletes a topic: apply deletes it on every cluster it is
    placed on, with its ACLs and its schema registry subjects. A break like any other: its owner and its
    consumer teams agree, and the change approves it in the same file (`approvals: [{rule: BUS515,
    reason: ...}]`). That reviewed approval is what lets apply delete the topic; without it, plan
    blocks the deletion.

    **Bad**:  `lifecycle: deleted` added to a topic file, no approval
    **Good**: `lifecycle: deleted` with `approvals: [{rule: BUS515, reason: "consumers moved to v2"}]`
    """

    id = TOMBSTONE_RULE
    name = "check.topic-tombstoned"
    locked = "it is what asks for the deletion's approval"

    def check(self, ctx: CheckContext) -> Iterator[Diagnostic]:
        for change in ctx.changes:
            head = change.head
            if head is None or head.topic.lifecycle != "deleted":
                continue
            if change.base is not None and change.base.topic.lifecycle == "deleted":
                continue
            clusters = placement(ctx.head.config, head.topic)
            where = f" on {', '.join(clusters)}" if clusters else ""
            yield self.finding(
                f"{change.name} is tombstoned: merging deletes it and all its data{where}, with its "
                "ACLs and schema registry subjects",
                _at(head, "lifecycle"),
                f"once its owner and consumers agree, approve it in this file (approvals: [{{rule: "
                f"{TOMBSTONE_RULE}, reason: ...}}]); apply deletes it only with that approval",
                subject=change.name,
            )


@register
class TopicRenamed(CheckRule):
    """Renaming a topic in place creates a new, empty topic and leaves the old one unmanaged.

    Plan never deletes the old topic for a rename: it stays in the cluster, unmanaged (no longer declared,
    never touched), and consumers of the old name get nothing new. It is deleted only through a tombstone
    (`lifecycle: deleted`) applied with `--allow-delete`.

    **Bad**:  `name: billing.invoices.v1` → `name: billing.invoice-created.v1` in the same file
    **Good**: a new file for the new topic, the old file kept (a tombstone once consumers moved), a migration
    """

    id = "BUS508"
    name = "check.topic-renamed"

    def check(self, ctx: CheckContext) -> Iterator[Diagnostic]:
        for change in ctx.changes:
            if change.renamed_to and change.base is not None:
                head = ctx.head.topics_by_name[change.renamed_to]
                yield self.finding(
                    f"topic {change.name} is renamed to {change.renamed_to}: that creates a new, empty topic "
                    f"and leaves {change.name} in the cluster, unmanaged (no longer declared, never touched)",
                    _at(head, "name"),
                    f"keep this file declaring {change.name} and add {change.renamed_to} in a file of its "
                    "own; to delete the old topic once its consumers moved, mark it `lifecycle: deleted` "
                    "(a tombstone) and apply with --allow-delete",
                    subject=change.name,
                )


@register
class ConsumerGroupRemoved(CheckRule):
    """A consumer group of another team removed: its READ ACLs go, so its running consumer breaks on apply.

    A break like any other: the consumer team must agree, and the change approves it
    (`approvals: [{rule: BUS509, ...}]`); check names that team to notify. A group of the topic's own
    owner team is only a warning: the owner makes or reviews the change itself.

    **Bad**:  dropping `- group: audit-log-writer` (team audit) while it still consumes
    **Good**: remove it after audit retired the consumer, with an approval saying so
    """

    id = "BUS509"
    name = "check.consumer-removed"

    def check(self, ctx: CheckContext) -> Iterator[Diagnostic]:
        for change, base, head in _changed(ctx):
            remaining = {c.group for c in head.topic.consumers}
            owners = {base.topic.owner, head.topic.owner}
            for consumer in base.topic.consumers:
                if consumer.group not in remaining:
                    team = consumer.team or base.topic.owner
                    own = team in owners
                    yield self.finding(
                        f"consumer group {consumer.group} (team {team}) is removed from {change.name}",
                        _at(head, "consumers"),
                        "its READ ACLs and lag alerts are removed: its running consumer breaks on apply"
                        + ("" if own else f"; team {team} must agree (approve with rule BUS509)"),
                        severity=Severity.WARNING if own else None,
                        subject=change.name,
                    )


@register
class OwnerChanged(CheckRule):
    """A topic changing owner needs both teams: the one giving it away and the one taking it.

    **Bad**:  `owner: billing` → `owner: audit` approved by audit alone
    **Good**: both teams review (CODEOWNERS asks the old owner; check names the new one)
    """

    id = "BUS510"
    name = "check.owner-changed"
    severity = Severity.WARNING

    def check(self, ctx: CheckContext) -> Iterator[Diagnostic]:
        for change, base, head in _changed(ctx):
            if base.topic.owner != head.topic.owner:
                yield self.finding(
                    f"owner of {change.name} changes {base.topic.owner} → {head.topic.owner}",
                    _at(head, "owner"),
                    f"teams {base.topic.owner} and {head.topic.owner} must both approve",
                    subject=change.name,
                )


@register
class PlacementNarrowed(CheckRule):
    """A topic that stops being placed on a cluster stays there, unmanaged: busctl never deletes it.

    Its data, its ACLs and its consumers' lag stay on that cluster, out of the declarations; no alert
    watches its groups there any more. A warning, so the reviewers see it.

    **Bad**:  `placement: [env=prod]` → `placement: [prod-eu]` while prod-us still has the topic
    **Good**: to remove it from prod-us, tombstone it there first (apply with --allow-delete), or keep it
    """

    id = "BUS514"
    name = "check.placement-narrowed"
    severity = Severity.WARNING

    def check(self, ctx: CheckContext) -> Iterator[Diagnostic]:
        for change, base, head in _changed(ctx):
            left = [
                c
                for c in placement(ctx.base.config, base.topic)
                if c in ctx.head.config.clusters and not is_placed(ctx.head.config, head.topic, c)
            ]
            if left:
                yield self.finding(
                    f"{change.name} is no longer placed on {', '.join(left)}: it stays there, unmanaged "
                    "(busctl never deletes it), with no lag alerts",
                    _at(head, "placement") if head.topic.placement is not None else _at(head, "name"),
                    "keep it placed there until it is tombstoned and deleted (lifecycle: deleted, apply "
                    "--allow-delete), or take it over by hand",
                    subject=change.name,
                )


@register
class ApprovalUnused(Reported):
    """An approval the change adds matches a finding of the change on its topic.

    Reported by `busctl check` itself, at the approval's file:line, once every rule and buf ran.

    **Bad**:  `approvals: [{rule: BUS505, reason: ...}]` in a change that cuts no retention
    **Good**: the approval in the change that makes the break it approves
    """

    id = "BUS512"
    name = "check.approval-unused"
    family = "check"
    severity = Severity.WARNING


@register
class ExemptionAdded(Reported):
    """A change that adds a lint exemption to a topic says so, for review.

    An exemption (`exemptions:` in a topic file) turns a lint rule's findings on that topic into
    notes: reviewers see each one the change adds, with its reason, and the platform team, which
    owns the policy, is asked too. Reported by `busctl check` at the exemption's file:line.

    **Bad**:  an exemption slipped into a large change, unnoticed
    **Good**: `note BUS513 topics/legacy/orders.yaml:9:5: adds an exemption of legacy_orders from BUS101`
    """

    id = "BUS513"
    name = "check.exemption-added"
    family = "check"
    severity = Severity.NOTE
    locked = "it shows what the change exempts; hiding it would hide the exemption"
