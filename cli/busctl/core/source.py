"""Source maps: where each value of a loaded YAML document stands in its file."""

from __future__ import annotations

from dataclasses import dataclass, field

from busctl.core.diagnostics import Span

Path_ = tuple[str | int, ...]
Position = tuple[int, int]  # 1-based line and column


@dataclass
class SourceMap:
    """Where each value (and each mapping key) of a document stands in its file."""

    file: str
    values: dict[Path_, Position] = field(default_factory=dict)
    keys: dict[Path_, Position] = field(default_factory=dict)
    # a comment ("  # …") right after a plain free-text value, on its line: where its "#" is, its text and
    # the value YAML kept
    comments: dict[Path_, tuple[int, int, str, str]] = field(default_factory=dict)

    def at(self, *path: str | int) -> Span:
        """The position of the value at `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            position = self.values.get(path[:end])
            if position is not None:
                return Span(self.file, *position)
        return Span(self.file, 1, 1)

    def key_at(self, *path: str | int) -> Span:
        """The position of the key naming `path` (falls back to the value's position)."""
        position = self.keys.get(path)
        return Span(self.file, *position) if position is not None else self.at(*path)
