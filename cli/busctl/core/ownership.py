"""Who owns what: topics by their `owner`, schema files by teams.yaml `schemas:` directories.

Every answer carries its provenance (the declaration that decided it), because "why is this mine?"
is the first question anyone asks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

from busctl.core.bus import Bus, SchemaClaim, TopicDecl, effective
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


@dataclass
class Ownership:
    """The answer to `busctl owner QUERY`."""

    query: str
    kind: str  # team | topic | message | file
    team: str
    topics: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    why: list[str] = field(default_factory=list)
    config: dict[str, str] = field(default_factory=dict)  # a topic's effective configs, in Kafka's units


class NotFound(LookupError):
    """Nothing matches the query; `suggestions` holds close names."""

    def __init__(self, query: str, suggestions: str) -> None:
        super().__init__(query)
        self.query = query
        self.suggestions = suggestions


def resolve_owner(bus: Bus, schemas: SchemaSet, query: str) -> Ownership:
    """Resolve a team, topic name, message FQN or file path to its owner, with the reasons."""
    query = query.strip()
    if query in bus.teams:
        return _team(bus, query)
    decl = bus.topic(query)
    if decl is not None:
        return _topic(bus, schemas, decl, query)
    message = schemas.message(query)
    if message is not None:
        return _message(bus, schemas, query.lstrip("."))
    path = _as_repo_path(bus, query)
    if path is not None:
        found = _file(bus, schemas, path, query)
        if found is not None:
            return found
    candidates = [
        *bus.teams,
        *(d.topic.name for d in bus.topics),
        *schemas.messages,
        *(d.file for d in bus.topics),
        *schemas.files,
    ]
    raise NotFound(query, did_you_mean(query, candidates, cutoff=0.5))


def topics_carrying(bus: Bus, fqn: str) -> list[TopicDecl]:
    """Topics whose value schema or key is message `fqn`."""
    return bus.topics_by_message.get(fqn, [])


def _team(bus: Bus, team: str) -> Ownership:
    owned = [d for d in bus.topics if d.topic.owner == team]
    claims = [c for c in bus.schema_claims if c.team == team]
    root = bus.config.schemas.root.strip("/")
    return Ownership(
        query=team,
        kind="team",
        team=team,
        topics=sorted(d.topic.name for d in owned),
        files=sorted(d.file for d in owned) + [f"{root}/{c.directory}/" for c in claims],
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
        why=[f"{decl.source.at('owner')}: {decl.file} declares owner: {topic.owner}"],
    )


def effective_config(bus: Bus, decl: TopicDecl, catalogue: Catalogue | None = None) -> dict[str, str]:
    """The topic's configs with bus.yaml defaults applied, normalised to Kafka's units where valid."""
    catalogue = catalogue or load_catalogue()
    result = {}
    for key, value in sorted(effective(bus.config, decl.topic).config.items()):
        try:
            result[key] = catalogue.normalise(key, value)
        except ConfigValueError:
            result[key] = str(value)
    return result


def _message(bus: Bus, schemas: SchemaSet, fqn: str) -> Ownership:
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
