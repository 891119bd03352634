"""The loaded bus: configuration, teams and topic declarations, each with its source positions."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

from busctl.core.diagnostics import Span
from busctl.core.model import BusConfig, Team, Topic
from busctl.core.source import SourceMap


@dataclass(frozen=True)
class TopicDecl:
    """A topic as declared in one file."""

    topic: Topic
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
    teams_ok: bool = True  # False when teams.yaml is missing or invalid: team checks would only echo that
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
