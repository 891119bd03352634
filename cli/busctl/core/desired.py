"""Desired state: the declarations with defaults and a cluster's overrides applied, configs normalised."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, astuple, dataclass

from busctl.core.bus import Bus, effective
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
    schema_problem: str = ""  # the first lint error of its schema (compiled): it is not created then


def _allow(resource_type: str, name: str, principal: str, operation: str) -> AclBinding:
    return AclBinding(resource_type, name, "LITERAL", principal, "*", operation, "ALLOW")


def desired_topics(bus: Bus, cluster: str, catalogue: Catalogue) -> list[DesiredTopic]:
    """Every declared topic as it should be on `cluster` (configs in Kafka's units), sorted by name."""
    result = []
    for decl in bus.topics:
        topic = decl.topic
        settings = effective(bus.config, topic, cluster)
        acls = set()
        for producer in topic.producers:
            acls |= {_allow("TOPIC", topic.name, producer.principal, op) for op in ("WRITE", "DESCRIBE")}
        for consumer in topic.consumers:
            if consumer.principal:
                acls |= {_allow("TOPIC", topic.name, consumer.principal, op) for op in ("READ", "DESCRIBE")}
                acls.add(_allow("GROUP", consumer.group, consumer.principal, "READ"))
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
            )
        )
    return sorted(result, key=lambda t: t.name)


def declared_groups(bus: Bus) -> set[str]:
    """Consumer groups declared by any topic."""
    return {consumer.group for decl in bus.topics for consumer in decl.topic.consumers}


def desired_digest(topics: list[DesiredTopic], groups: set[str]) -> str:
    """A digest of the desired state the diff reads (not descriptions or other prose): a saved plan
    records it, so applying it with other declarations is refused."""
    document = {
        "topics": [{**asdict(t), "acls": sorted(astuple(a) for a in t.acls)} for t in topics],
        "groups": sorted(groups),
    }
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()[:16]
