"""The loaded bus: configuration, teams, topic and connector declarations, each with its source positions."""

from __future__ import annotations

import fnmatch
import functools
import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from busctl.core.diagnostics import Span
from busctl.core.model import BusConfig, Cluster, ClusterValues, Connector, Defaults, Team, Topic
from busctl.core.source import SourceMap

TOMBSTONE_RULE = "BUS515"  # the check rule a tombstone's file approves: that approval lets apply delete it
CONNECTOR_TOMBSTONE_RULE = "BUS520"  # the same for a connector's tombstone


def deletion_approved(topic: Topic) -> bool:
    """Whether the topic is a tombstone whose file approves its deletion (`approvals: [{rule: BUS515}]`,
    which `busctl check` asks for in the change that tombstones it)."""
    return topic.lifecycle == "deleted" and any(a.rule == TOMBSTONE_RULE for a in topic.approvals)


@dataclass(frozen=True)
class TopicDecl:
    """A topic as declared in one file."""

    topic: Topic
    file: str
    source: SourceMap


def connector_deletion_approved(connector: Connector) -> bool:
    """Whether the connector is a tombstone whose file approves its deletion (rule BUS520)."""
    return connector.lifecycle == "deleted" and any(
        a.rule == CONNECTOR_TOMBSTONE_RULE for a in connector.approvals
    )


@dataclass(frozen=True)
class ConnectorDecl:
    """A connector as declared in one file."""

    connector: Connector
    file: str
    source: SourceMap


@dataclass(frozen=True)
class SchemaClaim:
    """A team's claim (teams.yaml `schemas:`) on a directory of the schema module."""

    team: str
    directory: str  # relative to the schema root, e.g. "acme/billing"; "" is the whole module
    span: Span


@dataclass
class Bus:
    """Everything a bus repo declares."""

    root: Path
    config: BusConfig
    config_source: SourceMap
    teams: dict[str, Team]
    teams_source: SourceMap
    topics: list[TopicDecl] = field(default_factory=list)
    connectors: list[ConnectorDecl] = field(default_factory=list)
    teams_ok: bool = True  # False when teams.yaml is missing or invalid: team checks would only echo that
    config_ok: bool = True  # False when bus.yaml is invalid: `config` holds the defaults, not its settings
    files: list[str] = field(default_factory=list)  # every YAML file read, repo-relative
    schemas_ok: bool = True  # False when the schema tree holds what no tool may read (pipes, loops...)

    def topic(self, name: str) -> TopicDecl | None:
        """The first declaration of topic `name`, or None."""
        return self.topics_by_name.get(name)

    @functools.cached_property
    def topics_by_name(self) -> dict[str, TopicDecl]:
        """The first declaration of each topic name."""
        index: dict[str, TopicDecl] = {}
        for decl in self.topics:
            index.setdefault(decl.topic.name, decl)
        return index

    @functools.cached_property
    def connectors_by_name(self) -> dict[str, ConnectorDecl]:
        """The first declaration of each connector name."""
        index: dict[str, ConnectorDecl] = {}
        for decl in self.connectors:
            index.setdefault(decl.connector.name, decl)
        return index

    @functools.cached_property
    def topics_by_message(self) -> dict[str, list[TopicDecl]]:
        """Topics by the message they carry, as value schema or as key."""
        index: dict[str, list[TopicDecl]] = {}
        for decl in self.topics:
            for fqn in dict.fromkeys((decl.topic.schema_, decl.topic.key)):
                index.setdefault(fqn, []).append(decl)
        return index

    @functools.cached_property
    def schema_claims(self) -> list[SchemaClaim]:
        """Every (team, directory) claim in teams.yaml, in file order."""
        return [
            SchemaClaim(team, directory.strip("/"), self.teams_source.at("teams", team, "schemas", index))
            for team, info in self.teams.items()
            for index, directory in enumerate(info.schemas)
        ]

    @functools.cached_property
    def claims_by_directory(self) -> dict[str, SchemaClaim]:
        """The first claim on each directory."""
        index: dict[str, SchemaClaim] = {}
        for claim in self.schema_claims:
            index.setdefault(claim.directory, claim)
        return index


class Source(StrEnum):
    """Where a topic's value on a cluster comes from, most specific first (the first that sets it wins)."""

    PER_CLUSTER = "per-cluster"  # the topic's per_cluster entry for the cluster
    CLUSTER_OVERRIDE = "cluster-override"  # bus.yaml clusters.<name>.overrides
    DECLARED = "declared"  # the topic's own value
    BUS_DEFAULT = "bus-default"  # bus.yaml defaults
    CATALOGUE_DEFAULT = "catalogue-default"  # nobody sets it: Kafka's default


@dataclass(frozen=True)
class Origin:
    """Where one value was set: its source and, for per-cluster values and overrides, which entry."""

    source: Source
    entry: str = ""  # PER_CLUSTER: the per_cluster key; CLUSTER_OVERRIDE: the cluster's name

    def describe(self) -> str:
        """Where to look, in words: `per_cluster.staging`, `clusters.local.overrides`, ..."""
        return {
            Source.PER_CLUSTER: f"per_cluster.{self.entry}",
            Source.CLUSTER_OVERRIDE: f"bus.yaml clusters.{self.entry}.overrides",
            Source.DECLARED: "the topic",
            Source.BUS_DEFAULT: "bus.yaml defaults",
            Source.CATALOGUE_DEFAULT: "Kafka's default",
        }[self.source]


