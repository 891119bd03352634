"""What the protobuf schemas define, as plain data: files, packages, messages and where they are."""

from __future__ import annotations

from dataclasses import dataclass, field

from busctl.core.diagnostics import Span


@dataclass(frozen=True)
class MessageInfo:
    """A message type: its fully qualified name and definition site."""

    fqn: str
    file: str
    span: Span
    top_level: bool
    end_line: int = 0  # last line of the definition (0: unknown)
    uses: tuple[str, ...] = ()  # message and enum types of its fields, fully qualified


@dataclass(frozen=True)
class ProtoFile:
    """One .proto file (repo-relative path) and the top-level messages it defines."""

    path: str
    package: str
    top_level_messages: tuple[str, ...]
    imports: tuple[str, ...] = ()  # the files it imports, as written in its import statements


@dataclass
class SchemaSet:
    """Every message and file of the schema module. `compiled` is False when protoc failed."""

    root: str
    compiled: bool = True
    files: dict[str, ProtoFile] = field(default_factory=dict)
    messages: dict[str, MessageInfo] = field(default_factory=dict)
    enums: set[str] = field(default_factory=set)

    def message(self, fqn: str) -> MessageInfo | None:
        """The message named `fqn` (a leading dot is accepted), or None."""
        return self.messages.get(fqn.lstrip("."))

    def import_path(self, fqn: str) -> str | None:
        """The import path (relative to the schema root) of the file defining message `fqn`, or None."""
        info = self.message(fqn)
        prefix = f"{self.root}/"
        return info.file.removeprefix(prefix) if info is not None and info.file.startswith(prefix) else None

    def at(self, file: str, line: int) -> MessageInfo | None:
        """The innermost message defined in `file` whose definition spans `line`."""
        inside = [m for m in self.messages.values() if m.file == file and m.span.line <= line <= m.end_line]
        return max(inside, key=lambda m: m.span.line, default=None)

    def users_of(self, fqn: str) -> set[str]:
        """`fqn` and every message whose fields use it, directly or through other messages."""
        found = {fqn}
        frontier = [fqn]
        while frontier:
            current = frontier.pop()
            for message in self.messages.values():
                if current in message.uses and message.fqn not in found:
                    found.add(message.fqn)
                    frontier.append(message.fqn)
        return found
