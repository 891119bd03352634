"""GitHub Actions workflow commands (annotations), escaped in this one place for every emitter.

The runner reads a command per output line, `::LEVEL key=value,key=value::message`, and unescapes
`%25` `%0D` `%0A` in the message and also `%3A` `%2C` in property values. So every CR, LF and `%` is
escaped everywhere, and `:` and `,` in properties: no text can end the line, add a property or
close the property list early, whatever a file name, title or message contains.
"""

from __future__ import annotations

import os
import secrets
from typing import Literal

from busctl.core.diagnostics import Severity

Level = Literal["error", "warning", "notice"]
LEVELS: tuple[Level, ...] = ("error", "warning", "notice")


def severity_level(severity: Severity) -> Level:
    """The annotation level of a finding's severity: error, warning, or notice for anything milder."""
    levels: dict[Severity, Level] = {Severity.ERROR: "error", Severity.WARNING: "warning"}
    return levels.get(severity, "notice")


def escape_data(text: str) -> str:
    """A message as the runner expects it: `%`, CR and LF escaped (`%` first)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value: like a message, and `:` and `,` escaped too."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def in_repository(root: str, file: str) -> str:
    """A bus repo's `file` as GitHub names it: relative to the repository's root, where the bus repo
    is the directory `root` ("" at the top, as in a repository that is only the bus)."""
    return f"{root}/{file}" if root and file else file


def annotation(
    level: Level,
    message: str,
    *,
    file: str = "",
    line: int = 0,
    col: int = 0,
    end_line: int = 0,
    end_column: int = 0,
    title: str = "",
) -> str:
    """One annotation line (no newline); `file` relative to the repository's root (in_repository).
    Empty or 0 leaves a property out: `line=0` annotates the whole file, as a `Span` with line 0
    means."""
    if level not in LEVELS:
        raise ValueError(f"not an annotation level: {level!r}")
    numbers = {"line": line, "endLine": end_line, "col": col, "endColumn": end_column}
    properties = [f"file={escape_property(file)}"] if file else []
    properties += [f"{key}={value}" for key, value in numbers.items() if value > 0]
    properties += [f"title={escape_property(title)}"] if title else []
    head = f"::{level} {','.join(properties)}" if properties else f"::{level}"
    return f"{head}::{escape_data(message)}"


def inert(text: str) -> str:
    """`text` for a workflow log such that none of its lines runs as a workflow command (the runner
    reads one from any line starting with `::` after its leading spaces; a wrapped line or a diff of a
    repo file could). In GitHub Actions it is framed by `::stop-commands::TOKEN` and `::TOKEN::`, the
    token fresh and random; elsewhere it is left as it is."""
    if os.environ.get("GITHUB_ACTIONS") != "true" or not text:
        return text
    token = secrets.token_hex(16)
    end = "" if text.endswith("\n") else "\n"
    return f"::stop-commands::{token}\n{text}{end}::{token}::\n"
