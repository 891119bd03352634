"""The `busctl schema show` and `busctl schema list` documents: protobuf messages, where they are
defined, who owns them, the topics carrying them, their consumers and (show) their git history."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from busctl.core.bus import Bus
from busctl.core.messages import (
    HISTORY_SHOWN,
    Found,
    History,
    carriers,
    consumers,
    listed,
)
from busctl.core.ownership import message_owner
from busctl.core.schemas import MessageInfo, SchemaSet
from busctl.reports import Document
from busctl.reports.describe import OwnerDocument, owner_document

SCHEMA_FORMAT_VERSION = 1


class DefinitionDocument(Document):
    """The message's source lines, its leading comments first."""

    start_line: int = Field(description="The line of the first comment (or of the message).")
    end_line: int = Field(description="The line of the message's closing brace.")
    text: str = Field(description="Those lines, as in the file (no trailing newline).")


class CarrierDocument(Document):
    """A topic carrying the message, its owner, and whether as value, key or both."""

    topic: str
    owner: str
    carries: list[Literal["value", "key"]]


class ConsumerDocument(Document):
    """A consumer group of a carrying topic and the team paged for it (its team:, else the owner)."""

    group: str
    team: str
    topic: str


class CommitDocument(Document):
    """A commit that changed the message's lines."""

    sha: str = Field(description="Short sha.")
    date: str = Field(description="Author date, YYYY-MM-DD.")
    author: str
    subject: str


class HistoryDocument(Document):
    """The commits that changed the message's lines (its leading comments included), newest first."""

    command: str | None = Field(description="The `git log -L` that follows them (null without history).")
    commits: list[CommitDocument] = Field(description=f"The newest {HISTORY_SHOWN}.")
    total: int = Field(description="Every commit that changed them.")
    note: str | None = Field(description="Why there is no history: not a git repository, not committed yet.")


class SchemaShowReport(Document):
    """`busctl schema show NAME --format json`."""

    format_version: int = SCHEMA_FORMAT_VERSION
    query: str
    named: Literal["message", "topic", "name"] = Field(
        description="What the query named: the message's FQN, a topic (its value message is shown) or "
        "the message's own name (unique in the module)."
    )
    message: str = Field(description="The message's fully qualified name.")
    defined_at: str = Field(description="file:line:col of the message.")
    definition: DefinitionDocument
    owner: OwnerDocument = Field(
        description='The owning team ("" when nobody owns it), as busctl owner says.'
    )
    owner_why: list[str] = Field(
        description="The declaration that decided the owner, as file:line:col: text."
    )
    topics: list[CarrierDocument]
    consumers: list[ConsumerDocument] = Field(description="The consumer groups of those topics.")
    history: HistoryDocument


class ListedMessage(Document):
    """A message of the module: where it is defined, its owner and the topics carrying it."""

    message: str
    defined_at: str
    team: str = Field(description='The owning team, as busctl owner says ("" when nobody owns it).')
    topics: list[str]


class SchemaListReport(Document):
    """`busctl schema list [--team TEAM] --format json`."""

    format_version: int = SCHEMA_FORMAT_VERSION
    team: str | None = Field(description="The --team filter (null: every team).")
    messages: list[ListedMessage] = Field(
        description="Every top-level message, and every nested one a topic carries, by name."
    )


def from_message(
    bus: Bus, schemas: SchemaSet, query: str, found: Found, lines: tuple[int, list[str]], history: History
) -> SchemaShowReport:
    """The document of one message: `lines` its definition (first line number, lines), `history` the
    commits that changed them."""
    message = found.message
    owned = message_owner(bus, schemas, message.fqn)
    topics = carriers(bus, message.fqn)
    start, text = lines
    return SchemaShowReport(
        query=query,
        named=found.named,
        message=message.fqn,
        defined_at=str(message.span),
        definition=DefinitionDocument(start_line=start, end_line=start + len(text) - 1, text="\n".join(text)),
        owner=owner_document(bus, owned.team),
        owner_why=owned.why,
        topics=[
            CarrierDocument(topic=c.decl.topic.name, owner=c.decl.topic.owner, carries=list(c.roles))
            for c in topics
        ],
        consumers=[ConsumerDocument(group=c.group, team=c.team, topic=c.topic) for c in consumers(topics)],
        history=HistoryDocument(
            command=history.command or None,
            commits=[
                CommitDocument.model_validate(c, from_attributes=True)
                for c in history.commits[:HISTORY_SHOWN]
            ],
            total=len(history.commits),
            note=history.note or None,
        ),
    )


def from_schemas(bus: Bus, schemas: SchemaSet, team: str | None) -> SchemaListReport:
    """The document of every listed message (`core.messages.listed`), of `team` only when given."""
    rows = [_listed(bus, schemas, message) for message in listed(bus, schemas)]
    return SchemaListReport(team=team, messages=[row for row in rows if team is None or row.team == team])


def _listed(bus: Bus, schemas: SchemaSet, message: MessageInfo) -> ListedMessage:
    owned = message_owner(bus, schemas, message.fqn)
    return ListedMessage(
        message=message.fqn, defined_at=str(message.span), team=owned.team, topics=owned.topics
    )
