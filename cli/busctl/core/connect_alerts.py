"""What connector alerts the declarations ask for, and their promtool tests. Pure.

The metrics are those of the Prometheus JMX exporter java agent on each Connect worker, with the
rules documented in scripts/connect/jmx-exporter.yaml: `kafka_connect_connector_status{connector,
status}` and `kafka_connect_connector_task_status{connector, task, status}` are 1 for the state
each is in. Every connector placed on an alerted cluster with a Connect cluster gets: connector
failed, a task failed (both critical, paged to its owner) and missing (it reports no status: never
created, deleted by hand, or the workers are not scraped), warning after alerts.missing_for. Each
such cluster also gets one rule for its workers not being scraped, paged to the platform team.
"""

from __future__ import annotations

from dataclasses import dataclass

from busctl.core.alerts import AlertKind, Matchers, alerted_clusters, cluster_selector
from busctl.core.bus import Bus, connector_placement
from busctl.core.units import prometheus_duration_seconds

CONNECTOR_FAILED = AlertKind(
    "connector_failed", "KafkaConnectConnectorFailed", "Kafka Connect connector has failed."
)
TASK_FAILED = AlertKind(
    "task_failed", "KafkaConnectTaskFailed", "A task of a Kafka Connect connector has failed."
)
CONNECTOR_MISSING = AlertKind(
    "connector_missing", "KafkaConnectConnectorMissing", "Declared Kafka Connect connector reports no status."
)
WORKERS_DOWN = AlertKind(
    "workers_down",
    "KafkaConnectWorkersDown",
    "Kafka Connect workers are not scraped; connector alerts are blind.",
)
CONNECTOR_KINDS = (CONNECTOR_FAILED, TASK_FAILED, CONNECTOR_MISSING)
FAILED_FOR = "1m"
WORKERS_DOWN_FOR = "5m"
CONNECT_INSTANCE = "connect:9404"  # the instance label of the tests' input series


@dataclass(frozen=True)
class ConnectorTarget:
    """A declared connector on one cluster, the team paged for it and the matchers picking that
    cluster's series (no connector: the cluster's workers themselves)."""

    team: str
    connector: str
    cluster: str
    file: str
    selector: Matchers = ()


@dataclass(frozen=True)
class ConnectRule:
    """One alerting rule to generate: its kind, target, severity and `for:`."""

    kind: AlertKind
    target: ConnectorTarget
    severity: str
    for_: str


def connect_clusters(bus: Bus) -> list[str]:
    """The alerted clusters with a Connect cluster, in bus.yaml order."""
    return [c for c in alerted_clusters(bus.config) if bus.config.clusters[c].connect is not None]


def connector_rules_by_team(bus: Bus) -> dict[str, list[ConnectRule]]:
    """Each owner team's connector alert rules, in a stable order (team, connector, cluster, kind)."""
    settings = bus.config.alerts
    order = {cluster: index for index, cluster in enumerate(connect_clusters(bus))}
    targets = [
        ConnectorTarget(
            decl.connector.owner,
            decl.connector.name,
            cluster,
            decl.file,
            cluster_selector(bus.config, cluster),
        )
        for decl in bus.connectors
        if decl.connector.lifecycle == "active"
        for cluster in connector_placement(bus.config, decl.connector)
        if cluster in order
    ]
    by_team: dict[str, list[ConnectRule]] = {}
    for target in sorted(targets, key=lambda t: (t.team, t.connector, order[t.cluster])):
        by_team.setdefault(target.team, []).extend(
            [
                ConnectRule(CONNECTOR_FAILED, target, "critical", FAILED_FOR),
                ConnectRule(TASK_FAILED, target, "critical", FAILED_FOR),
                ConnectRule(CONNECTOR_MISSING, target, "warning", settings.missing_for),
            ]
        )
    return by_team


def workers_down_rules(bus: Bus) -> list[ConnectRule]:
    """One rule per alerted cluster with a Connect cluster: its workers are not scraped (paged to the
    platform team)."""
    team = bus.config.policy.platform_team or ""
    return [
        ConnectRule(
            WORKERS_DOWN,
            ConnectorTarget(team, "", cluster, "bus.yaml", cluster_selector(bus.config, cluster)),
            "critical",
            WORKERS_DOWN_FOR,
        )
        for cluster in connect_clusters(bus)
    ]


