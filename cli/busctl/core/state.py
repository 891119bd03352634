"""Observed cluster state: what busctl read from a cluster, as plain values (the input of the diff)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection
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
    """A topic in the cluster: partition count, replica placement, in-sync replicas and configs.

    `isrs` and `leaders` are per partition like `replicas` (empty when not recorded); a leader of -1
    means the partition is offline.
    """

    name: str
    replicas: tuple[tuple[int, ...], ...]  # per partition, in partition order
    configs: dict[str, ConfigValue] = field(default_factory=dict)
    isrs: tuple[tuple[int, ...], ...] = ()
    leaders: tuple[int, ...] = ()

    @property
    def partitions(self) -> int:
        return len(self.replicas)

    @property
    def replication_factor(self) -> int:
        return min((len(r) for r in self.replicas), default=0)

    @property
    def offline_partitions(self) -> int:
        return sum(leader < 0 for leader in self.leaders)

    @property
    def under_replicated_partitions(self) -> int:
        return sum(len(isr) < len(replicas) for isr, replicas in zip(self.isrs, self.replicas, strict=False))


@dataclass(frozen=True)
class ClusterState:
    """Everything read from one cluster. `acls` is None when the cluster has no authorizer.

    `brokers` are the live brokers; `invisible` are declared topics the principal may not DESCRIBE, so
    whether they exist is unknown (Kafka answers TOPIC_AUTHORIZATION_FAILED either way).
    """

    cluster_id: str
    brokers: tuple[int, ...]
    topics: dict[str, TopicState]
    acls: tuple[AclBinding, ...] | None
    invisible: tuple[str, ...] = ()

    def unlisted(self, declared: Collection[str]) -> list[str]:
        """The declared topics this state says nothing of (neither read nor invisible), sorted."""
        return sorted(set(declared) - self.topics.keys() - set(self.invisible))

    @property
    def offline_brokers(self) -> tuple[int, ...]:
        """Brokers that hold replicas but are not live (down, or fenced by the controller)."""
        live = set(self.brokers)
        known = {b for t in self.topics.values() for replicas in t.replicas for b in replicas}
        return tuple(sorted(known - live))

    def fingerprint(self, selected: Callable[[str], bool] = lambda _: True) -> str:
        """A digest of everything the diff reads, for the selected topics: live and offline brokers,
        topics the principal cannot see, every topic's replicas, partition health and effective configs
        from every source (value and source), and the ACLs on them.

        It is the SHA-256 of the sorted-keys JSON document {"acls", "brokers", "cluster_id", "invisible",
        "offline_brokers", "topics": {name: {"configs": {key: [value, source]}, "offline", "replicas",
        "under_replicated"}}}, written a topic at a time: thousands of topics share a few hundred
        ConfigValues, and each is encoded once."""
        names = sorted(n for n in self.topics if selected(n))
        topics = set(names)
        head = {
            "cluster_id": self.cluster_id,
            "brokers": list(self.brokers),
            "offline_brokers": list(self.offline_brokers),
            "invisible": sorted(self.invisible),
            "acls": None
            if self.acls is None
            else [asdict(a) for a in sorted(self.acls) if _touches(a, topics)],
        }
        encode = json.JSONEncoder(sort_keys=True).encode
        # by identity: readers share one ConfigValue among equal configs (hashing 370,000 would cost more)
        pairs: dict[tuple[str, int], str] = {}
        replicas: dict[tuple[tuple[int, ...], ...], str] = {}

        def pair(key: str, value: ConfigValue) -> str:
            text = pairs[key, id(value)] = f"{encode(key)}: {encode([value.value, value.source])}"
            return text

        digest = hashlib.sha256(encode(head)[:-1].encode())  # "topics" sorts after every key of head
        digest.update(b', "topics": {')
        for index, name in enumerate(names):
            topic = self.topics[name]
            placed = replicas.get(topic.replicas)
            if placed is None:
                placed = replicas[topic.replicas] = encode([list(r) for r in topic.replicas])
            items = sorted(topic.configs.items())
            configs = ", ".join([pairs.get((k, id(v))) or pair(k, v) for k, v in items])
            digest.update(
                f'{", " if index else ""}{encode(name)}: {{"configs": {{{configs}}}, '
                f'"offline": {topic.offline_partitions}, "replicas": {placed}, '
                f'"under_replicated": {topic.under_replicated_partitions}}}'.encode()
            )
        digest.update(b"}}")
        return digest.hexdigest()[:16]


def _touches(acl: AclBinding, topics: set[str]) -> bool:
    return acl.resource_type != "TOPIC" or acl.resource_name in topics


def state_to_dict(state: ClusterState) -> dict[str, Any]:
    """A ClusterState's JSON form (what `plan --save-state` records and busctl.reports.state reads back)."""
    document = asdict(state)
    for topic in document["topics"].values():
        del topic["name"]
    return document
