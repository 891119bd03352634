"""The bus model: what bus.yaml, teams.yaml, topics/*.yaml and connectors/*.yaml declare.

The classes double as the file formats: field names are the YAML keys, types and bounds are checked
strictly when a file is loaded (unknown fields are errors), and `busctl editor-schema` derives JSON Schemas
from them. Positions in the source files live beside the model, in `SourceMap`s.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

ConfigValue = str | int | float | bool
# `${...}` in a value: an environment variable, expanded when connecting (bus.yaml clusters.*) or when
# planning (a connector's config), or there a Connect config provider's reference (a colon inside).
REFERENCE = re.compile(r"\$\{[^}]*\}")
ENV_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
Severity = Literal["critical", "warning", "info"]
Lifecycle = Literal["active", "deprecated", "deleted"]
Compatibility = Literal[
    "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE", "NONE"
]
RuleSetting = Literal["error", "warning", "off"]


def _off(value: object) -> object:
    """YAML 1.1 reads a plain `off` as false: in policy.rules it is the setting "off"."""
    return "off" if value is False else value


RuleSettingInput = Annotated[
    RuleSetting, BeforeValidator(_off, json_schema_input_type=RuleSetting | Literal[False])
]
KEY_KINDS = ("string", "bytes", "none")
DEFAULT_TOPIC_NAME = r"^(?P<team>[a-z][a-z0-9-]*)\.[a-z0-9-]+\.v[0-9]+$"
DEFAULT_PROTECTED = ["^__", "^_schemas$", "^_confluent", "^_connect-(offsets|configs|status)$"]
# Kafka's wire types: partition counts are int32, replication factors int16 (CreateTopics). Beyond them
# a value is refused by the broker mid-apply, or does not even fit the request.
MAX_PARTITIONS = 2**31 - 1
MAX_REPLICATION_FACTOR = 2**15 - 1
# Prometheus stores samples as float64, exact for whole numbers up to 2^53: a larger lag threshold cannot
# be told apart from lag just above it. Its durations are int64 nanoseconds: about 292 years.
MAX_LAG_MESSAGES = 2**53
MAX_LAG_SECONDS = (2**63 - 1) // 10**9
# A cluster label (key and value) and a selector of clusters: a cluster name or glob ("prod-*"), or one
# label as key=value ("env=prod").
LABEL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
SELECTOR_PATTERN = r"^([A-Za-z0-9_.*?\[\]-]+|[A-Za-z0-9][A-Za-z0-9_.-]*=[A-Za-z0-9][A-Za-z0-9_.-]*)$"
Label = Annotated[str, StringConstraints(pattern=LABEL_PATTERN, max_length=63)]
# A cluster's name: also a file name (plan --save-state) and a --cluster value, so no "/", "=" or glob.
ClusterName = Annotated[str, StringConstraints(pattern=LABEL_PATTERN, max_length=100)]
# A file Alertmanager reads a secret from (a Slack webhook URL, a PagerDuty key): an absolute path, since
# Alertmanager resolves a relative one against its config file's directory; the secret never appears in
# the bus repo or the generated files. A webhook_url template must give an http(s) URL.
SECRET_FILE_PATTERN = r"^/.*[^/]$"
WEBHOOK_URL_PATTERN = r"^(https?://|\{chat\}).*$"
# What a value not matching a pattern must be, and an example, for its error.
PATTERN_WORDS = {
    LABEL_PATTERN: ("letters, digits, '.', '_' and '-', starting with a letter or digit", "prod-eu"),
    SELECTOR_PATTERN: (
        "a cluster name, a glob of names (prod-*) or one label as key=value (env=prod)",
        "placement: [prod-eu, env=staging]",
    ),
    SECRET_FILE_PATTERN: (
        "the absolute path of a file holding the secret (never the secret itself)",
        "/etc/alertmanager/secrets/slack-api-url",
    ),
    WEBHOOK_URL_PATTERN: (
        "an http(s) URL, which may contain {team} and {chat}, or start with {chat} (the team's room URL)",
        "webhook_url: http://alert-relay:8080/alerts?room={team}",
    ),
}
MAX_SELECTOR = 255
Selector = Annotated[str, StringConstraints(pattern=SELECTOR_PATTERN, max_length=MAX_SELECTOR)]
SecretFile = Annotated[str, StringConstraints(pattern=SECRET_FILE_PATTERN, max_length=4096)]


class Strict(BaseModel):
    """Base for file formats: unknown fields are errors, no silent type coercion, immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)