@dataclass(frozen=True)
class Effective:
    """A topic's settings once bus.yaml defaults (and optionally one cluster's values) are applied, with
    where each came from."""

    partitions: int
    replication_factor: int
    config: dict[str, object]
    origins: dict[str, Origin]  # "partitions" and "replication_factor"
    config_origins: dict[str, Origin]


def matches(selector: str, name: str, cluster: Cluster) -> bool:
    """Whether a placement selector picks the cluster: `key=value` one of its labels, else its name or
    a glob of it."""
    if "=" in selector:
        key, value = selector.split("=", 1)
        return cluster.labels.get(key) == value
    return fnmatch.fnmatchcase(name, selector)


def selected(bus_config: BusConfig, selector: str) -> list[str]:
    """The clusters of bus.yaml a selector picks, in bus.yaml order."""
    return [name for name, cluster in bus_config.clusters.items() if matches(selector, name, cluster)]


def placement(bus_config: BusConfig, topic: Topic) -> list[str]:
    """The clusters the topic lives on, in bus.yaml order: those its placement selects, else all."""
    if topic.placement is None:
        return list(bus_config.clusters)
    return [
        name
        for name, cluster in bus_config.clusters.items()
        if any(matches(selector, name, cluster) for selector in topic.placement)
    ]


def connector_placement(bus_config: BusConfig, connector: Connector) -> list[str]:
    """The clusters a connector runs on, in bus.yaml order: those its placement selects, else every
    cluster with a Connect cluster."""
    if connector.placement is None:
        return [name for name, cluster in bus_config.clusters.items() if cluster.connect is not None]
    return [
        name
        for name, cluster in bus_config.clusters.items()
        if any(matches(selector, name, cluster) for selector in connector.placement)
    ]


def is_placed(bus_config: BusConfig, topic: Topic, cluster: str) -> bool:
    """Whether the topic lives on `cluster` (a cluster of bus.yaml)."""
    known = bus_config.clusters.get(cluster)
    if known is None:
        return False
    return topic.placement is None or any(matches(s, cluster, known) for s in topic.placement)


def per_cluster_entries(bus_config: BusConfig, topic: Topic, cluster: str) -> list[tuple[str, ClusterValues]]:
    """The topic's per_cluster entries that select `cluster`, in file order."""
    known = bus_config.clusters.get(cluster)
    if known is None:
        return []
    return [(key, values) for key, values in topic.per_cluster.items() if matches(key, cluster, known)]


def effective(bus_config: BusConfig, topic: Topic, cluster: str | None = None) -> Effective:
    """A topic's values, each from the most specific layer that sets it: on a cluster, the topic's
    per_cluster entries for it, then the cluster's overrides; then the topic's own value; then bus.yaml
    defaults. Per-cluster entries that set the same key differently are a lint error (BUS120); the last
    one wins here.

    Lint rules and the desired state ask for the same topics' values several times: answers are kept
    for the (frozen) configuration and topic objects asked about, while those objects live."""
    key = (id(bus_config), id(topic), cluster)
    known = _EFFECTIVE.get(key)
    if known is not None and known[0] is bus_config and known[1] is topic:
        return known[2]
    if len(_EFFECTIVE) >= _EFFECTIVE_MAX:
        _EFFECTIVE.clear()
    result = _effective(bus_config, topic, cluster)
    _EFFECTIVE[key] = (bus_config, topic, result)
    return result


_EFFECTIVE: dict[tuple[int, int, str | None], tuple[BusConfig, Topic, Effective]] = {}
_EFFECTIVE_MAX = 200_000


def _effective(bus_config: BusConfig, topic: Topic, cluster: str | None) -> Effective:
    layers: list[tuple[Origin, ClusterValues | Topic | Defaults]] = [
        (Origin(Source.BUS_DEFAULT), bus_config.defaults),
        (Origin(Source.DECLARED), topic),
    ]
    if cluster is not None and cluster in bus_config.clusters:
        layers.append((Origin(Source.CLUSTER_OVERRIDE, cluster), bus_config.clusters[cluster].overrides))
        entries = per_cluster_entries(bus_config, topic, cluster)
        layers += [(Origin(Source.PER_CLUSTER, key), values) for key, values in entries]
    partitions, replication = bus_config.defaults.partitions, bus_config.defaults.replication_factor
    config: dict[str, object] = {}
    origins = dict.fromkeys(("partitions", "replication_factor"), Origin(Source.BUS_DEFAULT))
    config_origins: dict[str, Origin] = {}
    for origin, layer in layers:  # later layers win
        if layer.partitions is not None:
            partitions, origins["partitions"] = layer.partitions, origin
        if layer.replication_factor is not None:
            replication, origins["replication_factor"] = layer.replication_factor, origin
        for key, value in layer.config.items():
            config[key], config_origins[key] = value, origin
    return Effective(partitions, replication, config, origins, config_origins)


def min_insync_problem(settings: Effective) -> tuple[str, str] | None:
    """(message, hint) when min.insync.replicas makes writes fail or one broker outage stop them."""
    raw = settings.config.get("min.insync.replicas")
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        return None
    if not re.fullmatch(r"[0-9]{1,19}", str(raw).strip()):
        return None  # not a number Kafka could hold: BUS402's finding
    wanted, factor = int(raw), settings.replication_factor
    if wanted > factor:
        return (
            f"min.insync.replicas {wanted} exceeds the replication factor {factor}: every acks=all write "
            "fails",
            f"use min.insync.replicas: {max(1, factor - 1)}",
        )
    if wanted == factor and factor > 1:
        return (
            f"min.insync.replicas {wanted} is not below the replication factor {factor}: one broker down "
            "stops writes",
            f"use min.insync.replicas: {factor - 1}",
        )
    return None
