"""Rules about topic declarations: naming, uniqueness, sizes, consumers."""

from __future__ import annotations

import re
from collections.abc import Iterator

from busctl.core.bus import Origin, Source, TopicDecl, effective, min_insync_problem, placement
from busctl.core.diagnostics import Diagnostic, Severity, Span, did_you_mean
from busctl.core.model import DEFAULT_TOPIC_NAME
from busctl.core.units import prometheus_duration_problem
from busctl.rules.base import LintContext, Rule, check_rules, register


def _compile(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


_SPECIFIC = [Source.BUS_DEFAULT, Source.DECLARED, Source.CLUSTER_OVERRIDE, Source.PER_CLUSTER]


def _origin_span(ctx: LintContext, decl: TopicDecl, origin: Origin, field: str) -> Span:
    """Where a value is set: `field` is partitions, replication_factor or a config key."""
    path: tuple[str, ...] = (field,) if field in ("partitions", "replication_factor") else ("config", field)
    if origin.source is Source.PER_CLUSTER:
        return decl.source.at("per_cluster", origin.entry, *path)
    if origin.source is Source.CLUSTER_OVERRIDE:
        return ctx.bus.config_source.at("clusters", origin.entry, "overrides", *path)
    if origin.source is Source.DECLARED:
        return decl.source.at(*path)
    return ctx.bus.config_source.at("defaults", *path)


def _counts(ctx: LintContext, decl: TopicDecl, field: str) -> Iterator[tuple[int, Span]]:
    """A topic's partitions or replication factor where it sets them: its own value (else bus.yaml's
    default) and each per_cluster value. Cluster overrides are bus.yaml's, for its owners to size."""
    base = effective(ctx.bus.config, decl.topic)
    yield getattr(base, field), _origin_span(ctx, decl, base.origins[field], field)
    for selector, values in decl.topic.per_cluster.items():
        value = getattr(values, field)
        if value is not None:
            yield value, decl.source.at("per_cluster", selector, field)


def _owner_unknown(ctx: LintContext, decl: TopicDecl) -> bool:
    """The owner is not a team in teams.yaml: BUS201 says so (with did-you-mean), and rules that take the
    owner as right (rename the topic, move the file to match it) stay quiet rather than spread a typo."""
    return ctx.bus.teams_ok and decl.topic.owner not in ctx.bus.teams


def _default_name_problems(name: str) -> list[str]:
    """Which parts of `name` break the default policy.topic_name (`<team>.<event>.v<N>`, lowercase)."""
    problems = []
    if any(c.isupper() for c in name):
        problems.append("uppercase letters")
    if "_" in name:
        problems.append('an underscore ("_")')
    if re.search(r"[^A-Za-z0-9._-]", name):
        problems.append('characters other than a-z, 0-9, "-" and "."')
    versioned = re.search(r"\.v[0-9]+$", name)
    if not versioned:
        problems.append('no ".vN" version suffix')
    parts = (name[: versioned.start()] if versioned else name).split(".")
    if len(parts) < 2:
        problems.append('no team prefix ("<team>.")')
    elif len(parts) > 2:
        problems.append('more than one "." between the team and the version (<team>.<event>.vN)')
    elif parts[0][:1] and not parts[0][0].isalpha():
        problems.append("a team part not starting with a letter")
    if any(not part for part in parts):
        problems.append('an empty part (".." or a leading ".")')
    return problems


def _once(findings: Iterator[Diagnostic]) -> Iterator[Diagnostic]:
    """Drop repeats: a bus.yaml default inherited by many topics is reported once."""
    seen: set[tuple[Span, str]] = set()
    for finding in findings:
        if (finding.span, finding.message) not in seen:
            seen.add((finding.span, finding.message))
            yield finding


@register
class PolicyRegexValid(Rule):
    """Regexes in bus.yaml policy must compile.

    **Bad**:  `topic_name: '^(?P<team>[a-z+$'`
    **Good**: `topic_name: '^(?P<team>[a-z]+)\\.[a-z-]+\\.v[0-9]+$'`
    """

    id = "BUS100"
    name = "policy.regex-valid"
    locked = "the other rules, plan and apply match names against these regexes"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        policy = ctx.bus.config.policy
        patterns: list[tuple[tuple[str | int, ...], str]] = [(("policy", "topic_name"), policy.topic_name)]
        patterns += [(("policy", "protected_topics", i), p) for i, p in enumerate(policy.protected_topics)]
        for path, pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as err:
                yield self.finding(
                    f"invalid regular expression '{pattern}': {err}",
                    ctx.bus.config_source.at(*path),
                    "fix the regex (Python `re` syntax)",
                )


@register
class TopicNamePattern(Rule):
    """Topic names must match bus.yaml policy.topic_name.

    **Bad**:  `name: Billing_Invoices`
    **Good**: `name: billing.invoice-created.v1`
    """

    id = "BUS101"
    name = "topic.name-pattern"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        pattern = _compile(ctx.bus.config.policy.topic_name)
        if pattern is None:
            return
        default = ctx.bus.config.policy.topic_name == DEFAULT_TOPIC_NAME
        for decl in ctx.bus.topics:
            if not pattern.fullmatch(decl.topic.name):
                team = "<team>" if _owner_unknown(ctx, decl) else decl.topic.owner
                example = f"{team}.something-happened.v1"
                problems = _default_name_problems(decl.topic.name) if default else []
                if problems:
                    yield self.finding(
                        f'topic name "{decl.topic.name}" does not match policy.topic_name: it has '
                        + ", ".join(problems),
                        decl.source.at("name"),
                        f'names are <team>.<event>.v<N> in lowercase letters, digits and "-", e.g. {example}',
                    )
                    continue
                yield self.finding(
                    f'topic name "{decl.topic.name}" does not match policy.topic_name',
                    decl.source.at("name"),
                    f"names must match {pattern.pattern}, e.g. {example}",
                )


@register
class TopicNameOwnerPrefix(Rule):
    """The team part of a topic name must be the topic's owner.

    An owner that is not a team in teams.yaml is reported by BUS201 alone (a typo is not spread).

    **Bad**:  `name: audit.invoice-created.v1` with `owner: billing`
    **Good**: `name: billing.invoice-created.v1` with `owner: billing`
    """

    id = "BUS102"
    name = "topic.name-owner-prefix"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        pattern = _compile(ctx.bus.config.policy.topic_name)
        if pattern is None or "team" not in pattern.groupindex:
            return
        for decl in ctx.bus.topics:
            match = pattern.fullmatch(decl.topic.name)
            if match and match.group("team") != decl.topic.owner and not _owner_unknown(ctx, decl):
                yield self.finding(
                    f'topic "{decl.topic.name}" starts with team "{match.group("team")}" '
                    f'but its owner is "{decl.topic.owner}"',
                    decl.source.at("name"),
                    f'rename it to start with "{decl.topic.owner}." or change owner',
                )


@register
class DuplicateTopic(Rule):
    """A topic name may be declared in one file only.

    **Bad**:  two files both declaring `name: billing.invoice-created.v1`
    **Good**: one file per topic
    """

    id = "BUS103"
    name = "topic.duplicate"
    locked = "plan could not tell which of the files declares the topic"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for decl in ctx.bus.topics:
            first = ctx.bus.topics_by_name[decl.topic.name]
            if first is not decl:
                yield self.finding(
                    f'topic "{decl.topic.name}" is already declared in {first.file}',
                    decl.source.at("name"),
                    "remove one of the two declarations",
                )


KAFKA_TOPIC_NAME_MAX = 249
_KAFKA_TOPIC_CHARS = re.compile(r"[a-zA-Z0-9._-]+")


def _kafka_name_problem(name: str) -> tuple[str, str] | None:
    """(message, hint) when Kafka itself refuses `name` (Topic.validate), else None."""
    if name in (".", ".."):
        return f'topic name "{name}" is not allowed by Kafka', "use letters, digits, '.', '_' and '-'"
    if len(name) > KAFKA_TOPIC_NAME_MAX:
        return (
            f"topic name is {len(name)} characters long; Kafka allows at most {KAFKA_TOPIC_NAME_MAX}",
            "shorten it",
        )
    if not _KAFKA_TOPIC_CHARS.fullmatch(name):
        bad = sorted({c for c in name if not _KAFKA_TOPIC_CHARS.fullmatch(c)})
        shown = ", ".join(repr(c) for c in bad[:5])
        return (
            f'topic name "{name}" has characters Kafka does not allow: {shown}',
            "Kafka topic names use only ASCII letters, digits, '.', '_' and '-'",
        )
    return None


@register
class KafkaTopicName(Rule):
    """Topic names are valid in Kafka: [a-zA-Z0-9._-], 249 characters at most, no "."/"_" collisions.

    **Bad**:  `name: billing/invoices`, `name: billing.invoice_created.v1` beside `billing.invoice.created.v1`
    **Good**: `name: billing.invoice-created.v1`

    Independent of policy.topic_name, which may be looser. Names "." and ".." are refused too. Kafka maps
    "." and "_" to the same metric name, so it refuses a topic whose name collides that way with another.
    """

    id = "BUS113"
    name = "topic.kafka-name"
    locked = "Kafka refuses such a topic name, halfway through an apply"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        unified: dict[str, tuple[str, str]] = {}  # name with "." as "_" -> (first name, its file)
        for decl in ctx.bus.topics:
            name = decl.topic.name
            problem = _kafka_name_problem(name)
            if problem is not None:
                yield self.finding(problem[0], decl.source.at("name"), problem[1], subject=name)
                continue
            key = name.replace(".", "_")
            first = unified.setdefault(key, (name, decl.file))
            if first[0] != name:  # the same name twice is BUS103's finding
                yield self.finding(
                    f'topic "{name}" collides with "{first[0]}" ({first[1]}): Kafka treats "." and "_" '
                    "alike and refuses the second",
                    decl.source.at("name"),
                    'rename one of them; use "." or "_" consistently (or "-")',
                    subject=name,
                )


@register
class ProtectedTopic(Rule):
    """Topics matching policy.protected_topics (internal topics) are never declared.

    **Bad**:  `name: __consumer_offsets`
    **Good**: leave Kafka's internal topics to Kafka
    """

    id = "BUS104"
    name = "topic.protected"
    locked = "internal topics are never declared, so plan and apply never touch them"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        patterns = [p for p in map(_compile, ctx.bus.config.policy.protected_topics) if p is not None]
        for decl in ctx.bus.topics:
            hit = next((p for p in patterns if p.search(decl.topic.name)), None)
            if hit:
                yield self.finding(
                    f'topic "{decl.topic.name}" is protected (matches {hit.pattern!r})',
                    decl.source.at("name"),
                    "busctl never manages protected topics; remove the file",
                )


@register
class TopicFileLocation(Rule):
    """A topic file lives in topics/<owner>/ so CODEOWNERS can route its review.

    An owner that is not a team in teams.yaml is reported by BUS201 alone (a typo is not spread).

    **Bad**:  `topics/misc/invoice-created.yaml` with `owner: billing`
    **Good**: `topics/billing/invoice-created.yaml`
    """

    id = "BUS105"
    name = "topic.file-location"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for decl in ctx.bus.topics:
            expected = f"topics/{decl.topic.owner}/"
            if not decl.file.startswith(expected) and not _owner_unknown(ctx, decl):
                yield self.finding(
                    f"topic file is not under {expected}",
                    decl.source.at("owner"),
                    f"move it to {expected}{decl.file.rsplit('/', 1)[-1]}",
                )


@register
class PartitionBounds(Rule):
    """Partitions must lie within policy.min_partitions and policy.max_partitions.

    **Bad**:  `partitions: 1000` with `max_partitions: 256`
    **Good**: `partitions: 12`
    """

    id = "BUS106"
    name = "topic.partitions-range"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        yield from _once(self._all(ctx))

    def _all(self, ctx: LintContext) -> Iterator[Diagnostic]:
        policy = ctx.bus.config.policy
        for decl in ctx.bus.topics:
            for count, span in _counts(ctx, decl, "partitions"):
                if not policy.min_partitions <= count <= policy.max_partitions:
                    yield self.finding(
                        f"{count} partitions is outside {policy.min_partitions}..{policy.max_partitions}",
                        span,
                        "change partitions, or the bounds in bus.yaml policy",
                    )


@register
class ReplicationFactorMinimum(Rule):
    """The replication factor must be at least policy.min_replication_factor.

    **Bad**:  `replication_factor: 1` with `min_replication_factor: 3`
    **Good**: `replication_factor: 3`
    """

    id = "BUS107"
    name = "topic.replication-factor-min"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        yield from _once(self._all(ctx))

    def _all(self, ctx: LintContext) -> Iterator[Diagnostic]:
        minimum = ctx.bus.config.policy.min_replication_factor
        for decl in ctx.bus.topics:
            for factor, span in _counts(ctx, decl, "replication_factor"):
                if factor < minimum:
                    yield self.finding(
                        f"replication factor {factor} is below the minimum {minimum}",
                        span,
                        f"set replication_factor: {minimum} (single-broker clusters: use "
                        "clusters.<name>.overrides in bus.yaml)",
                    )


@register
class MinInsyncBelowReplication(Rule):
    """min.insync.replicas must be lower than the replication factor, or one broker down stops writes.

    **Bad**:  `replication_factor: 3` with `min.insync.replicas: 3`
    **Good**: `replication_factor: 3` with `min.insync.replicas: 2`
    """

    id = "BUS108"
    name = "topic.min-insync-below-rf"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        yield from _once(self._all(ctx))

    def _all(self, ctx: LintContext) -> Iterator[Diagnostic]:
        config = ctx.bus.config
        for decl in ctx.bus.topics:
            base = min_insync_problem(effective(config, decl.topic))
            if base:
                yield self.finding(base[0], self._where(ctx, decl), base[1])
                continue
            for name in placement(config, decl.topic):
                settings = effective(config, decl.topic, name)
                problem = min_insync_problem(settings)
                if problem:
                    origin, field = max(
                        (settings.config_origins["min.insync.replicas"], "min.insync.replicas"),
                        (settings.origins["replication_factor"], "replication_factor"),
                        key=lambda item: _SPECIFIC.index(item[0].source),
                    )
                    yield self.finding(
                        f"on cluster {name}: {problem[0]}",
                        _origin_span(ctx, decl, origin, field),
                        f"set {origin.describe()} config min.insync.replicas too",
                    )

    @staticmethod
    def _where(ctx: LintContext, decl: TopicDecl) -> Span:
        if "min.insync.replicas" in decl.topic.config:
            return decl.source.at("config", "min.insync.replicas")
        if decl.topic.replication_factor is not None:
            return decl.source.at("replication_factor")
        return ctx.bus.config_source.at("defaults", "config", "min.insync.replicas")


_DURATION_HINT = 'use a Prometheus duration such as "10m" or "1h30m" (units largest first, at most 292y)'


@register
class LagObjectiveValid(Rule):
    """A lag objective needs a threshold and a Prometheus duration in `for`.

    **Bad**:  `lag: {for: ten minutes}`
    **Good**: `lag: {max_messages: 10000, for: 10m}`
    """

    id = "BUS109"
    name = "topic.lag-objective"
    locked = "busctl alerts would write a rule Prometheus refuses"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        settings = ctx.bus.config.alerts
        default = settings.default_lag
        durations = {
            ("alerts", "default_lag", "for"): default.for_,
            ("alerts", "missing_for"): settings.missing_for,
            ("alerts", "rate_window"): settings.rate_window,
        }
        for setting, value in durations.items():
            problem = None if value is None else prometheus_duration_problem(value)
            if problem is not None:
                yield self.finding(problem, ctx.bus.config_source.at(*setting), _DURATION_HINT)
        default_empty = default.max_messages is None and default.max_seconds is None
        if default_empty and any(c.lag is None for d in ctx.bus.topics for c in d.topic.consumers):
            yield self.finding(
                "alerts.default_lag has no threshold, but consumers without `lag:` use it",
                ctx.bus.config_source.at("alerts", "default_lag"),
                "set max_messages and/or max_seconds in alerts.default_lag",
            )
        for decl in ctx.bus.topics:
            for index, consumer in enumerate(decl.topic.consumers):
                lag = consumer.lag
                if lag is None:
                    continue
                where = ("consumers", index, "lag")
                problem = None if lag.for_ is None else prometheus_duration_problem(lag.for_)
                if problem is not None:
                    yield self.finding(problem, decl.source.at(*where, "for"), _DURATION_HINT)
                if (
                    lag.max_messages is None
                    and lag.max_seconds is None
                    and default.max_messages is None
                    and default.max_seconds is None
                ):
                    yield self.finding(
                        f'lag objective of group "{consumer.group}" has no threshold',
                        decl.source.at(*where),
                        "set max_messages and/or max_seconds",
                    )


@register
class DuplicateConsumerGroup(Rule):
    """A consumer group is listed once per topic.

    **Bad**:  two `consumers` entries with `group: audit-log-writer`
    **Good**: one entry per group
    """

    id = "BUS110"
    name = "topic.duplicate-consumer"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for decl in ctx.bus.topics:
            seen: set[str] = set()
            for index, consumer in enumerate(decl.topic.consumers):
                if consumer.group in seen:
                    yield self.finding(
                        f'consumer group "{consumer.group}" is listed twice',
                        decl.source.at("consumers", index, "group"),
                        "merge the two entries",
                    )
                seen.add(consumer.group)


_PRINCIPAL = re.compile(r"^[A-Z][A-Za-z]*:.+$")


@register
class PrincipalFormat(Rule):
    """Producer and consumer principals have Kafka's `Type:name` form.

    **Bad**:  `principal: billing-api`
    **Good**: `principal: User:billing-api`
    """

    id = "BUS111"
    name = "topic.principal-format"
    locked = "Kafka refuses ACLs for such a principal, halfway through an apply"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for decl in ctx.bus.topics:
            entries = [("producers", i, p.principal) for i, p in enumerate(decl.topic.producers)]
            entries += [
                ("consumers", i, c.principal) for i, c in enumerate(decl.topic.consumers) if c.principal
            ]
            for section, index, principal in entries:
                if not _PRINCIPAL.match(principal):
                    name = principal.split(":", 1)[1] if ":" in principal else principal
                    yield self.finding(
                        f'principal "{principal}" is not of the form Type:name (types are case-sensitive)',
                        decl.source.at(section, index, "principal"),
                        f'write "User:{name}"',
                    )


_BUF_RULE = re.compile(r"^buf:[A-Z][A-Z0-9_]+$")


@register
class ApprovalNamesARule(Rule):
    """An approval names a check rule (BUS5xx) or one of buf's breaking rules (buf:RULE_ID), with a reason.

    **Bad**:  `approvals: [{rule: BUS5O1, reason: ok}]`
    **Good**: `approvals: [{rule: BUS502, reason: "consumers do not rely on per-key order; audit agreed"}]`
    """

    id = "BUS112"
    name = "topic.approval-rule"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        known = {rule.id: rule for rule in check_rules()}
        buf_rules = [f"buf:{r}" for r in sorted(ctx.buf_rules or ())]
        for decl in ctx.bus.topics:
            for index, approval in enumerate(decl.topic.approvals):
                span = decl.source.at("approvals", index, "rule")
                rule = known.get(approval.rule)
                if rule is not None and rule.unapprovable:
                    yield self.finding(
                        f"{approval.rule} cannot be approved: {rule.unapprovable}",
                        span,
                        "remove the approval and keep the old value, or create a new topic version",
                    )
                elif rule is None and not _BUF_RULE.match(approval.rule):
                    yield self.finding(
                        f'approval names no known rule: "{approval.rule}"',
                        span,
                        did_you_mean(approval.rule, known)
                        or "use a BUS5xx id or buf:RULE_ID from busctl check",
                    )
                elif rule is None and ctx.buf_rules is not None and approval.rule not in buf_rules:
                    yield self.finding(
                        f'approval names no buf breaking rule: "{approval.rule}"',
                        span,
                        did_you_mean(approval.rule, buf_rules)
                        or "see `buf config ls-breaking-rules` for buf's rule ids",
                    )
