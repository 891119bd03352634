"""The `busctl describe TOPIC` document: desired and (with a cluster) actual, side by side."""

from __future__ import annotations

from pydantic import Field

from busctl.core.alerts import Objective, objective_for
from busctl.core.bus import Bus, Source, TopicDecl
from busctl.core.desired import DesiredTopic
from busctl.core.inventory import (
    AclStatus,
    acl_rows,
    changes_by_topic,
    config_settings,
    count_setting,
    drift,
)
from busctl.core.model import Team
from busctl.core.plan import Action, Plan
from busctl.core.schemas import SchemaSet
from busctl.core.state import ClusterState
from busctl.core.topic_configs import Catalogue
from busctl.reports import Document
from busctl.reports.plan import AclDocument
from busctl.reports.topics import TopicDrift

DESCRIBE_FORMAT_VERSION = 1


class OwnerDocument(Document):
    """The owning team and how to reach it."""

    team: str
    github: str | None
    chat: str | None


def owner_document(bus: Bus, team: str) -> OwnerDocument:
    """A team and how to reach it (teams.yaml's chat room and GitHub handle)."""
    info: Team | None = bus.teams.get(team)
    return OwnerDocument(team=team, github=info.github if info else None, chat=info.chat if info else None)


class SchemaDocument(Document):
    """The message the topic carries and where it is defined (null when the schemas do not define it)."""

    message: str
    defined_at: str | None


class CountSetting(Document):
    """Partitions or replication factor: desired, its source, and the cluster's."""

    desired: int
    source: Source
    set_by: str = Field(
        description="where: the topic, per_cluster.KEY, bus.yaml clusters.NAME.overrides, ..."
    )
    actual: int | None


class ConfigSetting(Document):
    """One config: the desired value (Kafka's units) and source, the cluster's effective value and
    Kafka's source for it, and whether plan would change it."""

    key: str
    desired: str | None = Field(description="Null when nobody declares it and Kafka has no default.")
    source: Source | None
    set_by: str | None = Field(description="where it is set, as for partitions (null: nowhere)")
    actual: str | None
    kafka_source: str | None = Field(description="DYNAMIC_TOPIC_CONFIG, DEFAULT_CONFIG, ...")
    differs: bool = Field(description="Plan would change it on the cluster.")


class PartitionDocument(Document):
    """One partition on the cluster."""

    partition: int
    leader: int = Field(description="-1: offline (no leader).")
    replicas: list[int]
    isr: list[int]
    under_replicated: bool


class AclEntry(Document):
    """A binding: declared (by a producer or consumer entry) and/or on the cluster."""

    binding: AclDocument
    role: str | None = Field(description="producer | consumer; null when not declared.")
    declared_at: str | None
    status: AclStatus


class ObjectiveDocument(Document):
    """A consumer group's lag objective, bus.yaml's default_lag filled in."""

    max_messages: int | None
    max_seconds: int | None
    for_: str = Field(alias="for")
    severity: str


class GroupEntry(Document):
    """A declared consumer group of the topic."""

    group: str
    team: str
    principal: str | None
    objective: ObjectiveDocument
    declared_at: str


class DescribeReport(Document):
    """`busctl describe TOPIC [--cluster C] --format json`."""

    format_version: int = DESCRIBE_FORMAT_VERSION
    topic: str
    file: str
    owner: OwnerDocument
    description: str
    lifecycle: str
    key: str
    schema_: SchemaDocument = Field(alias="schema")
    cluster: str | None
    cluster_id: str | None
    drift: TopicDrift | None = Field(description="Null without --cluster.")
    partitions: CountSetting
    replication_factor: CountSetting
    configs: list[ConfigSetting]
    partition_states: list[PartitionDocument] = Field(description="Empty without --cluster.")
    acls: list[AclEntry]
    acls_enforced: bool | None = Field(description="Whether the cluster has an authorizer; null offline.")
    consumer_groups: list[GroupEntry]


def from_declaration(
    bus: Bus,
    schemas: SchemaSet,
    decl: TopicDecl,
    desired: DesiredTopic,
    catalogue: Catalogue,
    cluster: str | None = None,
    state: ClusterState | None = None,
    plan: Plan | None = None,
) -> DescribeReport:
    """The report of one declared topic; with `state` and `plan`, compared with the cluster."""
    topic = decl.topic
    changes = changes_by_topic(plan, bus).get(topic.name, []) if plan is not None else []
    observed = state.topics.get(topic.name) if state is not None else None
    changed = {c.key for ch in changes if ch.action is Action.UPDATE_CONFIG for c in ch.configs}
    message = schemas.message(topic.schema_)
    found = drift(topic.name, topic.lifecycle == "deleted", state, changes) if state is not None else None
    partitions, partitions_source = count_setting(bus, decl, cluster, "partitions")
    replication, replication_source = count_setting(bus, decl, cluster, "replication_factor")
    configs = []
    for key, setting in config_settings(bus, decl, cluster, catalogue, observed).items():
        value = observed.configs.get(key) if observed is not None else None
        configs.append(
            ConfigSetting(
                key=key,
                desired=setting.value,
                source=setting.source,
                set_by=None if setting.origin is None else setting.origin.describe(),
                actual=value.value if value is not None else None,
                kafka_source=value.source if value is not None else None,
                differs=key in changed,
            )
        )
    default_lag = bus.config.alerts.default_lag
    return DescribeReport(
        topic=topic.name,
        file=decl.file,
        owner=owner_document(bus, topic.owner),
        description=topic.description,
        lifecycle=topic.lifecycle,
        key=topic.key,
        schema=SchemaDocument(message=topic.schema_, defined_at=str(message.span) if message else None),
        cluster=cluster,
        cluster_id=state.cluster_id if state is not None else None,
        drift=None if found is None else TopicDrift(status=found.status, fields=list(found.fields)),
        partitions=CountSetting(
            desired=partitions,
            source=partitions_source.source,
            set_by=partitions_source.describe(),
            actual=observed.partitions if observed is not None else None,
        ),
        replication_factor=CountSetting(
            desired=replication,
            source=replication_source.source,
            set_by=replication_source.describe(),
            actual=observed.replication_factor if observed is not None else None,
        ),
        configs=configs,
        partition_states=[
            PartitionDocument(
                partition=index,
                leader=observed.leaders[index] if index < len(observed.leaders) else -1,
                replicas=list(replicas),
                isr=list(observed.isrs[index]) if index < len(observed.isrs) else [],
                under_replicated=index < len(observed.isrs) and len(observed.isrs[index]) < len(replicas),
            )
            for index, replicas in enumerate(observed.replicas)
        ]
        if observed is not None
        else [],
        acls=[
            AclEntry(
                binding=AclDocument.model_validate(row.binding, from_attributes=True),
                role=row.role,
                declared_at=str(row.declared_at) if row.declared_at else None,
                status=row.status,
            )
            for row in acl_rows(decl, desired.acls, state, changes)
        ],
        acls_enforced=None if state is None else state.acls is not None,
        consumer_groups=[
            GroupEntry(
                group=consumer.group,
                team=consumer.team or topic.owner,
                principal=consumer.principal,
                objective=_objective(objective_for(consumer, default_lag)),
                declared_at=str(decl.source.at("consumers", index, "group")),
            )
            for index, consumer in enumerate(topic.consumers)
        ],
    )


def _objective(objective: Objective) -> ObjectiveDocument:
    return ObjectiveDocument.model_validate(
        {
            "max_messages": objective.max_messages,
            "max_seconds": objective.max_seconds,
            "for": objective.for_,
            "severity": objective.severity,
        }
    )
