"""What lag alerts the declarations ask for: one `AlertRule` per (cluster, consumer group, topic, kind).

Pure: from the bus to a list of rule specifications, grouped by the team that gets paged. The
PromQL itself lives in the jinja2 templates (one per exporter dialect); this module decides which
alerts exist, their names, severities and `for:` durations. Their promtool tests: alert_tests.py.

KafkaConsumerGroupStuck means what `busctl lag` calls stuck: lag present and no committed offset
moved for the objective's `for`. Its expression spans that window itself (lag now and `for` ago, no
change in between), so its rule's `for:` is a short confirmation, STUCK_FOR, not the objective's
`for` again (which made it fire only after twice that).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from busctl.core.bus import Bus, TopicDecl
from busctl.core.connectors import running_sinks, sink_group
from busctl.core.desired import placed
from busctl.core.model import AlertSettings, BusConfig, Connector, Consumer, LagObjective
from busctl.core.units import prometheus_duration_seconds

DEFAULT_JOBS = {
    "kafka_exporter": "kafka-exporter",
    "kminion": "kminion",
    "kafka-lag-exporter": "kafka-lag-exporter",
    "burrow": "burrow",
}
RETENTION_FOR = "1m"
STUCK_FOR = "1m"  # the Stuck expression already spans the objective's `for`; this only confirms it
EXPORTER_DOWN_FOR = "5m"


@dataclass(frozen=True)
class AlertKind:
    """One kind of lag alert, the same for every dialect (the dialect template gives its PromQL)."""

    key: str
    alertname: str
    summary: str


LAG_MESSAGES = AlertKind(
    "lag_messages",
    "KafkaConsumerGroupLagHigh",
    "Kafka consumer group is too many messages behind.",
)
LAG_SECONDS = AlertKind(
    "lag_seconds",
    "KafkaConsumerGroupTimeLagHigh",
    "Kafka consumer group is too far behind in time.",
)
STUCK = AlertKind(
    "stuck",
    "KafkaConsumerGroupStuck",
    "Kafka consumer group is not committing progress while messages are waiting.",
)
MISSING = AlertKind(
    "missing",
    "KafkaConsumerGroupMissing",
    "Declared Kafka consumer group has no lag metrics.",
)
NO_MEMBERS = AlertKind(
    "no_members",
    "KafkaConsumerGroupNoActiveMembers",
    "Kafka consumer group has no active members while messages are waiting.",
)
OUT_OF_RETENTION = AlertKind(
    "out_of_retention",
    "KafkaConsumerGroupOffsetOutOfRetention",
    "Kafka consumer group offset is older than the topic's retention: messages were lost.",
)
EXPORTER_DOWN = AlertKind(
    "exporter_down",
    "KafkaLagExporterDown",
    "Kafka lag exporter is down; consumer lag alerts are blind.",
)
GROUP_KINDS = (LAG_MESSAGES, LAG_SECONDS, STUCK, MISSING, NO_MEMBERS, OUT_OF_RETENTION)


@dataclass(frozen=True)
class Objective:
    """A consumer's lag objective with bus.yaml's default_lag filled in."""

    max_messages: int | None
    max_seconds: int | None
    for_: str
    severity: str

    def describe(self) -> str:
        """ "max 10000 messages, 5m behind, for 10m" — quoted in alert descriptions."""
        parts = []
        if self.max_messages is not None:
            parts.append(f"max {self.max_messages} messages")
        if self.max_seconds is not None:
            parts.append(f"max {self.max_seconds}s behind")
        return ", ".join(parts) + f", for {self.for_}"

    @property
    def for_seconds(self) -> float:
        """`for` in seconds."""
        return prometheus_duration_seconds(self.for_)


Matchers = tuple[tuple[str, str], ...]  # label matchers, sorted by label


@dataclass(frozen=True)
class LagTarget:
    """A declared consumer group on a topic, the team paged for it, and its objective; with the
    cluster it is watched on and the label matchers picking that cluster's series."""

    team: str
    topic: str
    group: str
    owner: str
    file: str
    objective: Objective
    cluster: str = ""
    selector: Matchers = ()


@dataclass(frozen=True)
class AlertRule:
    """One alerting rule to generate: kind, target (None for the exporter rule), severity and `for:`."""

    kind: AlertKind
    target: LagTarget | None
    severity: str
    for_: str

    @property
    def for_seconds(self) -> float:
        """`for:` in seconds."""
        return prometheus_duration_seconds(self.for_)


