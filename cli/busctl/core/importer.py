"""Import: declarations for topics that exist in a cluster but not in the bus, such that a plan made
right after the import shows no changes for them. Pure: state in, file contents (as data) out.

Fleets: a topic seen on one cluster of several is placed on that cluster only (`placement:`), so
plans for the others neither create nor change it. Values the cluster's defaults and overrides
explain are not written; a value that differs is written at the topic's level, or, where a cluster
override would win over that, under `per_cluster: {<cluster>: ...}`. Rules a topic breaks as it is
(a legacy name, a size outside the policy) get an exemption saying it was imported as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from busctl.core.bus import Bus, Effective, Source, effective, min_insync_problem
from busctl.core.diagnostics import BusctlError
from busctl.core.diff import is_protected
from busctl.core.lock import LOCK_TOPIC
from busctl.core.model import MAX_SELECTOR, SELECTOR_PATTERN, Topic
from busctl.core.state import DYNAMIC_TOPIC_CONFIG, AclBinding, ClusterState, TopicState
from busctl.core.topic_configs import Catalogue, ConfigValueError

PLACEHOLDER_OWNER = "TODO-owner"
PLACEHOLDER_SCHEMA = "TODO.package.v1.Message"
IMPORTED_DIR = "_imported"  # topics/_imported/: topics no team's name prefix claims


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
    paths: set[str] = set()  # taken in this import, lowercased: no two files differ by case only
    for name, observed in sorted(state.topics.items()):
        if name in declared:
            result.skipped.append(Skipped(name, "declared", declared[name]))
        elif name == LOCK_TOPIC:
            result.skipped.append(Skipped(name, "apply-lock"))
        elif is_protected(name, bus.config.policy.protected_topics):
            result.skipped.append(Skipped(name, "protected"))
        else:
            item = _declaration(bus, name, observed, state.acls or (), catalogue, cluster)
            item.path = _unique(item.path, paths)
            result.imported.append(item)
    return result


def selector_of(cluster: str) -> str:
    """The placement selector naming exactly `cluster`: its name, glob characters escaped
    (`prod[1]` -> `prod[[]1]`). A name no selector can hold (a space, an "=") is an error."""
    escaped = re.sub(r"([*?\[])", r"[\1]", cluster)
    if "=" in cluster or not re.fullmatch(SELECTOR_PATTERN, escaped) or len(escaped) > MAX_SELECTOR:
        raise BusctlError(
            f'cluster "{cluster}" cannot be named in a topic file\'s placement: or per_cluster:',
            "rename it in bus.yaml to letters, digits and -_. (e.g. prod-eu)",
        )
    return escaped


def topic_path(name: str, owner: str | None) -> str:
    """Where the file of an imported topic goes, as the repo lays files out: topics/<owner>/<event>.yaml,
    the event being the name without its "<owner>." prefix and a ".v1" suffix (".vN" -> "-vN").
    Characters a file name should not carry become "_"; a leading "." or "-" is dropped."""
    stem = name.removeprefix(f"{owner}.") if owner else name
    stem = re.sub(r"\.v1$", "", stem)
    stem = re.sub(r"\.v([0-9]+)$", r"-v\1", stem)
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", stem).lstrip(".-")[:200] or "topic"
    return f"topics/{owner or IMPORTED_DIR}/{stem}.yaml"


def _unique(path: str, taken: set[str]) -> str:
    """`path`, or `<stem>-2.yaml`, `-3`, ... when an earlier import took it (compared lowercased)."""
    stem, candidate, number = path.removesuffix(".yaml"), path, 1
    while candidate.lower() in taken:
        number += 1
        candidate = f"{stem}-{number}.yaml"
    taken.add(candidate.lower())
    return candidate


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
        "description": f"Imported from cluster {cluster} by busctl import: describe {name}.",
        "schema": PLACEHOLDER_SCHEMA,
    }
    if len(bus.config.clusters) > 1:  # seen on this cluster: plans for the others leave it alone
        document["placement"] = [selector_of(cluster)]
    draft = Topic.model_validate(document)
    known = effective(bus.config, draft, cluster)  # what the defaults and overrides give it there
    own: dict[str, Any] = {}  # the topic's own values, where they win on this cluster
    specific: dict[str, Any] = {}  # where the cluster's override would win over the topic's value
    for key, value in (
        ("partitions", observed.partitions),
        ("replication_factor", observed.replication_factor),
    ):
        if value != getattr(known, key):
            target = specific if known.origins[key].source is Source.CLUSTER_OVERRIDE else own
            target[key] = value
    config, specific_config = _config(observed, known, catalogue)
    if config:
        own["config"] = config
    if specific_config:
        specific["config"] = specific_config
    document.update(own)
    if specific:
        document["per_cluster"] = {selector_of(cluster): specific}
    producers, consumers = _access(name, acls)
    if producers:
        document["producers"] = producers
    if consumers:
        document["consumers"] = consumers
    exemptions = _as_it_is(bus, Topic.model_validate(document), [own, specific], cluster)
    if exemptions:
        document["exemptions"] = exemptions
    return Imported(name, topic_path(name, owner), document, todo)


def _config(
    observed: TopicState, known: Effective, catalogue: Catalogue
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The observed configs the cluster's defaults and overrides do not explain: set on the topic
    (else plan would remove them) or differing from what bus.yaml gives the topic there. Split into
    those the topic's own `config:` can set and those a cluster override would win over."""
    keys = {k for k, v in observed.configs.items() if v.source == DYNAMIC_TOPIC_CONFIG and not v.read_only}
    keys |= set(known.config) & {k for k, v in observed.configs.items() if not v.read_only}
    own: dict[str, Any] = {}
    specific: dict[str, Any] = {}
    for key in sorted(keys):
        value = observed.configs[key].value
        if value is None or (key in known.config and _same(catalogue, key, known.config[key], value)):
            continue
        origin = known.config_origins.get(key)
        target = specific if origin is not None and origin.source is Source.CLUSTER_OVERRIDE else own
        target[key] = _human(catalogue, key, value)
    return own, specific


def _same(catalogue: Catalogue, key: str, declared: object, observed: str) -> bool:
    """Whether a value of bus.yaml is the observed one (both in Kafka's units); when in doubt, not."""
    try:
        return catalogue.normalise(key, declared) == catalogue.normalise(key, observed)
    except ConfigValueError:
        return False


def _as_it_is(bus: Bus, topic: Topic, values: list[dict[str, Any]], cluster: str) -> list[dict[str, str]]:
    """Exemptions from the policy rules the topic breaks as it is in the cluster: its name (BUS101;
    BUS102 cannot apply, the owner is taken from the name), the sizes written (BUS106, BUS107) and
    a min.insync.replicas writes cannot meet (BUS108)."""
    policy = bus.config.policy
    broken = []
    try:
        if not re.fullmatch(policy.topic_name, topic.name):
            broken.append("BUS101")
    except re.error:  # BUS100 reports the regex
        pass
    partitions = [v["partitions"] for v in values if "partitions" in v]
    if any(not policy.min_partitions <= count <= policy.max_partitions for count in partitions):
        broken.append("BUS106")
    replication = [v["replication_factor"] for v in values if "replication_factor" in v]
    if any(count < policy.min_replication_factor for count in replication):
        broken.append("BUS107")
    if any(min_insync_problem(effective(bus.config, topic, where)) for where in (None, cluster)):
        broken.append("BUS108")
    reason = f"imported from cluster {cluster} by busctl import as it is"
    return [{"rule": rule, "reason": reason} for rule in broken]


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
