"""Rules about connectors (connectors/<team>/<name>.yaml): secrets, the topics they move, the config
busctl writes for them, where they run; and the changes to them that break what they deliver."""

from __future__ import annotations

from collections.abc import Iterator

from busctl.core.bus import CONNECTOR_TOMBSTONE_RULE, ConnectorDecl, connector_placement, is_placed, selected
from busctl.core.compare import ConnectorPair, connector_pairs
from busctl.core.connectors import derived_key, has_reference, is_secret_key, text
from busctl.core.diagnostics import Diagnostic, Severity, Span, did_you_mean
from busctl.core.model import ConfigValue
from busctl.rules.base import CheckContext, CheckRule, LintContext, Rule, register

_SECRET_HINT = (
    "take it from the environment: ${LEDGER_DB_PASSWORD} (expanded by busctl at plan and apply), or "
    "from the workers' config provider: ${file:/etc/kafka-connect/secrets.properties:ledger.password}"
)
_DERIVED = {
    "name": "the file's name:",
    "connector.class": "class:",
    "tasks.max": "tasks_max:",
    "topics": "topics: (a sink's list)",
    "topics.regex": "topics: (name each topic)",
    "transforms": "transforms:",
    "predicates": "predicates:",
}


@register
class SecretsAreReferences(Rule):
    """A connector's secret settings are references, never literal values.

    A setting whose name says it is a secret (password, secret, token, credentials, api key, private
    key, JAAS config) takes its value from busctl's environment (`${VAR}`) or from the workers' config
    provider (`${file:/path:key}`): the bus repo is read by everyone, and a literal secret in it leaks.

    **Bad**:  `config: {connection.password: hunter2}`
    **Good**: `config: {connection.password: "${LEDGER_DB_PASSWORD}"}`
    """

    id = "BUS601"
    name = "connector.secret-reference"
    locked = "a literal secret in the bus repo is readable by everyone who can read the repo"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for decl in ctx.bus.connectors:
            connector = decl.connector
            settings: list[tuple[tuple[str | int, ...], str, ConfigValue]] = [
                (("config", k), k, v) for k, v in connector.config.items()
            ]
            for kind in ("transforms", "predicates"):
                for index, part in enumerate(getattr(connector, kind)):
                    settings += [((kind, index, "config", k), k, v) for k, v in part.config.items()]
            for where, key, value in settings:
                if is_secret_key(key) and not has_reference(text(value)):
                    yield self.finding(
                        f'"{key}" is a secret written literally in the connector file',
                        decl.source.at(*where),
                        _SECRET_HINT,
                        subject=connector.name,
                    )


@register
class ConnectorTopicsDeclared(Rule):
    """Every topic a connector reads or writes is a declared topic of the bus, and not a tombstone.

    **Bad**:  `topics: [billing.invoice-creatd.v1]` (no such topic file)
    **Good**: `topics: [billing.invoice-created.v1]`
    """

    id = "BUS602"
    name = "connector.topics-declared"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        declared = ctx.bus.topics_by_name
        for decl in ctx.bus.connectors:
            connector = decl.connector
            if connector.lifecycle == "deleted":
                continue
            for index, name in enumerate(connector.topics):
                topic = declared.get(name)
                if topic is None:
                    yield self.finding(
                        f'topic "{name}" is not declared in topics/',
                        decl.source.at("topics", index),
                        did_you_mean(name, declared) or "declare the topic in topics/<team>/ first",
                        subject=connector.name,
                    )
                elif topic.topic.lifecycle == "deleted":
                    yield self.finding(
                        f'topic "{name}" is a tombstone (lifecycle: deleted)',
                        decl.source.at("topics", index),
                        "stop the connector first: remove the topic from topics:, or tombstone the connector",
                        subject=connector.name,
                    )


