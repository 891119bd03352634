"""Observed cluster state: what busctl read from a cluster, as plain values (the input of the diff)."""

from __future__ import annotations

import fnmatch
import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

DYNAMIC_TOPIC_CONFIG = "DYNAMIC_TOPIC_CONFIG"


@dataclass(frozen=True, order=True)
class AclBinding:
    """One ACL entry (Kafka's resource pattern + access control entry)."""

    resource_type: str  # TOPIC | GROUP
    resource_name: str
    pattern_type: str  # LITERAL | PREFIXED
    principal: str
    host: str
    operation: str  # READ | WRITE | DESCRIBE | ...
    permission: str  # ALLOW | DENY

    def describe(self) -> str:
        return f"{self.principal}  {self.operation}  {self.resource_type.lower()} {self.resource_name}"


@dataclass(frozen=True)
class ConfigValue:
    """A topic config as the broker reports it: value and where it comes from."""

    value: str | None
    source: str  # DYNAMIC_TOPIC_CONFIG, DEFAULT_CONFIG, STATIC_BROKER_CONFIG, ...
    read_only: bool = False
    sensitive: bool = False


@dataclass(frozen=True)
class TopicState:
    """A topic in the cluster: partition count, replica placement and configs."""

    name: str
    replicas: tuple[tuple[int, ...], ...]  # per partition, in partition order
    configs: dict[str, ConfigValue] = field(default_factory=dict)

    @property
    def partitions(self) -> int:
        return len(self.replicas)

    @property
    def replication_factor(self) -> int:
        return min((len(r) for r in self.replicas), default=0)


@dataclass(frozen=True)
class ClusterState:
    """Everything read from one cluster. `acls` is None when the cluster has no authorizer."""

    cluster_id: str
    brokers: tuple[int, ...]
    topics: dict[str, TopicState]
    acls: tuple[AclBinding, ...] | None

    def fingerprint(self, topic_filter: str | None = None) -> str:
        """A hash of the state of the topics matching the glob (all when None) and of their ACLs."""
        names = sorted(n for n in self.topics if topic_filter is None or fnmatch.fnmatchcase(n, topic_filter))
        topics = set(names)
        document = {
            "cluster_id": self.cluster_id,
            "topics": {
                name: {
                    "replicas": [list(r) for r in self.topics[name].replicas],
                    "configs": {
                        k: v.value
                        for k, v in sorted(self.topics[name].configs.items())
                        if v.source == DYNAMIC_TOPIC_CONFIG
                    },
                }
                for name in names
            },
            "acls": None
            if self.acls is None
            else [asdict(a) for a in sorted(self.acls) if topics is None or _touches(a, topics)],
        }
        return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()[:16]


def _touches(acl: AclBinding, topics: set[str]) -> bool:
    return acl.resource_type != "TOPIC" or acl.resource_name in topics


def state_from_dict(document: dict[str, Any]) -> ClusterState:
    """A ClusterState from its JSON form (recorded cluster states of the golden plan tests)."""
    topics = {
        name: TopicState(
            name=name,
            replicas=tuple(tuple(r) for r in t["replicas"]),
            configs={k: ConfigValue(**v) for k, v in t.get("configs", {}).items()},
        )
        for name, t in document["topics"].items()
    }
    acls = document.get("acls")
    return ClusterState(
        cluster_id=document["cluster_id"],
        brokers=tuple(document["brokers"]),
        topics=topics,
        acls=None if acls is None else tuple(AclBinding(**a) for a in acls),
    )