def objective_for(consumer: Consumer | Connector, default: LagObjective) -> Objective:
    """The consumer's (or sink connector's) `lag:` over alerts.default_lag: declared thresholds replace
    the default's as a pair; `for` and `severity` fall back field by field."""
    own = consumer.lag or LagObjective()
    explicit = own.max_messages is not None or own.max_seconds is not None
    return Objective(
        max_messages=own.max_messages if explicit else default.max_messages,
        max_seconds=own.max_seconds if explicit else default.max_seconds,
        for_=own.for_ or default.for_ or "10m",
        severity=own.severity or default.severity or "warning",
    )


def cluster_selector(config: BusConfig, cluster: str) -> Matchers:
    """The matchers picking `cluster`'s series: alerts.selector, then the cluster's own (which wins)."""
    own = config.clusters[cluster].alerts.selector if cluster in config.clusters else {}
    return tuple(sorted({**config.alerts.selector, **own}.items()))


def alerted_clusters(config: BusConfig) -> list[str]:
    """The clusters whose consumer groups get alerts (clusters.<name>.alerts.enabled), in bus.yaml order."""
    return [name for name, cluster in config.clusters.items() if cluster.alerts.enabled]


def watched_topics(bus: Bus, cluster: str) -> list[TopicDecl]:
    """The live (not tombstoned) topics placed on `cluster`: their consumer groups are watched there."""
    return [decl for decl in placed(bus, cluster) if decl.topic.lifecycle != "deleted"]


def lag_targets(bus: Bus, cluster: str) -> list[LagTarget]:
    """Every consumer group declared on a live topic placed on `cluster`, and the group of every sink
    connector running there on each topic it reads (paged to the connector's owner), sorted by team,
    topic and group."""
    default = bus.config.alerts.default_lag
    selector = cluster_selector(bus.config, cluster)
    targets = [
        LagTarget(
            team=consumer.team or decl.topic.owner,
            topic=decl.topic.name,
            group=consumer.group,
            owner=decl.topic.owner,
            file=decl.file,
            objective=objective_for(consumer, default),
            cluster=cluster,
            selector=selector,
        )
        for decl in watched_topics(bus, cluster)
        for consumer in decl.topic.consumers
    ]
    live = {decl.topic.name: decl for decl in watched_topics(bus, cluster)}
    targets += [
        LagTarget(
            team=sink.connector.owner,
            topic=name,
            group=sink_group(sink.connector),
            owner=live[name].topic.owner,
            file=sink.file,
            objective=objective_for(sink.connector, default),
            cluster=cluster,
            selector=selector,
        )
        for sink in running_sinks(bus, cluster)
        for name in sink.connector.topics
        if name in live
    ]
    return sorted(targets, key=lambda t: (t.team, t.topic, t.group))


def alert_targets(bus: Bus) -> list[LagTarget]:
    """The targets of every alerted cluster, sorted by team, topic and group, then clusters in bus.yaml
    order: one per cluster a topic is placed on."""
    order = {cluster: index for index, cluster in enumerate(alerted_clusters(bus.config))}
    targets = [t for cluster in order for t in lag_targets(bus, cluster)]
    return sorted(targets, key=lambda t: (t.team, t.topic, t.group, order[t.cluster]))


def _group_rules(target: LagTarget, settings: AlertSettings) -> Iterator[AlertRule]:
    objective = target.objective
    if objective.max_messages is not None:
        yield AlertRule(LAG_MESSAGES, target, objective.severity, objective.for_)
    if objective.max_seconds is not None:
        yield AlertRule(LAG_SECONDS, target, objective.severity, objective.for_)
    yield AlertRule(STUCK, target, objective.severity, STUCK_FOR)
    yield AlertRule(MISSING, target, "warning", settings.missing_for)
    yield AlertRule(NO_MEMBERS, target, "warning", objective.for_)
    yield AlertRule(OUT_OF_RETENTION, target, "critical", RETENTION_FOR)


def rules_by_team(bus: Bus) -> dict[str, list[AlertRule]]:
    """Each paged team's alert rules, in a stable order (team, topic, group, kind)."""
    settings = bus.config.alerts
    by_team: dict[str, list[AlertRule]] = {}
    for target in alert_targets(bus):  # sorted by team first, so the dict is too
        by_team.setdefault(target.team, []).extend(_group_rules(target, settings))
    return by_team


def exporter_down_rule() -> AlertRule:
    """The one rule per bus that watches the exporter itself (paged to the platform team)."""
    return AlertRule(EXPORTER_DOWN, None, "critical", EXPORTER_DOWN_FOR)


def job_name(settings: AlertSettings) -> str:
    """The Prometheus job label of the exporter's scrape."""
    return settings.job or DEFAULT_JOBS[settings.exporter]


def promql_string(value: str) -> str:
    """A PromQL double-quoted string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