@register
class ConnectorConfigNotDerived(Rule):
    """A connector's config leaves to busctl what it writes from the file's fields.

    A source writes only to the topics it declares, too.

    busctl sends `name`, `connector.class`, `tasks.max`, a sink's `topics`, `transforms.*` and
    `predicates.*` from the file's fields (so ACLs, alerts and ownership follow them); setting them in
    `config:` too would say two things. A source's `topic`/`topics` setting must name declared
    `topics:` of the connector.

    **Bad**:  `config: {tasks.max: 4}` or, in a source, `config: {topic: other.topic.v1}`
    **Good**: `tasks_max: 4` and, in a source, `topics: [demo.lines.v1]` with `config: {topic: demo.lines.v1}`
    """

    id = "BUS603"
    name = "connector.config-not-derived"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for decl in ctx.bus.connectors:
            connector = decl.connector
            for key, value in connector.config.items():
                where = decl.source.key_at("config", key)
                if connector.type == "source" and key in ("topic", "topics"):
                    named = [t.strip() for t in text(value).split(",") if t.strip()]
                    for name in (n for n in named if n not in connector.topics):
                        yield self.finding(
                            f'the source writes to "{name}", which its topics: do not list',
                            where,
                            f"add {name} to topics: (busctl grants the workers WRITE on them)",
                            subject=connector.name,
                        )
                elif derived_key(key):
                    field = _DERIVED.get(key) or f"{key.split('.', 1)[0]}: (the list of {key.split('.')[0]})"
                    yield self.finding(
                        f'"{key}" is written by busctl from the connector\'s fields',
                        where,
                        f"remove it from config: and use {field}",
                        subject=connector.name,
                    )


@register
class ConnectorDuplicate(Rule):
    """A connector name is declared in one file only.

    **Bad**:  two files with `name: ledger-sink`
    **Good**: one file per connector
    """

    id = "BUS604"
    name = "connector.duplicate"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for decl in ctx.bus.connectors:
            name = decl.connector.name
            first = ctx.bus.connectors_by_name[name]
            if first is not decl:
                yield self.finding(
                    f'connector "{name}" is also declared in {first.file}',
                    decl.source.at("name"),
                    "keep one declaration: remove this file or rename the connector",
                    subject=name,
                )


@register
class ConnectorFileLocation(Rule):
    """A connector file lives in connectors/<owner>/ so CODEOWNERS can route its review.

    **Bad**:  `connectors/misc/ledger-sink.yaml` with `owner: billing`
    **Good**: `connectors/billing/ledger-sink.yaml`
    """

    id = "BUS605"
    name = "connector.file-location"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for decl in ctx.bus.connectors:
            owner = decl.connector.owner
            expected = f"connectors/{owner}/"
            if not decl.file.startswith(expected) and not (ctx.bus.teams_ok and owner not in ctx.bus.teams):
                yield self.finding(
                    f"connector file is not under {expected}",
                    decl.source.at("owner"),
                    f"move it to {expected}{decl.file.rsplit('/', 1)[-1]}",
                    subject=decl.connector.name,
                )


@register
class ConnectorPlacement(Rule):
    """A connector runs on clusters that have a Connect cluster, and its topics live there.

    Its placement (default: every cluster with `connect:` in bus.yaml) selects clusters whose bus.yaml
    entry names a Connect cluster, and every topic it moves is placed on each of them.

    **Bad**:  `placement: [prod-eu]` where prod-eu has no `connect:`, or a topic placed on staging only
    **Good**: `placement: [prod-eu]` with `clusters: {prod-eu: {connect: {url: http://connect:8083}}}`
    """

    id = "BUS606"
    name = "connector.placement"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        config = ctx.bus.config
        with_connect = [name for name, cluster in config.clusters.items() if cluster.connect is not None]
        for decl in ctx.bus.connectors:
            connector = decl.connector
            for index, selector in enumerate(connector.placement or []):
                picked = selected(config, selector)
                without = [name for name in picked if name not in with_connect]
                if picked and not without:
                    continue
                said = (
                    f"selects {', '.join(without)}, which has no connect: section"
                    if picked
                    else "selects no cluster in bus.yaml"
                )
                yield self.finding(
                    f'placement "{selector}" {said}',
                    decl.source.at("placement", index),
                    f"add clusters.{(without or ['NAME'])[0]}.connect (url) to bus.yaml, or choose among: "
                    f"{', '.join(with_connect) or 'none (no cluster has one yet)'}",
                    subject=connector.name,
                )
            clusters = connector_placement(config, connector)
            if connector.placement is None and not clusters:
                yield self.finding(
                    "no cluster of bus.yaml has a Connect cluster: the connector runs nowhere",
                    decl.source.at("name"),
                    "add connect: {url: http://connect:8083} to a cluster in bus.yaml",
                    subject=connector.name,
                )
            if connector.lifecycle == "deleted":
                continue
            for index, name in enumerate(connector.topics):
                topic = ctx.bus.topics_by_name.get(name)
                if topic is None:
                    continue  # BUS602
                missing = [c for c in clusters if not is_placed(config, topic.topic, c)]
                if missing:
                    yield self.finding(
                        f'topic "{name}" is not placed on {", ".join(missing)}, where the connector runs',
                        decl.source.at("topics", index),
                        "place the topic there too, or narrow the connector's placement:",
                        subject=connector.name,
                    )


