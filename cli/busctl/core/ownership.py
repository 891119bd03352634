"""Who owns what: topics by their `owner`, schema files by teams.yaml `schemas:` directories,
consumer groups and principals by the entries that declare them.

Every answer carries its provenance (the declaration that decided it), because "why is this mine?"
is the first question anyone asks.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from busctl.core.bus import Bus, ConnectorDecl, SchemaClaim, TopicDecl, effective, placement
from busctl.core.connectors import sink_group
from busctl.core.diagnostics import did_you_mean
from busctl.core.schemas import SchemaSet
from busctl.core.topic_configs import Catalogue, ConfigValueError, load_catalogue

BUS_FILES = ("bus.yaml", "teams.yaml")


def schema_owner(bus: Bus, proto_path: str) -> SchemaClaim | None:
    """The claim covering a repo-relative .proto path: the most specific claimed directory wins."""
    root = bus.config.schemas.root.strip("/") + "/"
    if not proto_path.startswith(root):
        return None
    directory = proto_path[len(root) :]
    while True:  # from the file's own path up to the module root ("")
        claim = bus.claims_by_directory.get(directory)
        if claim is not None or not directory:
            return claim
        directory = directory.rpartition("/")[0]


@dataclass(frozen=True)
class Owned:
    """One thing an answer covers (a topic, a file) and the team owning it; `role` says how the query
    relates to it: owns, or (for a principal or a consumer group) produces / consumes."""

    name: str
    kind: str  # topic | file
    team: str
    role: str = "owns"


@dataclass(frozen=True)
class PlacedValue:
    """One value a topic gets on a cluster (configs in Kafka's units) and where it was set."""

    key: str  # partitions | replication_factor | a config key
    value: str
    set_by: str  # the topic, per_cluster.KEY, bus.yaml clusters.NAME.overrides, bus.yaml defaults


@dataclass(frozen=True)
class Placed:
    """A cluster a topic lives on and every value it gets there."""

    cluster: str
    values: list[PlacedValue]


@dataclass
class Ownership:
    """The answer to `busctl owner QUERY`. `team` is "" when several teams share the answer (`teams`
    lists them, and `items` who owns what)."""

    query: str
    kind: str  # team | topic | connector | message | file | group | principal | directory | glob
    team: str
    topics: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    why: list[str] = field(default_factory=list)
    config: dict[str, str] = field(default_factory=dict)  # a topic's effective configs, in Kafka's units
    teams: list[str] = field(default_factory=list)
    items: list[Owned] = field(default_factory=list)
    placement: list[Placed] = field(default_factory=list)  # a topic: its clusters and values there

    def __post_init__(self) -> None:
        if self.team and not self.teams:
            self.teams = [self.team]


class NotFound(LookupError):
    """Nothing matches the query; `suggestions` holds close names."""

    def __init__(self, query: str, suggestions: str) -> None:
        super().__init__(query)
        self.query = query
        self.suggestions = suggestions


class Ambiguous(LookupError):
    """The query names several things (e.g. a team and a consumer group); `kinds` lists them."""

    def __init__(self, query: str, kinds: list[str]) -> None:
        super().__init__(query)
        self.query = query
        self.kinds = kinds


# A query may say what it names: "group:audit", "team:audit", "topic:...", "message:...", "file:...".
EXPLICIT_KINDS = ("team", "topic", "connector", "message", "group", "principal", "file")
GLOB_CHARACTERS = frozenset("*?[")


def resolve_owner(bus: Bus, schemas: SchemaSet, query: str) -> Ownership:
    """Resolve a team, topic name, connector name, message FQN, consumer group, principal, file or
    directory path, or a glob over topic names and paths, to its owner(s), with the reasons."""
    query = query.strip()
    kind, _, name = query.partition(":")
    if kind in EXPLICIT_KINDS and name:
        found = _exact(bus, schemas, name).get(kind) or (
            _path(bus, schemas, name) if kind == "file" else None
        )
        if found is None:
            raise NotFound(query, did_you_mean(name, _candidates(bus, schemas, kind), cutoff=0.5))
        return found()
    if GLOB_CHARACTERS & set(query):
        return _glob(bus, schemas, query)
    exact = _exact(bus, schemas, query)
    if len(exact) > 1:
        raise Ambiguous(query, list(exact))
    if exact:
        return next(iter(exact.values()))()
    answer = _path(bus, schemas, query)
    if answer is not None:
        return answer()
    raise NotFound(query, did_you_mean(query, _candidates(bus, schemas), cutoff=0.5))


def _exact(bus: Bus, schemas: SchemaSet, query: str) -> dict[str, Callable[[], Ownership]]:
    """Every kind of thing named exactly `query`, each with how to answer for it."""
    found: dict[str, Callable[[], Ownership]] = {}
    if query in bus.teams:
        found["team"] = lambda: _team(bus, query)
    decl = bus.topic(query)
    if decl is not None:
        found["topic"] = lambda: _topic(bus, schemas, decl, query)
    connector = bus.connectors_by_name.get(query)
    if connector is not None:
        found["connector"] = lambda: _connector(connector, query)
    if schemas.message(query) is not None:
        found["message"] = lambda: message_owner(bus, schemas, query.lstrip("."))
    if query in _groups(bus):
        found["group"] = lambda: _group(bus, query)
    if query in _principals(bus):
        found["principal"] = lambda: _principal(bus, query)
    return found


def _path(bus: Bus, schemas: SchemaSet, query: str) -> Callable[[], Ownership] | None:
    """A file, or a directory (the repo itself included: `.`), as an answer."""
    if PurePosixPath(query) in (PurePosixPath("."), PurePosixPath(bus.root.resolve().as_posix())):
        return lambda: _directory(bus, schemas, query, _known_files(bus, schemas))
    path = _as_repo_path(bus, query)
    if path is None:
        return None
    found = _file(bus, schemas, path, query)
    if found is not None:
        return lambda: found
    under = [f for f in _known_files(bus, schemas) if f.startswith(path.rstrip("/") + "/")]
    return (lambda: _directory(bus, schemas, query, under)) if under else None


def _candidates(bus: Bus, schemas: SchemaSet, kind: str | None = None) -> list[str]:
    """The names a query could mean: of one kind (an EXPLICIT_KINDS prefix), else of every kind."""
    files = _known_files(bus, schemas)
    by_kind = {
        "team": list(bus.teams),
        "topic": [d.topic.name for d in bus.topics],
        "connector": list(bus.connectors_by_name),
        "message": list(schemas.messages),
        "group": _groups(bus),
        "principal": _principals(bus),
        "file": [*files, *_directories(files)],
    }
    return by_kind[kind] if kind else [name for names in by_kind.values() for name in names]


def _groups(bus: Bus) -> list[str]:
    sinks = {sink_group(d.connector) for d in bus.connectors if d.connector.type == "sink"}
    return sorted({c.group for d in bus.topics for c in d.topic.consumers} | sinks)


def _principals(bus: Bus) -> list[str]:
    return sorted(
        {p.principal for d in bus.topics for p in d.topic.producers}
        | {c.principal for d in bus.topics for c in d.topic.consumers if c.principal}
    )


def _known_files(bus: Bus, schemas: SchemaSet) -> list[str]:
    """Every file the bus is made of: the YAML files read and the .proto files compiled."""
    return sorted({*bus.files, *(d.file for d in bus.topics), *schemas.files})


def _directories(files: list[str]) -> list[str]:
    return sorted({f"{p.as_posix()}/" for f in files for p in PurePosixPath(f).parents if p.name})


def topics_carrying(bus: Bus, fqn: str) -> list[TopicDecl]:
    """Topics whose value schema or key is message `fqn`."""
    return bus.topics_by_message.get(fqn, [])


def _team(bus: Bus, team: str) -> Ownership:
    owned = [d for d in bus.topics if d.topic.owner == team]
    connectors = [d.file for d in bus.connectors if d.connector.owner == team]
    claims = [c for c in bus.schema_claims if c.team == team]
    root = bus.config.schemas.root.strip("/")
    return Ownership(
        query=team,
        kind="team",
        team=team,
        topics=sorted(d.topic.name for d in owned),
        files=sorted([*(d.file for d in owned), *connectors]) + [f"{root}/{c.directory}/" for c in claims],
        why=[f"{bus.teams_source.key_at('teams', team)}: team {team} is defined in teams.yaml"],
    )


def _topic(bus: Bus, schemas: SchemaSet, decl: TopicDecl, query: str) -> Ownership:
    topic = decl.topic
    files = [decl.file]
    message = schemas.message(topic.schema_)
    if message is not None:
        files.append(str(message.span))
    return Ownership(
        config=effective_config(bus, decl),
        query=query,
        kind="topic",
        team=topic.owner,
        topics=[topic.name],
        files=files,
        why=[f"{decl.source.at('owner')}: declares owner: {topic.owner}"],
        placement=placed_values(bus, decl),
    )


def _connector(decl: ConnectorDecl, query: str) -> Ownership:
    """A connector: its owner, and the topics it reads (sink) or writes (source)."""
    connector = decl.connector
    verb = "reads" if connector.type == "sink" else "writes"
    return Ownership(
        query=query,
        kind="connector",
        team=connector.owner,
        topics=list(connector.topics),
        files=[decl.file],
        why=[
            f"{decl.source.at('owner')}: declares owner: {connector.owner}",
            f"{decl.source.at('topics')}: the {connector.type} {verb} {', '.join(connector.topics)}",
        ],
    )


def placed_values(bus: Bus, decl: TopicDecl, catalogue: Catalogue | None = None) -> list[Placed]:
    """Each cluster the topic is placed on, with its partitions, replication factor and configs there
    and where each was set."""
    catalogue = catalogue or load_catalogue()
    result = []
    for cluster in placement(bus.config, decl.topic):
        settings = effective(bus.config, decl.topic, cluster)
        values = [
            PlacedValue("partitions", str(settings.partitions), settings.origins["partitions"].describe()),
            PlacedValue(
                "replication_factor",
                str(settings.replication_factor),
                settings.origins["replication_factor"].describe(),
            ),
        ]
        values += [
            PlacedValue(key, _normalised(catalogue, key, value), settings.config_origins[key].describe())
            for key, value in sorted(settings.config.items())
        ]
        result.append(Placed(cluster, values))
    return result


def _normalised(catalogue: Catalogue, key: str, value: object) -> str:
    try:
        return catalogue.normalise(key, value)
    except ConfigValueError:
        return str(value)


def effective_config(bus: Bus, decl: TopicDecl, catalogue: Catalogue | None = None) -> dict[str, str]:
    """The topic's configs with bus.yaml defaults applied, normalised to Kafka's units where valid."""
    catalogue = catalogue or load_catalogue()
    return {
        key: _normalised(catalogue, key, value)
        for key, value in sorted(effective(bus.config, decl.topic).config.items())
    }


def message_owner(bus: Bus, schemas: SchemaSet, fqn: str) -> Ownership:
    """Who owns message `fqn`: the team whose teams.yaml `schemas:` directory holds its file, else the
    owner of the first topic carrying it."""
    message = schemas.messages[fqn]
    carriers = topics_carrying(bus, fqn)
    claim = schema_owner(bus, message.file)
    why: list[str] = []
    if claim is not None:
        team = claim.team
        why.append(
            f"{claim.span}: teams.yaml gives {bus.config.schemas.root}/{claim.directory}/ to team {team}"
        )
    elif carriers:
        team = carriers[0].topic.owner
        why.append(
            f"{carriers[0].source.at('owner')}: no team claims {message.file}; "
            f"topic {carriers[0].topic.name} carrying it is owned by {team}"
        )
    else:
        team = ""
        why.append(f"no team claims {message.file} in teams.yaml and no topic carries {fqn}")
    return Ownership(
        query=fqn,
        kind="message",
        team=team,
        topics=sorted(d.topic.name for d in carriers),
        files=[str(message.span), *(d.file for d in carriers)],
        why=why,
    )


def _as_repo_path(bus: Bus, query: str) -> str | None:
    """The repo-relative POSIX form of a path given relative to the repo, absolute, or with ./"""
    candidate = PurePosixPath(query.replace("\\", "/"))
    root = PurePosixPath(bus.root.resolve().as_posix())
    if candidate.is_absolute():
        if not candidate.is_relative_to(root):
            return None
        candidate = candidate.relative_to(root)
    text = candidate.as_posix()
    return None if text in ("", ".") or text.startswith("..") else text


def _file(bus: Bus, schemas: SchemaSet, path: str, query: str) -> Ownership | None:
    for decl in bus.topics:
        if decl.file == path:
            found = _topic(bus, schemas, decl, query)
            found.kind = "file"
            return found
    for connector in bus.connectors:
        if connector.file == path:
            found = _connector(connector, query)
            found.kind = "file"
            return found
    if path.endswith(".proto"):
        claim = schema_owner(bus, path)
        proto = schemas.files.get(path)
        messages = list(proto.top_level_messages) if proto else []
        carriers = sorted({d.topic.name for m in messages for d in topics_carrying(bus, m)})
        if claim is not None:
            return Ownership(
                query=query,
                kind="file",
                team=claim.team,
                topics=carriers,
                files=[path],
                why=[
                    f"{claim.span}: teams.yaml gives {bus.config.schemas.root}/{claim.directory}/"
                    f" to team {claim.team}"
                ],
            )
    platform = bus.config.policy.platform_team
    if platform and (path in BUS_FILES or path.startswith((".github/", "templates/", "alerts/"))):
        return Ownership(
            query=query,
            kind="file",
            team=platform,
            files=[path],
            why=[
                f"{bus.config_source.at('policy', 'platform_team')}: bus.yaml policy.platform_team "
                f"owns {path}"
            ],
        )
    return None


def _shared(query: str, kind: str, items: list[Owned], why: list[str], teams: list[str]) -> Ownership:
    """An answer covering several items, owned by one team or by several."""
    unique = sorted(set(teams))
    return Ownership(
        query=query,
        kind=kind,
        team=unique[0] if len(unique) == 1 else "",
        topics=sorted({i.name for i in items if i.kind == "topic"}),
        files=sorted({i.name for i in items if i.kind == "file"}),
        why=why,
        teams=unique,
        items=items,
    )


def _group(bus: Bus, group: str) -> Ownership:
    """A consumer group: the consumer team(s) declaring it, and the topics it reads."""
    items, why, teams = [], [], []
    for decl in bus.topics:
        for index, consumer in enumerate(decl.topic.consumers):
            if consumer.group != group:
                continue
            team = consumer.team or decl.topic.owner
            source = "" if consumer.team else " (no team: given: the topic owner)"
            items.append(Owned(decl.topic.name, "topic", decl.topic.owner, "consumes"))
            items.append(Owned(decl.file, "file", decl.topic.owner, "consumes"))
            teams.append(team)
            why.append(
                f"{decl.source.at('consumers', index, 'group')}: {decl.topic.owner} declares consumer "
                f"group {group} of team {team}{source} on {decl.topic.name}"
            )
    for sink in bus.connectors:
        connector = sink.connector
        if connector.type != "sink" or sink_group(connector) != group:
            continue
        for name in connector.topics:
            topic = bus.topic(name)
            items.append(Owned(name, "topic", topic.topic.owner if topic else "", "consumes"))
        items.append(Owned(sink.file, "file", connector.owner, "consumes"))
        teams.append(connector.owner)
        why.append(
            f"{sink.source.at('name')}: {group} is the group of sink connector {connector.name} of team "
            f"{connector.owner}"
        )
    return _shared(group, "group", items, why, teams)


def _principal(bus: Bus, principal: str) -> Ownership:
    """A principal: the topics it produces and consumes; the team running it is the producing topic's
    owner, or the consumer entry's team."""
    items, why, teams = [], [], []
    for decl in bus.topics:
        topic = decl.topic
        for index, producer in enumerate(topic.producers):
            if producer.principal == principal:
                items += [
                    Owned(topic.name, "topic", topic.owner, "produces"),
                    Owned(decl.file, "file", topic.owner, "produces"),
                ]
                teams.append(topic.owner)
                why.append(
                    f"{decl.source.at('producers', index, 'principal')}: {topic.owner} declares "
                    f"{principal} a producer of {topic.name}"
                )
        for index, consumer in enumerate(topic.consumers):
            if consumer.principal == principal:
                items += [
                    Owned(topic.name, "topic", topic.owner, "consumes"),
                    Owned(decl.file, "file", topic.owner, "consumes"),
                ]
                teams.append(consumer.team or topic.owner)
                why.append(
                    f"{decl.source.at('consumers', index, 'principal')}: {topic.owner} declares "
                    f"{principal} a consumer of {topic.name} (group {consumer.group}, team "
                    f"{consumer.team or topic.owner})"
                )
    return _shared(principal, "principal", items, why, teams)


def _directory(bus: Bus, schemas: SchemaSet, query: str, under: list[str]) -> Ownership:
    """A directory: the owner of every file under it."""
    return _covering(bus, schemas, query, "directory", under, [])


def _glob(bus: Bus, schemas: SchemaSet, pattern: str) -> Ownership:
    """A glob over topic names and repo paths ('billing.*', 'topics/*/invoice-*.yaml')."""
    files = [f for f in _known_files(bus, schemas) if fnmatch.fnmatchcase(f, pattern)]
    topics = [d for d in bus.topics if fnmatch.fnmatchcase(d.topic.name, pattern)]
    if not files and not topics:
        raise NotFound(pattern, "the glob matches no topic name and no file path of the bus")
    return _covering(bus, schemas, pattern, "glob", files, topics)


def _covering(
    bus: Bus, schemas: SchemaSet, query: str, kind: str, files: list[str], topics: list[TopicDecl]
) -> Ownership:
    """The owners of `files` and `topics` (and of the topics those files declare), with the reasons."""
    declaring = {d.file: d for d in bus.topics}
    named = {d.topic.name: d for d in topics}
    named.update({declaring[f].topic.name: declaring[f] for f in files if f in declaring})
    topics = [named[name] for name in sorted(named)]
    items, why, teams = [], [], []
    for decl in topics:
        items.append(Owned(decl.topic.name, "topic", decl.topic.owner))
        teams.append(decl.topic.owner)
    for path in sorted({*files, *(d.file for d in topics)}):
        found = _file(bus, schemas, path, path)
        items.append(Owned(path, "file", found.team if found else ""))
        if found is None:
            why.append(f"{path}: no team owns it (not a topic file, and no teams.yaml schemas: entry)")
            continue
        teams.append(found.team)
        why += [w for w in found.why if w not in why]
    why += [
        line
        for decl in topics
        if (line := f"{decl.source.at('owner')}: declares owner: {decl.topic.owner}") not in why
    ]
    return _shared(query, kind, items, why, [t for t in teams if t])
