"""Desired state: the declarations with defaults and a cluster's overrides applied, configs normalised."""

from __future__ import annotations

import hashlib
import json
import operator
from dataclasses import dataclass, field, fields

from busctl.core.bus import Bus, Origin, TopicDecl, deletion_approved, effective, is_placed
from busctl.core.connectors import placed_connectors, sink_group
from busctl.core.state import AclBinding
from busctl.core.topic_configs import Catalogue

MANAGED_OPERATIONS = frozenset({"READ", "WRITE", "DESCRIBE"})


@dataclass(frozen=True)
class DesiredTopic:
    """A topic as it should exist on one cluster."""

    name: str
    partitions: int
    replication_factor: int
    config: dict[str, str]
    keyed: bool
    deleted: bool
    acls: frozenset[AclBinding]
    deletion_approved: bool = False  # a tombstone whose reviewed file approves its deletion
    schema_problem: str = ""  # the first lint error of its schema (compiled): it is not created then
    # where partitions, replication_factor (`origins`) and each config come from; not in the digest
    origins: dict[str, Origin] = field(default_factory=dict, compare=False)
    config_origins: dict[str, Origin] = field(default_factory=dict, compare=False)


def _allow(resource_type: str, name: str, principal: str, operation: str) -> AclBinding:
    return AclBinding(resource_type, name, "LITERAL", principal, "*", operation, "ALLOW")


def placed(bus: Bus, cluster: str | None) -> list[TopicDecl]:
    """The declarations of the topics that live on `cluster` (None: every declaration)."""
    if cluster is None:
        return list(bus.topics)
    return [decl for decl in bus.topics if is_placed(bus.config, decl.topic, cluster)]


def desired_topics(bus: Bus, cluster: str | None, catalogue: Catalogue) -> list[DesiredTopic]:
    """Every topic placed on `cluster` as it should be there (configs in Kafka's units), with the ACLs
    of its producers, consumers and of the Connect workers running connectors on it, sorted by name;
    cluster None: every topic, with no cluster's values."""
    result = []
    workers = _worker_acls(bus, cluster)
    for decl in placed(bus, cluster):
        topic = decl.topic
        settings = effective(bus.config, topic, cluster)
        acls = set()
        for producer in topic.producers:
            acls |= {_allow("TOPIC", topic.name, producer.principal, op) for op in ("WRITE", "DESCRIBE")}
        for consumer in topic.consumers:
            if consumer.principal:
                acls |= {_allow("TOPIC", topic.name, consumer.principal, op) for op in ("READ", "DESCRIBE")}
                acls.add(_allow("GROUP", consumer.group, consumer.principal, "READ"))
        if topic.lifecycle != "deleted":
            acls |= workers.get(topic.name, set())
        result.append(
            DesiredTopic(
                name=topic.name,
                partitions=settings.partitions,
                replication_factor=settings.replication_factor,
                config={
                    key: catalogue.normalise(key, value) for key, value in sorted(settings.config.items())
                },
                keyed=topic.key != "none",
                deleted=topic.lifecycle == "deleted",
                acls=frozenset(acls),
                deletion_approved=deletion_approved(topic),
                origins=settings.origins,
                config_origins=settings.config_origins,
            )
        )
    return sorted(result, key=lambda t: t.name)


def _worker_acls(bus: Bus, cluster: str | None) -> dict[str, set[AclBinding]]:
    """By topic, what the Connect workers' principal (bus.yaml clusters.NAME.connect.principal) needs
    on `cluster` for the live connectors placed there: a sink reads its topics with its group, a source
    writes its topics."""
    settings = bus.config.clusters[cluster].connect if cluster in bus.config.clusters else None
    if cluster is None or settings is None or settings.principal is None:
        return {}
    principal = settings.principal
    needed: dict[str, set[AclBinding]] = {}
    for decl in placed_connectors(bus, cluster, live=True):
        connector = decl.connector
        for topic in connector.topics:
            wanted = needed.setdefault(topic, set())
            if connector.type == "sink":
                wanted |= {_allow("TOPIC", topic, principal, op) for op in ("READ", "DESCRIBE")}
                wanted.add(_allow("GROUP", sink_group(connector), principal, "READ"))
            else:
                wanted |= {_allow("TOPIC", topic, principal, op) for op in ("WRITE", "DESCRIBE")}
    return needed


def declared_groups(bus: Bus, cluster: str | None = None) -> set[str]:
    """Consumer groups declared by the topics placed on `cluster` (None: by any topic), and the groups of
    the sink connectors placed there (tombstones aside)."""
    groups = {consumer.group for decl in placed(bus, cluster) for consumer in decl.topic.consumers}
    sinks = [d.connector for d in placed_connectors(bus, cluster, live=True) if d.connector.type == "sink"]
    return groups | {sink_group(c) for c in sinks}


def desired_digest(topics: list[DesiredTopic], groups: set[str]) -> str:
    """A digest of the desired state the diff reads (not descriptions or other prose): a saved plan
    records it, so applying it with other declarations is refused."""
    document = {
        "topics": [_digested(t) for t in topics],
        "groups": sorted(groups),
    }
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()[:16]


_DIGESTED = [f.name for f in fields(DesiredTopic) if f.compare]
_ACL_FIELDS = operator.attrgetter(*(f.name for f in fields(AclBinding)))  # astuple, without its deep copy


def _digested(topic: DesiredTopic) -> dict[str, object]:
    """What of a desired topic the diff reads (not where its values come from)."""
    document: dict[str, object] = {name: getattr(topic, name) for name in _DIGESTED}
    document["acls"] = sorted(_ACL_FIELDS(a) for a in topic.acls)
    return document
