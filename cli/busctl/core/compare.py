"""Base vs head: which topic and connector declarations a change adds, removes, renames or modifies.
Pure."""

from __future__ import annotations

from dataclasses import dataclass

from busctl.core.bus import Bus, ConnectorDecl, TopicDecl


@dataclass(frozen=True)
class TopicChange:
    """One topic as declared before (base) and after (head) a change; None where absent.

    A rename is a file that keeps its path but declares another name: `renamed_to` names the new topic.
    """

    name: str
    base: TopicDecl | None
    head: TopicDecl | None
    renamed_to: str = ""


def topic_changes(base: Bus, head: Bus) -> list[TopicChange]:
    """Every topic declared on either side, paired by name, sorted by name."""
    head_by_file = {d.file: d for d in head.topics}
    names = sorted(set(base.topics_by_name) | set(head.topics_by_name))
    changes = []
    for name in names:
        before, after = base.topics_by_name.get(name), head.topics_by_name.get(name)
        renamed_to = ""
        if before is not None and after is None:
            successor = head_by_file.get(before.file)
            if successor is not None and successor.topic.name not in base.topics_by_name:
                renamed_to = successor.topic.name
        changes.append(TopicChange(name=name, base=before, head=after, renamed_to=renamed_to))
    return changes


CONNECTOR = "connector "  # how a check finding about a connector names its subject


@dataclass(frozen=True)
class ConnectorPair:
    """One connector as declared before (base) and after (head) a change; None where absent."""

    name: str
    base: ConnectorDecl | None
    head: ConnectorDecl | None

    @property
    def subject(self) -> str:
        return CONNECTOR + self.name


def connector_pairs(base: Bus, head: Bus) -> list[ConnectorPair]:
    """Every connector declared on either side, paired by name, sorted by name."""
    names = sorted(set(base.connectors_by_name) | set(head.connectors_by_name))
    return [ConnectorPair(n, base.connectors_by_name.get(n), head.connectors_by_name.get(n)) for n in names]