class LagObjective(Strict):
    """How far behind a consumer group may fall before its team is alerted."""

    max_messages: int | None = Field(
        None, ge=0, le=MAX_LAG_MESSAGES, description="Lag in messages that breaks the objective."
    )
    max_seconds: int | None = Field(
        None, ge=1, le=MAX_LAG_SECONDS, description="Lag in seconds (time to catch up) that breaks it."
    )
    for_: str | None = Field(None, alias="for", description='How long it must last, e.g. "10m".')
    severity: Severity | None = Field(None, description="critical pages; warning makes a ticket.")


class Approval(Strict):
    """An intentional breaking change, approved in the pull request that makes it."""

    rule: str = Field(min_length=1, description='The finding approved: "BUS501" or "buf:FIELD_NO_DELETE".')
    reason: str = Field(
        min_length=1, description="Why the break is acceptable (who was told, what migrates)."
    )


class Exemption(Strict):
    """A lint rule that does not apply to this topic, on purpose (an existing topic brought under
    management as it is). Lint reports it as a note; it never hides anything silently."""

    rule: str = Field(min_length=1, description='The rule exempted, e.g. "BUS101" (topic name policy).')
    reason: str = Field(
        min_length=1,
        description="Why, e.g. predates the naming policy; readers outside busctl use this name.",
    )


class ClusterValues(Strict):
    """Partitions, replication factor and configs for some clusters only."""

    partitions: int | None = Field(None, ge=1, le=MAX_PARTITIONS)
    replication_factor: int | None = Field(None, ge=1, le=MAX_REPLICATION_FACTOR)
    config: dict[str, ConfigValue] = Field(default_factory=dict)


class Producer(Strict):
    """A principal allowed to write to the topic (WRITE and DESCRIBE ACLs)."""

    principal: str = Field(description='Kafka principal, e.g. "User:billing-api".')


class Consumer(Strict):
    """A consumer group reading the topic: gets READ ACLs and lag alerts."""

    group: str = Field(min_length=1, description="Consumer group id.")
    principal: str | None = Field(None, description='Kafka principal, e.g. "User:audit-log".')
    team: str | None = Field(
        None, description="Team paged for this group's lag; defaults to the topic owner."
    )
    lag: LagObjective | None = Field(
        None, description="Lag objective; defaults to bus.yaml alerts.default_lag."
    )


class Topic(Strict):
    """One topic file: topics/<team>/<topic>.yaml."""

    name: str = Field(min_length=1, description="Topic name; must match policy.topic_name.")
    owner: str = Field(min_length=1, description="Owning team (a key of teams.yaml).")
    description: str = Field(min_length=1, description="What the topic carries.")
    schema_: str = Field(
        alias="schema",
        min_length=1,
        description="Fully qualified protobuf message carried as the record value.",
    )
    key: str = Field("none", description="Record key: string | bytes | none | a protobuf message FQN.")
    partitions: int | None = Field(
        None, ge=1, le=MAX_PARTITIONS, description="Partition count; defaults from bus.yaml."
    )
    replication_factor: int | None = Field(
        None, ge=1, le=MAX_REPLICATION_FACTOR, description="Replicas; defaults from bus.yaml."
    )
    config: dict[str, ConfigValue] = Field(
        default_factory=dict, description="Kafka topic configs; human units allowed."
    )
    placement: list[Selector] | None = Field(
        None,
        min_length=1,
        description="The clusters the topic lives on: cluster names, globs (prod-*) or labels "
        "(env=prod); a cluster matching any of them. Default: every cluster in bus.yaml.",
    )
    per_cluster: dict[Selector, ClusterValues] = Field(
        default_factory=dict,
        description="Values for some clusters only, keyed like placement (staging: {partitions: 3}); "
        "they win over everything else on those clusters.",
    )
    producers: list[Producer] = Field(default_factory=list)
    consumers: list[Consumer] = Field(default_factory=list)
    compatibility: Compatibility | None = Field(
        None,
        description="Registry compatibility level of this topic's subjects; default bus.yaml "
        "schemas.compatibility.",
    )
    lifecycle: Lifecycle = Field(
        "active",
        description="deleted = tombstone: apply deletes the topic once its file approves rule BUS515.",
    )
    approvals: list[Approval] = Field(
        default_factory=list,
        description="Breaking changes approved on purpose; valid only in the change that adds them.",
    )
    exemptions: list[Exemption] = Field(
        default_factory=list,
        description="Lint rules that do not apply to this topic (e.g. a legacy name), each with a reason.",
    )


