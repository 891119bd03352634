"""The one palette and width of busctl's text screens: the same meaning gets the same colour in
lint, check, plan and lag, and every line fits WIDTH columns.

Renderers take `color: bool` and paint through `paint`; only `busctl.commands.common.use_color`
decides it (a terminal, and NO_COLOR unset). Wrap plain text first, then paint: `wrap` counts
cells, not escape codes.
"""

from __future__ import annotations

import textwrap
from enum import StrEnum

from rich.cells import cell_len, chop_cells

from busctl.core.diagnostics import BusctlError

WIDTH = 80


class Tone(StrEnum):
    """What a piece of text means; its value is the ANSI SGR code that shows it."""

    ERROR = "31"  # red: errors, breaking changes, blocked, deletions, failing verdicts
    WARNING = "33"  # yellow: warnings, updates, risky but allowed
    OK = "32"  # green: success, approvals, creations, healthy verdicts
    NOTE = "2"  # dim: notes, hints, context a reader may skip
    HEADER = "1"  # bold: headlines and table headers


def paint(text: str, tone: Tone, color: bool) -> str:
    """`text` in `tone`'s colour when `color`, else unchanged."""
    return f"\x1b[{tone.value}m{text}\x1b[0m" if color and text else text


def severity_tone(severity: str) -> Tone:
    """The tone of a diagnostic severity ("error", "warning", anything else is a note)."""
    return {"error": Tone.ERROR, "warning": Tone.WARNING}.get(severity, Tone.NOTE)


def wrap(text: str, indent: str = "", hang: str | None = None, width: int = WIDTH) -> list[str]:
    """`text` as lines of at most `width` columns: the first starts with `indent`, the rest with
    `hang` (default `indent`). Words longer than a line (topic names, paths) are split, never run
    past the edge. Columns are terminal cells: a CJK character or an emoji takes two."""
    rest = indent if hang is None else hang
    if cell_len(text) != len(text):
        return _wrap_cells(text, indent, rest, width)
    return textwrap.wrap(
        text, width, initial_indent=indent, subsequent_indent=rest, break_on_hyphens=False
    ) or [indent.rstrip()]


def _wrap_cells(text: str, indent: str, hang: str, width: int) -> list[str]:
    """`wrap` for text with wide characters, measured in cells (whitespace runs become one space)."""
    lines: list[str] = []
    prefix, words = indent, ""
    for word in text.split():
        candidate = f"{words} {word}" if words else word
        if cell_len(prefix + candidate) <= width:
            words = candidate
            continue
        if words:
            lines.append(prefix + words)
            prefix, words = hang, ""
        *full, words = chop_cells(word, max(width - cell_len(prefix), 1))
        for piece in full:
            lines.append(prefix + piece)
            prefix = hang
    lines.append(prefix + words)
    return [line.rstrip() for line in lines]


def error_text(err: BusctlError, wrapped: bool) -> str:
    """`error: message` and `  hint: hint`; `wrapped` (a person reads stderr) within WIDTH under their
    labels, else one line each, for CI logs and grep."""
    labelled = [("error: ", err.message)] + ([("  hint: ", err.hint)] if err.hint else [])
    if not wrapped:
        return "".join(f"{label}{text}\n" for label, text in labelled)
    return "".join(f"{line}\n" for label, text in labelled for line in wrap(text, label, " " * len(label)))