@register
class ConnectorTransforms(Rule):
    """A connector's transforms and predicates fit together, and only a sink has a lag objective.

    Transform and predicate names are unique, every `predicate:` names a declared predicate, every
    predicate is used, and `negate` comes with a predicate.

    **Bad**:  `transforms: [{name: drop, type: ...Filter, predicate: isTombstone}]` and no predicates
    **Good**: the same with `predicates: [{name: isTombstone, type: ...RecordIsTombstone}]`
    """

    id = "BUS607"
    name = "connector.transforms"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for decl in ctx.bus.connectors:
            connector, source = decl.connector, decl.source
            if connector.type == "source" and connector.lag is not None:
                yield self.finding(
                    "a source has no consumer group: lag: is for sinks",
                    source.key_at("lag"),
                    "remove lag:, or declare type: sink",
                    subject=connector.name,
                )
            predicates = [p.name for p in connector.predicates]
            for kind, names in (
                ("transforms", [t.name for t in connector.transforms]),
                ("predicates", predicates),
            ):
                for index, name in enumerate(names):
                    if name in names[:index]:
                        yield self.finding(
                            f'{kind[:-1]} name "{name}" is used twice',
                            source.at(kind, index, "name"),
                            "give each one its own name",
                            subject=connector.name,
                        )
            used = set()
            for index, transform in enumerate(connector.transforms):
                if transform.predicate is None:
                    if transform.negate:
                        yield self.finding(
                            f'transform "{transform.name}" negates no predicate',
                            source.at("transforms", index, "negate"),
                            "add predicate: NAME, or remove negate:",
                            subject=connector.name,
                        )
                    continue
                used.add(transform.predicate)
                if transform.predicate not in predicates:
                    yield self.finding(
                        f'transform "{transform.name}" names predicate "{transform.predicate}", which is '
                        "not declared",
                        source.at("transforms", index, "predicate"),
                        did_you_mean(transform.predicate, predicates) or "declare it under predicates:",
                        subject=connector.name,
                    )
            for index, name in enumerate(predicates):
                if name not in used:
                    yield self.finding(
                        f'predicate "{name}" is used by no transform',
                        source.at("predicates", index, "name"),
                        "name it in a transform's predicate:, or remove it",
                        severity=Severity.WARNING,
                        subject=connector.name,
                    )


def _live(ctx: CheckContext) -> Iterator[tuple[ConnectorPair, ConnectorDecl, ConnectorDecl]]:
    """Connectors declared on both sides, neither a tombstone."""
    for pair in connector_pairs(ctx.base, ctx.head):
        if (
            pair.base is not None
            and pair.head is not None
            and "deleted" not in (pair.base.connector.lifecycle, pair.head.connector.lifecycle)
        ):
            yield pair, pair.base, pair.head


@register
class ConnectorRemovedWithoutTombstone(CheckRule):
    """A connector file is removed only through a reviewed tombstone (`lifecycle: deleted`).

    A removed file leaves the connector running on its Connect cluster, unmanaged: nobody owns it, and
    no alert watches it.

    **Bad**:  deleting connectors/billing/ledger-sink.yaml
    **Good**: keeping it with `lifecycle: deleted` and an approval of BUS520
    """

    id = "BUS516"
    name = "check.connector-removed"

    def check(self, ctx: CheckContext) -> Iterator[Diagnostic]:
        for pair in connector_pairs(ctx.base, ctx.head):
            if pair.base is not None and pair.head is None and pair.base.connector.lifecycle != "deleted":
                yield self.finding(
                    f"connector {pair.name} is no longer declared ({pair.base.file} removed)",
                    Span(pair.base.file),
                    "keep the file with `lifecycle: deleted` so the deletion is explicit; a removed file "
                    "leaves the connector running, unmanaged",
                    subject=pair.subject,
                )


@register
class ConnectorClassChanged(CheckRule):
    """Changing a connector's class makes it another connector under the same name.

    Its offsets, its consumer group and what its settings mean belong to the old class: the new one may
    read or write everything again, or nothing.

    **Bad**:  `class: ...FileStreamSinkConnector` → `class: io.confluent.connect.jdbc.JdbcSinkConnector`
    **Good**: a new connector file for the new class, the old one tombstoned once the new one runs
    """

    id = "BUS517"
    name = "check.connector-class-changed"

    def check(self, ctx: CheckContext) -> Iterator[Diagnostic]:
        for pair, base, head in _live(ctx):
            if base.connector.class_ != head.connector.class_:
                yield self.finding(
                    f"connector {pair.name} changes class: {base.connector.class_} → {head.connector.class_}",
                    head.source.at("class"),
                    "declare a new connector for the new class instead, or approve the change in this "
                    f"file (approvals: [{{rule: {self.id}, reason: ...}}])",
                    subject=pair.subject,
                )