CONNECTOR_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
ALIAS_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]*$"
ConnectorState = Literal["running", "paused"]
ConnectorLifecycle = Literal["active", "deleted"]
Alias = Annotated[str, StringConstraints(pattern=ALIAS_PATTERN, max_length=100)]


class Predicate(Strict):
    """A predicate (KIP-585) transforms may be applied under."""

    name: Alias = Field(description="Its alias, named by a transform's `predicate`.")
    type: str = Field(
        min_length=1,
        description="Class, e.g. org.apache.kafka.connect.transforms.predicates.TopicNameMatches.",
    )
    config: dict[str, ConfigValue] = Field(default_factory=dict, description="The predicate's settings.")


class Transform(Strict):
    """A single message transform (SMT), applied in list order."""

    name: Alias = Field(description="Its alias in the connector's `transforms` list.")
    type: str = Field(
        min_length=1, description="Class, e.g. org.apache.kafka.connect.transforms.InsertField$Value."
    )
    config: dict[str, ConfigValue] = Field(default_factory=dict, description="The transform's settings.")
    predicate: Alias | None = Field(None, description="Apply only to records this predicate matches.")
    negate: bool = Field(False, description="Apply only to records the predicate does not match.")


class Connector(Strict):
    """One connector file: connectors/<team>/<name>.yaml, run by the Kafka Connect cluster of each
    cluster it is placed on."""

    name: Annotated[str, StringConstraints(pattern=CONNECTOR_NAME_PATTERN, max_length=200)] = Field(
        description="Connector name on the Connect cluster; its sink consumer group is connect-<name>."
    )
    owner: str = Field(min_length=1, description="Owning team (a key of teams.yaml).")
    description: str = Field(min_length=1, description="What it moves, from where to where.")
    class_: str = Field(
        alias="class",
        min_length=1,
        description="Connector class, e.g. org.apache.kafka.connect.file.FileStreamSinkConnector.",
    )
    type: Literal["source", "sink"] = Field(
        description="sink: reads `topics` from Kafka; source: writes them."
    )
    topics: list[str] = Field(
        min_length=1, description="The declared topics it reads (sink) or writes (source)."
    )
    tasks_max: int = Field(1, ge=1, le=1024, description="tasks.max: how many tasks may run it.")
    config: dict[str, ConfigValue] = Field(
        default_factory=dict,
        description="The connector's own settings. Secrets only as ${VAR} (from busctl's environment "
        "at plan and apply) or a config provider reference (${file:/path:key}), never literal.",
    )
    transforms: list[Transform] = Field(default_factory=list, description="SMTs, in order.")
    predicates: list[Predicate] = Field(default_factory=list, description="Predicates of the transforms.")
    state: ConnectorState = Field("running", description="paused: apply pauses it (and keeps it paused).")
    placement: list[Selector] | None = Field(
        None,
        min_length=1,
        description="The clusters it runs on, like a topic's placement. Default: every cluster of "
        "bus.yaml with a `connect:` section.",
    )
    lag: LagObjective | None = Field(
        None, description="A sink's lag objective; defaults to bus.yaml alerts.default_lag."
    )
    lifecycle: ConnectorLifecycle = Field(
        "active",
        description="deleted = tombstone: apply deletes the connector once its file approves rule "
        "BUS520 (or with --allow-delete).",
    )
    approvals: list[Approval] = Field(
        default_factory=list,
        description="Breaking changes approved on purpose; valid only in the change that adds them.",
    )


class PagerDuty(Strict):
    """The PagerDuty service a team's critical alerts page (besides its chat room). Alertmanager reads
    the service's integration key from a file: name one of the two."""

    routing_key_file: SecretFile | None = Field(
        None, description="File holding the integration key of an Events API v2 integration."
    )
    service_key_file: SecretFile | None = Field(
        None, description="File holding the integration key of a Prometheus (Events API v1) integration."
    )


