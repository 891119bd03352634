"""Diagnostics: problems a user can fix, each pointing at a place in a file."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    """How bad a finding is. Errors fail `busctl lint`; warnings are shown but pass; a note informs."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, order=True)
class Span:
    """A 1-based position in a repo-relative file. line/col 0 means "the whole file"."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Diagnostic:
    """One finding: a code (BUS012, buf:FIELD_LOWER_SNAKE_CASE), a message, a hint and where."""

    code: str
    message: str
    span: Span
    severity: Severity = Severity.ERROR
    hint: str = ""
    name: str = ""
    subject: str = ""  # the topic or message a finding is about, when it has one

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.span.file, self.span.line, self.span.col, self.code, self.message)


@dataclass
class Report:
    """An ordered collection of diagnostics with simple summaries."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, diagnostic: Diagnostic) -> None:
        self.items.append(diagnostic)

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.items.extend(diagnostics)

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.items, key=Diagnostic.sort_key)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity is Severity.WARNING]


class BusctlError(Exception):
    """A failure the user can act on that has no single file position (cluster down, bad ref...)."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def printable(text: str) -> str:
    """Text from outside (a cluster, a file), safe to print: control and invisible format characters
    escaped, so nothing can add lines, move the cursor or hide in a name."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def did_you_mean(word: str, candidates: Iterable[str], cutoff: float = 0.6) -> str:
    """A ' (did you mean "x"?)'-style suffix, or '' when nothing is close."""
    matches = difflib.get_close_matches(word, list(candidates), n=3, cutoff=cutoff)
    if not matches:
        return ""
    return "did you mean " + " or ".join(f'"{m}"' for m in matches) + "?"
