"""The loaded bus: configuration, teams and topic declarations, each with its source positions."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from busctl.core.model import BusConfig, Team, Topic
from busctl.core.source import SourceMap


@dataclass(frozen=True)
class TopicDecl:
    """A topic as declared in one file."""

    topic: Topic
    file: str
    source: SourceMap


@dataclass
class Bus:
    """Everything a bus repo declares."""

    root: Path
    config: BusConfig
    config_source: SourceMap
    teams: dict[str, Team]
    teams_source: SourceMap
    topics: list[TopicDecl] = field(default_factory=list)
    teams_ok: bool = True  # False when teams.yaml is missing or invalid: team checks would only echo that
    files: list[str] = field(default_factory=list)  # every YAML file read, repo-relative

    def topic(self, name: str) -> TopicDecl | None:
        """The first declaration of topic `name`, or None."""
        return next((decl for decl in self.topics if decl.topic.name == name), None)


@dataclass(frozen=True)
class Effective:
    """A topic's settings once bus.yaml defaults (and optionally a cluster's overrides) are applied."""

    partitions: int
    replication_factor: int
    config: dict[str, object]


def effective(bus_config: BusConfig, topic: Topic, cluster: str | None = None) -> Effective:
    """Declared values win over defaults; a cluster's overrides win over both."""
    defaults = bus_config.defaults
    partitions = topic.partitions if topic.partitions is not None else defaults.partitions
    replication = (
        topic.replication_factor if topic.replication_factor is not None else defaults.replication_factor
    )
    config: dict[str, object] = {**defaults.config, **topic.config}
    if cluster is not None and cluster in bus_config.clusters:
        overrides = bus_config.clusters[cluster].overrides
        partitions = overrides.partitions or partitions
        replication = overrides.replication_factor or replication
        config.update(overrides.config)
    return Effective(partitions=partitions, replication_factor=replication, config=config)
