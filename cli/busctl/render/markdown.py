"""Text from the user's files inside the Markdown busctl writes (PR comments, plan --format markdown):
escaped in this one place so that it renders as itself, whatever it contains."""

from __future__ import annotations

import html
import re

_MARKUP = str.maketrans(
    {
        "|": "&#124;",  # a table cell ends
        "`": "&#96;",  # a code span starts
        "[": "&#91;",  # a link starts
        "]": "&#93;",
        "@": "@&#8203;",  # a mention: a zero-width space after the @ keeps it from pinging
    }
)
# Emphasis (* _) is left as it is: on one line it can only style text, never hide or add any.


def text(value: str) -> str:
    """`value` as inline Markdown text: one line (line breaks become spaces: no heading, list or quote
    can start), HTML shown literally, no table cell, code span, link or @mention."""
    return html.escape(" ".join(value.splitlines()), quote=False).translate(_MARKUP)


def fence(lines: list[str]) -> str:
    """A code fence longer than any run of backticks in `lines`, so none of them can close it."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)


def code(value: str) -> str:
    """`value` as an inline code span that renders as itself, also in a table cell (GitHub reads a `|`
    there as the cell's end unless it is escaped, even in code)."""
    one_line = " ".join(value.splitlines()).replace("|", "\\|")
    ticks = "`" * (max((len(run) for run in re.findall(r"`+", one_line)), default=0) + 1)
    padded = f" {one_line} " if one_line.startswith("`") or one_line.endswith("`") else one_line
    return f"{ticks}{padded}{ticks}"
