"""Tables that fit a terminal: a name column first, fixed middle columns, a last column that wraps.

A name longer than its column gets a line of its own (the row continues on the next line), so long
topic names are shown whole, never cut; middle cells are truncated with "…"; the last column wraps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from busctl.render.style import WIDTH, Tone, paint, wrap

GAP = "  "
LAST_AT_LEAST = 18  # the first column gives way so the last keeps this much


@dataclass(frozen=True)
class Column:
    """A column: its header, the most it may take (None: its widest cell) and right alignment."""

    header: str
    cap: int | None = None
    right: bool = False


def table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    tones: Sequence[Tone | None] = (),
    color: bool = False,
    width: int = WIDTH,
) -> list[str]:
    """The header (bold) and rows as lines of at most `width` characters; a row's last cell is
    painted in its tone (`tones`, per row) when `color`."""
    widths = [
        min(c.cap or width, max(len(c.header), *(len(r[i]) for r in rows)) if rows else len(c.header))
        for i, c in enumerate(columns)
    ]
    if len(columns) > 1:
        middle = sum(widths[1:-1]) + len(GAP) * (len(columns) - 1)
        limit = width - middle - LAST_AT_LEAST
        fitting = [len(r[0]) for r in rows if len(r[0]) <= limit]  # longer names get their own line
        widths[0] = max(len(columns[0].header), max(fitting, default=0))
        widths[-1] = max(8, width - sum(widths[:-1]) - len(GAP) * (len(columns) - 1))
    lines = [paint(_line([c.header for c in columns], columns, widths), Tone.HEADER, color)]
    for index, row in enumerate(rows):
        first, rest = row[0], list(row[1:])
        if len(first) > widths[0] or not any(rest):  # a long name (or a heading) on its own line
            lines.append(first)
            if not any(rest):
                continue
            first = ""
        tone = tones[index] if index < len(tones) else None
        lines.extend(_wrapped([first, *rest], columns, widths, tone if color else None))
    return lines


def _wrapped(cells: list[str], columns: Sequence[Column], widths: list[int], tone: Tone | None) -> list[str]:
    last = wrap(cells[-1], width=widths[-1])
    shown = [paint(text, tone, True) if tone else text for text in last]
    if len(columns) == 1:
        return shown
    line = _line([*cells[:-1], last[0]], columns, widths)
    lines = [line[: len(line) - len(last[0])] + shown[0]]
    indent = sum(widths[:-1]) + len(GAP) * (len(columns) - 1)
    lines.extend(" " * indent + more for more in shown[1:])
    return lines


def _line(cells: Sequence[str], columns: Sequence[Column], widths: list[int]) -> str:
    shown = []
    for index, (cell, column, size) in enumerate(zip(cells, columns, widths, strict=True)):
        if index < len(columns) - 1 and len(cell) > size:
            cell = cell[: size - 1] + "…"
        shown.append(cell.rjust(size) if column.right else cell.ljust(size))
    return GAP.join(shown).rstrip()
