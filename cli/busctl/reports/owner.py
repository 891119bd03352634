"""The `busctl owner QUERY` document: the owning team(s), what they own and why.

The fields of format_version 1 (query … github) keep their names and meaning; `teams` and `items`
were added with the group, principal, directory and glob queries.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from busctl.core.bus import Bus
from busctl.core.ownership import Ownership
from busctl.reports import Document

OWNER_FORMAT_VERSION = 1
Kind = Literal["team", "topic", "connector", "message", "file", "group", "principal", "directory", "glob"]


class TeamContact(Document):
    """A team of the answer and how to reach it."""

    team: str
    chat: str | None
    github: str | None


class OwnedItem(Document):
    """A topic or file the answer covers, its owning team ("" when nobody owns it) and the query's
    relation to it."""

    name: str
    kind: Literal["topic", "file"]
    team: str
    role: Literal["owns", "produces", "consumes"]


class PlacedValueDocument(Document):
    """One value a topic gets on a cluster (configs in Kafka's units) and where it was set."""

    key: str = Field(description="partitions, replication_factor or a config key")
    value: str
    set_by: str = Field(description="the topic, per_cluster.KEY, bus.yaml clusters.NAME.overrides, ...")


class PlacedDocument(Document):
    """A cluster the topic lives on and its values there."""

    cluster: str
    values: list[PlacedValueDocument]


class OwnerReport(Document):
    """`busctl owner QUERY --format json`."""

    format_version: int = OWNER_FORMAT_VERSION
    query: str
    kind: Kind
    team: str = Field(description='The owning team; "" when several share the answer (see teams).')
    topics: list[str]
    files: list[str]
    why: list[str] = Field(description="The declarations that decided, as file:line:col: text.")
    config: dict[str, str] = Field(description="A topic's effective configs, in Kafka's units.")
    chat: str | None = Field(description="The owning team's chat room (null when team is empty).")
    github: str | None
    teams: list[TeamContact] = Field(description="Every team of the answer.")
    items: list[OwnedItem] = Field(description="Who owns each topic and file the answer covers.")
    placement: list[PlacedDocument] = Field(
        default_factory=list, description="A topic: the clusters it lives on and its values on each."
    )


def from_ownership(bus: Bus, found: Ownership) -> OwnerReport:
    """The document of an answer, with the teams' contacts from teams.yaml."""
    contacts = [
        TeamContact(
            team=name,
            chat=bus.teams[name].chat if name in bus.teams else None,
            github=bus.teams[name].github if name in bus.teams else None,
        )
        for name in found.teams
    ]
    own = next((c for c in contacts if c.team == found.team), None) if found.team else None
    return OwnerReport.model_validate(
        {
            "query": found.query,
            "kind": found.kind,
            "team": found.team,
            "topics": found.topics,
            "files": found.files,
            "why": found.why,
            "config": found.config,
            "chat": own.chat if own else None,
            "github": own.github if own else None,
            "teams": contacts,
            "items": [{"name": i.name, "kind": i.kind, "team": i.team, "role": i.role} for i in found.items],
            "placement": [
                {"cluster": p.cluster, "values": [vars(v) for v in p.values]} for p in found.placement
            ],
        }
    )