class Team(Strict):
    """A team in teams.yaml."""

    description: str = ""
    chat: str | None = Field(
        None,
        description="Chat room for alerts and notices: its webhook URL, or a Slack channel "
        '(quoted: "#billing").',
    )
    pagerduty: PagerDuty | None = Field(
        None, description="The PagerDuty service paged for the team's critical alerts."
    )
    github: str | None = Field(None, description='GitHub handle for CODEOWNERS, e.g. "@acme/billing".')
    schemas: list[str] = Field(
        default_factory=list, description="Directories under the schema root that this team owns."
    )


class TeamsFile(Strict):
    """teams.yaml."""

    teams: dict[str, Team]


class Security(Strict):
    """How to connect to a cluster. Values may use ${VAR}, expanded only when connecting."""

    protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    username: str | None = None
    password: str | None = None
    ssl_ca_location: str | None = None
    ssl_certificate_location: str | None = None
    ssl_key_location: str | None = None
    ssl_key_password: str | None = None


class SchemaRegistry(Strict):
    """The cluster's Confluent-compatible schema registry: plan and apply keep its subjects in sync.
    Values may use ${VAR}, expanded only when connecting; the password is never printed."""

    url: str = Field(
        min_length=1,
        description="Base URL of the Confluent-compatible API, e.g. http://registry:8081 "
        "(Apicurio: http://registry:8080/apis/ccompat/v7).",
    )
    username: str | None = Field(None, description="Basic auth user, e.g. ${REGISTRY_USER}.")
    password: str | None = Field(None, description="Basic auth password, e.g. ${REGISTRY_PASSWORD}.")
    format: Literal["text", "descriptor"] = Field(
        "text",
        description="How schemas are registered: text (the .proto as in git) or descriptor (the base64 "
        "FileDescriptorProto confluent-kafka's Python and Go serializers send; see the README).",
    )


class ConnectCluster(Strict):
    """The Kafka Connect cluster (distributed workers) running this cluster's connectors, reached
    through its REST API. Values may use ${VAR}, expanded only when connecting; the password is never
    printed."""

    url: str = Field(min_length=1, description="Base URL of a worker's REST API, e.g. http://connect:8083.")
    username: str | None = Field(None, description="Basic auth user, e.g. ${CONNECT_USER}.")
    password: str | None = Field(None, description="Basic auth password, e.g. ${CONNECT_PASSWORD}.")
    principal: str | None = Field(
        None,
        description='The workers\' Kafka principal, e.g. "User:connect": sinks get READ ACLs on their '
        "topics and group, sources WRITE ACLs on theirs.",
    )


class ClusterAlerts(Strict):
    """How `busctl alerts` watches one cluster's consumer groups."""

    enabled: bool = Field(True, description="false: no lag alerts for this cluster (e.g. a dev broker).")
    selector: dict[str, str] = Field(
        default_factory=dict,
        description="Label matchers picking this cluster's exporter series (one Prometheus may scrape "
        "many clusters), e.g. {kafka_cluster: prod-eu}; added to alerts.selector.",
    )


class Cluster(Strict):
    """A Kafka cluster busctl can plan and apply against."""

    bootstrap_servers: str = Field(min_length=1)
    security: Security = Field(default_factory=Security)
    labels: dict[Label, Label] = Field(
        default_factory=dict,
        description="Groups the cluster belongs to, e.g. {env: prod, region: eu}: topics select "
        "clusters by them (placement: [env=prod]).",
    )
    overrides: ClusterValues = Field(
        default_factory=ClusterValues,
        description="Values for every topic on this cluster; a topic's per_cluster values win over them.",
    )
    alerts: ClusterAlerts = Field(default_factory=ClusterAlerts)
    registry: SchemaRegistry | None = Field(
        None, description="The schema registry of this cluster's producers and consumers."
    )
    connect: ConnectCluster | None = Field(
        None, description="The Kafka Connect cluster that runs the connectors placed on this cluster."
    )


class Defaults(Strict):
    """Settings for topics that do not declare them."""

    partitions: int = Field(6, ge=1, le=MAX_PARTITIONS)
    replication_factor: int = Field(3, ge=1, le=MAX_REPLICATION_FACTOR)
    config: dict[str, ConfigValue] = Field(default_factory=dict)


