"""Protobuf messages as `busctl schema` shows them: which message a name means, its definition with
its leading comments, the topics carrying it and their consumers, and the lines git history follows."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Literal

from busctl.core.bus import Bus, TopicDecl
from busctl.core.diagnostics import BusctlError, did_you_mean
from busctl.core.ownership import topics_carrying
from busctl.core.schemas import MessageInfo, SchemaSet

Named = Literal["message", "topic", "name"]
Role = Literal["value", "key"]
HISTORY_SHOWN = 10  # the newest commits a history shows; the rest are counted


@dataclass(frozen=True)
class Found:
    """The message a query means and what the query named: its FQN, a topic (whose value message it
    is) or the end of its FQN (its name), which no other message's ends with."""

    message: MessageInfo
    named: Named
    topic: str = ""  # named == "topic": the topic queried


@dataclass(frozen=True)
class Carrier:
    """A topic carrying a message, and as what: value, key or both."""

    decl: TopicDecl
    roles: tuple[Role, ...]


@dataclass(frozen=True)
class Consumer:
    """A consumer group of a topic and the team paged for it (its `team:`, else the topic owner)."""

    group: str
    team: str
    topic: str


@dataclass(frozen=True)
class Commit:
    """A commit that changed a message: short sha, date (YYYY-MM-DD), author and subject."""

    sha: str
    date: str
    author: str
    subject: str


@dataclass(frozen=True)
class History:
    """The commits that changed a message's lines, newest first, and the `git log -L` that found them;
    without either, `note` says why (not a git repository, not committed yet)."""

    commits: list[Commit] = field(default_factory=list)
    command: str = ""
    note: str = ""


def find_message(bus: Bus, schemas: SchemaSet, query: str) -> Found:
    """The message `query` names: a message FQN, a topic (its value message), or the end of one
    message's FQN (`InvoiceCreated`, `InvoiceCreated.LineItem`). A BusctlError with did-you-mean when
    it names none."""
    name = query.strip()
    message = schemas.message(name)
    if message is not None:
        return Found(message, "message")
    decl = bus.topic(name)
    if decl is not None:
        carried = schemas.message(decl.topic.schema_)
        if carried is None:
            raise BusctlError(
                f"topic {name} carries {decl.topic.schema_}, which no .proto under {schemas.root}/ defines",
                f"define the message, or fix schema: in {decl.file} (`busctl lint` reports it)",
            )
        return Found(carried, "topic", name)
    same_name = sorted(fqn for fqn in schemas.messages if fqn.endswith(f".{name}"))
    if len(same_name) == 1:
        return Found(schemas.messages[same_name[0]], "name")
    if same_name:
        raise BusctlError(
            f'"{name}" is the name of {len(same_name)} messages: {", ".join(same_name)}',
            "ask for one by its full name",
        )
    raise BusctlError(
        f'no message or topic "{name}" in the bus',
        did_you_mean(name, [*schemas.messages, *bus.topics_by_name], cutoff=0.5)
        or "`busctl schema list` lists the messages, `busctl topics` the topics",
    )


def definition(text: str, message: MessageInfo) -> tuple[int, list[str]]:
    """The message's source lines in `text` (its file), its leading comments first, and the number of
    the first line. Leading comments are the comment lines right above the message, with no blank line
    between: the ones protoc attaches to it."""
    lines = source_lines(text)
    start = message.span.line
    while start > 1 and _is_comment(lines[start - 2]):
        start -= 1
    return start, lines[start - 1 : max(message.end_line, message.span.line)]


def source_lines(text: str) -> list[str]:
    """A .proto's lines as protoc numbers them: split at newlines only (str.splitlines also splits at
    form feeds and other separators, which would shift every line number after one)."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def _is_comment(line: str) -> bool:
    stripped = line.strip()
    return stripped.startswith(("//", "/*", "*")) or stripped.endswith("*/")


def carriers(bus: Bus, fqn: str) -> list[Carrier]:
    """The topics carrying message `fqn`, by name, each with whether as value or key."""
    found = []
    for decl in sorted(topics_carrying(bus, fqn), key=lambda d: d.topic.name):
        roles: list[Role] = []
        if decl.topic.schema_ == fqn:
            roles.append("value")
        if decl.topic.key == fqn:
            roles.append("key")
        found.append(Carrier(decl, tuple(roles)))
    return found


def consumers(topics: list[Carrier]) -> list[Consumer]:
    """The consumer groups of the topics, in declaration order."""
    return [
        Consumer(consumer.group, consumer.team or carrier.decl.topic.owner, carrier.decl.topic.name)
        for carrier in topics
        for consumer in carrier.decl.topic.consumers
    ]


def listed(bus: Bus, schemas: SchemaSet) -> list[MessageInfo]:
    """What `busctl schema list` lists: every top-level message of the module, and every nested one a
    topic carries, by name."""
    return [
        message
        for fqn, message in sorted(schemas.messages.items())
        if message.top_level or fqn in bus.topics_by_message
    ]


def committed_lines(
    committed: list[str], current: list[str], lines: tuple[int, int], anchor: int
) -> tuple[int, int] | None:
    """`lines` (first, last; 1-based) of `current` (the work tree's file) as lines of `committed` (the
    file at HEAD): the first and last of them HEAD has unchanged. None when HEAD lacks the `anchor`
    line (the message's own) unchanged: the message is not committed, or not under this name."""
    if committed == current:
        return lines
    matcher = difflib.SequenceMatcher(None, committed, current, autojunk=False)
    kept = {
        block.b + offset + 1: block.a + offset + 1
        for block in matcher.get_matching_blocks()
        for offset in range(block.size)
        if lines[0] <= block.b + offset + 1 <= lines[1]
    }
    return (min(kept.values()), max(kept.values())) if anchor in kept else None