@register
class SinkTopicsChanged(CheckRule):
    """Changing the topics a sink reads changes what reaches the system it writes to.

    A topic taken away is no longer delivered; a topic added is read from where its consumer group
    starts (by default the earliest record: everything it holds).

    **Bad**:  `topics: [billing.invoice-created.v1]` → `topics: [billing.invoice-created.v2]`, unapproved
    **Good**: the same with `approvals: [{rule: BUS518, reason: "ledger reads v2; v1 drained"}]`
    """

    id = "BUS518"
    name = "check.sink-topics-changed"

    def check(self, ctx: CheckContext) -> Iterator[Diagnostic]:
        for pair, base, head in _live(ctx):
            if head.connector.type != "sink":
                continue
            before, after = set(base.connector.topics), set(head.connector.topics)
            if before != after:
                parts = [f"+{t}" for t in sorted(after - before)] + [f"-{t}" for t in sorted(before - after)]
                yield self.finding(
                    f"sink {pair.name} changes the topics it reads: {' '.join(parts)}",
                    head.source.at("topics"),
                    f"approve it in this file once the system it writes to expects it (approvals: "
                    f"[{{rule: {self.id}, reason: ...}}])",
                    subject=pair.subject,
                )


@register
class SinkTopicTombstoned(CheckRule):
    """Tombstoning a topic a sink reads stops what the sink delivers.

    Reported on the sink, for its owner: the sink must stop reading the topic (or be tombstoned) before
    the topic goes.

    **Bad**:  `lifecycle: deleted` on billing.invoice-created.v1 while ledger-sink reads it
    **Good**: ledger-sink moved to v2 (or tombstoned) first, with its owner's approval of BUS519
    """

    id = "BUS519"
    name = "check.sink-topic-tombstoned"

    def check(self, ctx: CheckContext) -> Iterator[Diagnostic]:
        for pair in connector_pairs(ctx.base, ctx.head):
            if pair.base is None or pair.base.connector.type != "sink":
                continue
            for name in pair.base.connector.topics:
                before, after = ctx.base.topics_by_name.get(name), ctx.head.topics_by_name.get(name)
                if before is None or after is None:
                    continue
                if before.topic.lifecycle != "deleted" and after.topic.lifecycle == "deleted":
                    decl = pair.head or pair.base
                    yield self.finding(
                        f"topic {name} is tombstoned, and sink {pair.name} reads it",
                        after.source.at("lifecycle"),
                        f"move or tombstone the sink first; its owner ({decl.connector.owner}) approves "
                        f"it in {decl.file} (approvals: [{{rule: {self.id}, reason: ...}}])",
                        subject=pair.subject,
                    )


@register
class ConnectorTombstoned(CheckRule):
    """A connector tombstone deletes the connector when the change is merged and applied.

    `lifecycle: deleted` is the one way busctl deletes a connector: apply deletes it on every Connect
    cluster it runs on. Its owner approves it in the same file (`approvals: [{rule: BUS520, reason:
    ...}]`); that reviewed approval is what lets apply delete it (or `apply --allow-delete`).

    **Bad**:  `lifecycle: deleted` added to a connector file, no approval
    **Good**: `lifecycle: deleted` with `approvals: [{rule: BUS520, reason: "ledger reads v2 now"}]`
    """

    id = CONNECTOR_TOMBSTONE_RULE
    name = "check.connector-tombstoned"
    locked = "it is what asks for the deletion's approval"

    def check(self, ctx: CheckContext) -> Iterator[Diagnostic]:
        for pair in connector_pairs(ctx.base, ctx.head):
            head = pair.head
            if head is None or head.connector.lifecycle != "deleted":
                continue
            if pair.base is not None and pair.base.connector.lifecycle == "deleted":
                continue
            clusters = connector_placement(ctx.head.config, head.connector)
            where = f" on {', '.join(clusters)}" if clusters else ""
            yield self.finding(
                f"connector {pair.name} is tombstoned: merging deletes it{where}",
                head.source.at("lifecycle"),
                f"approve it in this file (approvals: [{{rule: {self.id}, reason: ...}}]); apply deletes "
                "it only with that approval",
                subject=pair.subject,
            )