class Policy(Strict):
    """Organisation rules enforced by `busctl lint`."""

    topic_name: str = Field(
        DEFAULT_TOPIC_NAME,
        description="Regex topic names must match; a (?P<team>...) group must equal owner.",
    )
    min_replication_factor: int = Field(1, ge=1, le=MAX_REPLICATION_FACTOR)
    min_partitions: int = Field(1, ge=1, le=MAX_PARTITIONS)
    max_partitions: int = Field(256, ge=1, le=MAX_PARTITIONS)
    protected_topics: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PROTECTED),
        description="Regexes of topics busctl never declares or touches.",
    )
    platform_team: str | None = Field(None, description="Team owning bus.yaml, teams.yaml and CI files.")
    keyed_partition_increase: Literal["warning", "error"] = Field(
        "warning", description="How `check` treats more partitions on a keyed topic."
    )
    rules: dict[str, RuleSettingInput] = Field(
        default_factory=dict,
        description="Severity per rule id, or off, e.g. {BUS204: error, BUS105: off}; "
        "`busctl rules` shows which rules can be changed.",
    )


Exporter = Literal["kafka_exporter", "kminion", "kafka-lag-exporter", "burrow"]


class PrometheusRuleSettings(Strict):
    """Also write each team's rules as a prometheus-operator PrometheusRule resource."""

    namespace: str | None = Field(None, description="metadata.namespace of the resources.")
    labels: dict[str, str] = Field(
        default_factory=lambda: {"role": "alert-rules"},
        description="metadata.labels, matched by the Prometheus ruleSelector.",
    )


class AlertSettings(Strict):
    """Lag alert generation settings (`busctl alerts`)."""

    exporter: Exporter = Field(
        "kafka_exporter", description="The lag exporter whose metrics the rules query."
    )
    job: str | None = Field(
        None, description='Prometheus job scraping the exporter; default "kafka-exporter", "kminion", ...'
    )
    selector: dict[str, str] = Field(
        default_factory=dict,
        description="Extra label matchers on every exporter series, e.g. {cluster: prod}.",
    )
    runbook_url: str | None = Field(None, description="Linked from every alert.")
    default_lag: LagObjective = Field(
        default_factory=lambda: LagObjective.model_validate(
            {"max_messages": 10000, "for": "10m", "severity": "warning"}
        )
    )
    rate_window: str = Field(
        "5m", description="Window of the produce rate behind time lag (messages behind / rate)."
    )
    connect_job: str = Field(
        "kafka-connect",
        min_length=1,
        description="Prometheus job scraping the Connect workers' JMX exporter (connector alerts).",
    )
    missing_for: str = Field(
        "30m", description="How long a declared group may have no lag series before it is reported."
    )
    webhook_url: Annotated[str, StringConstraints(pattern=WEBHOOK_URL_PATTERN)] = Field(
        "{chat}",
        description="Alertmanager webhook per team; {chat} and {team} are replaced "
        "(e.g. a chat relay: http://relay:8080/alerts?room={team}).",
    )
    slack_api_url_file: SecretFile | None = Field(
        None,
        description='File holding the Slack webhook URL: teams whose chat is a Slack channel ("#billing") '
        "get a Slack receiver posting there.",
    )
    prometheus_rule: PrometheusRuleSettings | None = Field(
        None, description="Also write PrometheusRule resources to alerts/kubernetes/."
    )


class SchemaSettings(Strict):
    """Where the protobuf module lives and how breaking changes are judged."""

    root: str = Field("schemas", description="Directory of the buf module (holds buf.yaml).")
    breaking: Literal["FILE", "PACKAGE", "WIRE_JSON", "WIRE", "CSR"] = "WIRE_JSON"
    compatibility: Compatibility = Field(
        "BACKWARD_TRANSITIVE",
        description="The compatibility level busctl sets on every registry subject it manages "
        "(a topic's `compatibility` wins for its subjects).",
    )


class BusConfig(Strict):
    """bus.yaml."""

    clusters: dict[ClusterName, Cluster] = Field(
        default_factory=dict,
        description="Clusters by name: letters, digits, '.', '_' and '-', starting with a letter or digit.",
    )
    defaults: Defaults = Field(default_factory=Defaults)
    policy: Policy = Field(default_factory=Policy)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    schemas: SchemaSettings = Field(default_factory=SchemaSettings)
