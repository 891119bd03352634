"""Generated files (CODEOWNERS, alerts/, schemas): how what is on disk compares with what busctl would
write. Pure: texts in, one state per file out."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class FileState(StrEnum):
    """What happened to one generated file (or, with --check, what would)."""

    UNCHANGED = "unchanged"  # already as generated
    WRITTEN = "written"  # created or rewritten
    REMOVED = "removed"  # no longer generated, deleted
    MISSING = "missing"  # --check: would be created
    STALE = "stale"  # --check: differs from what would be written
    OBSOLETE = "obsolete"  # --check: no longer generated, would be deleted


@dataclass(frozen=True)
class GeneratedFile:
    """One generated file: its repo-relative path, state, the text on disk and the text wanted (None:
    absent / not to exist)."""

    path: str
    state: FileState
    current: str | None
    wanted: str | None

    @property
    def in_sync(self) -> bool:
        return self.state in (FileState.UNCHANGED, FileState.WRITTEN, FileState.REMOVED)


@dataclass(frozen=True)
class LineChange:
    """A line only in the current file (`-`, to remove) or only in the generated one (`+`, to add),
    with its 1-based line number in that file."""

    op: Literal["+", "-"]
    line: int
    text: str


def compare(current: Mapping[str, str | None], wanted: Mapping[str, str], check: bool) -> list[GeneratedFile]:
    """Every path of `current` (what is on disk, None if absent) with its state; paths not in `wanted`
    are no longer generated. Without `check`, differing files are the ones that get written or removed."""
    files = []
    for path in sorted(current):
        now, then = current[path], wanted.get(path)
        if now == then:
            state = FileState.UNCHANGED
        elif then is None:
            state = FileState.OBSOLETE if check else FileState.REMOVED
        elif now is None:
            state = FileState.MISSING if check else FileState.WRITTEN
        else:
            state = FileState.STALE if check else FileState.WRITTEN
        files.append(GeneratedFile(path, state, now, then))
    return files


def line_changes(current: str | None, wanted: str | None) -> list[LineChange]:
    """How `current` must change to become `wanted`, line by line (removals before additions per hunk)."""
    old, new = (current or "").splitlines(), (wanted or "").splitlines()
    changes = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag in ("replace", "delete"):
            changes += [LineChange("-", i + 1, old[i]) for i in range(i1, i2)]
        if tag in ("replace", "insert"):
            changes += [LineChange("+", j + 1, new[j]) for j in range(j1, j2)]
    return changes
