"""The one palette and width of busctl's text screens: the same meaning gets the same colour in
lint, check, plan and lag, and every line fits WIDTH columns.

Renderers take `color: bool` and paint through `paint`; only `busctl.commands.common.use_color`
decides it (a terminal, and NO_COLOR unset). Wrap plain text first, then paint: `wrap` counts
characters, not escape codes.
"""

from __future__ import annotations

import textwrap
from enum import StrEnum

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
    past the edge."""
    return textwrap.wrap(
        text,
        width,
        initial_indent=indent,
        subsequent_indent=indent if hang is None else hang,
        break_on_hyphens=False,
    ) or [indent.rstrip()]
