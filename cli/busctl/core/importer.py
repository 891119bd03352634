"""Import: declarations for topics that exist in a cluster but not in the bus, such that a plan made
right after the import shows no changes for them. Pure: state in, file contents (as data) out."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from busctl.core.bus import Bus
from busctl.core.diff import is_protected
from busctl.core.lock import LOCK_TOPIC
from busctl.core.state import DYNAMIC_TOPIC_CONFIG, AclBinding, ClusterState, TopicState
from busctl.core.topic_configs import Catalogue

PLACEHOLDER_OWNER = "TODO-owner"
PLACEHOLDER_SCHEMA = "TODO.package.v1.Message"


@dataclass
class Imported:
    """One topic file to write, and what the user must still fill in."""

    topic: str
    path: str
    document: dict[str, Any]
    todo: list[str] = field(default_factory=list)


def owner_for(bus: Bus, name: str) -> str | None:
    """The team a topic name belongs to: policy.topic_name's `team` group, else the first name segment."""
    try:
        match = re.fullmatch(bus.config.policy.topic_name, name)
    except re.error:
        match = None
    candidate = match.group("team") if match and "team" in match.re.groupindex else name.split(".")[0]
    return candidate if candidate in bus.teams else None


SkipReason = Literal["declared", "protected", "apply-lock"]


@dataclass(frozen=True)
class Skipped:
    """A topic of the cluster that gets no file, and why: declared already (in `file`), matched by
    policy.protected_topics, or busctl's own apply lock."""

    topic: str
    reason: SkipReason
    file: str | None = None


@dataclass
class Import:
    """What import makes of a cluster's topics: declarations to write, and the topics skipped."""

    imported: list[Imported]
    skipped: list[Skipped]


def import_topics(bus: Bus, state: ClusterState, cluster: str, catalogue: Catalogue) -> Import:
    """A declaration for every undeclared, unprotected topic of the cluster; every other topic skipped."""
    declared = {d.topic.name: d.file for d in bus.topics}
    result = Import([], [])
    for name, observed in sorted(state.topics.items()):
        if name in declared:
            result.skipped.append(Skipped(name, "declared", declared[name]))
        elif name == LOCK_TOPIC:
            result.skipped.append(Skipped(name, "apply-lock"))
        elif is_protected(name, bus.config.policy.protected_topics):
            result.skipped.append(Skipped(name, "protected"))
        else:
            result.imported.append(_declaration(bus, name, observed, state.acls or (), catalogue, cluster))
    return result


def _declaration(
    bus: Bus,
    name: str,
    observed: TopicState,
    acls: tuple[AclBinding, ...],
    catalogue: Catalogue,
    cluster: str,
) -> Imported:
    owner = owner_for(bus, name)
    todo = [] if owner else [f"owner: no team matches the name {name}; set owner to a team in teams.yaml"]
    todo.append("schema: name the protobuf message this topic carries")
    document: dict[str, Any] = {
        "name": name,
        "owner": owner or PLACEHOLDER_OWNER,
        "description": f"Imported from the cluster by busctl import: describe {name}.",
        "schema": PLACEHOLDER_SCHEMA,
    }
    # declare sizes only where the defaults (or this cluster's overrides) would not give them anyway
    defaults, overrides = bus.config.defaults, bus.config.clusters[cluster].overrides
    if overrides.partitions is None and observed.partitions != defaults.partitions:
        document["partitions"] = observed.partitions
    if overrides.replication_factor is None and observed.replication_factor != defaults.replication_factor:
        document["replication_factor"] = observed.replication_factor
    config = _config(bus, observed, catalogue)
    if config:
        document["config"] = config
    producers, consumers = _access(name, acls)
    if producers:
        document["producers"] = producers
    if consumers:
        document["consumers"] = consumers
    return Imported(name, f"topics/{owner or '_imported'}/{name}.yaml", document, todo)


def _config(bus: Bus, observed: TopicState, catalogue: Catalogue) -> dict[str, Any]:
    """Overrides set on the topic, plus bus.yaml defaults' keys at their observed values (else the
    defaults would be planned as changes)."""
    keys = {k for k, v in observed.configs.items() if v.source == DYNAMIC_TOPIC_CONFIG and not v.read_only}
    keys |= set(bus.config.defaults.config) & set(observed.configs)
    config: dict[str, Any] = {}
    for key in sorted(keys):
        value = observed.configs[key].value
        if value is not None:
            config[key] = _human(catalogue, key, value)
    return config


def _human(catalogue: Catalogue, key: str, value: str) -> Any:
    """How a topic file writes an observed value: "7d", "512MiB", a number, or the string itself."""
    human = catalogue.human(key, value)
    if human is not None:
        return human
    return int(value) if catalogue.spec(key) is not None and re.fullmatch(r"-?\d+", value) else value


def _access(topic: str, acls: tuple[AclBinding, ...]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Producers (WRITE) and consumers (READ on the topic and on exactly one group) from ACLs."""
    on_topic = [
        a
        for a in acls
        if a.resource_type == "TOPIC"
        and a.resource_name == topic
        and a.pattern_type == "LITERAL"
        and a.permission == "ALLOW"
    ]
    producers = sorted({a.principal for a in on_topic if a.operation == "WRITE"})
    consumers = []
    for principal in sorted({a.principal for a in on_topic if a.operation == "READ"}):
        groups = sorted(
            a.resource_name
            for a in acls
            if a.resource_type == "GROUP"
            and a.principal == principal
            and a.operation == "READ"
            and a.pattern_type == "LITERAL"
            and a.permission == "ALLOW"
        )
        if len(groups) == 1:
            consumers.append({"group": groups[0], "principal": principal})
    return [{"principal": p} for p in producers], consumers