@dataclass(frozen=True)
class Sample:
    """One input series of a test: its metric, its labels beyond job and the cluster's, its value."""

    metric: str
    labels: tuple[tuple[str, str], ...]
    value: int


@dataclass(frozen=True)
class ConnectTest:
    """One promtool test: every rule of one kind fed one scenario at once (series carry the connector
    and the cluster's labels, so they do not interfere), and the rules that must fire."""

    kind: AlertKind
    name: str
    rules: list[ConnectRule]
    samples: list[tuple[ConnectRule, Sample | None]]  # None: the scenario has no series for the rule
    firing: list[ConnectRule]  # the rules that must fire (exactly those)
    interval_seconds: int
    eval_seconds: int
    count: int  # samples of each series

    def absent(self, rule: ConnectRule) -> bool:
        """Whether the scenario gives the rule no series at all (absent() then fires, keeping the
        labels of its equality matchers)."""
        return any(r is rule and sample is None for r, sample in self.samples)


# kind -> (the bad state(s), each as (words, status of the series or None: no series, value), the good
# one). `up` series carry their value; status series are 1 for the state they name.
Reading = tuple[str, str | None, int]
_STATES: dict[str, tuple[list[Reading], Reading]] = {
    "connector_failed": ([("FAILED", "failed", 1)], ("running", "running", 1)),
    "task_failed": ([("with a FAILED task", "failed", 1)], ("running its task", "running", 1)),
    "connector_missing": ([("with no status series", None, 0)], ("reporting a status", "running", 1)),
    "workers_down": (
        [("with no worker scraped", None, 0), ("with every scrape failing", "", 0)],
        ("with a worker up", "", 1),
    ),
}
# Which rules get the bad state: all of them, every other one (either way), none. Alternating catches a
# rule that also matches its neighbours' series (another cluster of the same connector, another
# connector): they are next to each other in the rule order.
_PATTERNS = (
    ("every one", lambda i: True),
    ("every other one, first", lambda i: i % 2 == 0),
    ("every other one, second", lambda i: i % 2 == 1),
    ("none", lambda i: False),
)


def _sample(rule: ConnectRule, status: str | None, value: int) -> Sample | None:
    """The rule's input series in a state (None: no series at all)."""
    if status is None:
        return None
    if rule.kind is WORKERS_DOWN:
        return Sample("up", (), value)
    if rule.kind is TASK_FAILED:
        labels = (("connector", rule.target.connector), ("status", status), ("task", "0"))
        return Sample("kafka_connect_connector_task_status", labels, value)
    return Sample(
        "kafka_connect_connector_status", (("connector", rule.target.connector), ("status", status)), value
    )


def connect_tests(rules: list[ConnectRule]) -> list[ConnectTest]:
    """The promtool tests of one rule file: per kind present, scenarios where every rule, every other
    one, or none of them sees its bad state; evaluated once `for` has passed by one interval."""
    tests = []
    for kind in (*CONNECTOR_KINDS, WORKERS_DOWN):
        of_kind = [r for r in rules if r.kind is kind]
        if not of_kind:
            continue
        hold = max(prometheus_duration_seconds(r.for_) for r in of_kind)
        interval = max(15, int(hold // 20))
        bad_states, good = _STATES[kind.key]
        for bad in bad_states:
            for words, chosen in _PATTERNS:
                if len(of_kind) == 1 and words.startswith("every other"):
                    continue
                picked = [chosen(i) for i in range(len(of_kind))]
                samples = [
                    (r, _sample(r, *(bad if is_bad else good)[1:]))
                    for r, is_bad in zip(of_kind, picked, strict=True)
                ]
                tests.append(
                    ConnectTest(
                        kind=kind,
                        name=f"{words} {bad[0]}" if any(picked) else f"all {good[0]}",
                        rules=of_kind,
                        samples=samples,
                        firing=[r for r, is_bad in zip(of_kind, picked, strict=True) if is_bad],
                        interval_seconds=interval,
                        eval_seconds=int(hold) + interval,
                        count=int(hold // interval) + 3,
                    )
                )
    return tests
