"""Render the rule registry: the `busctl rules` screens and the README's rule tables (markdown)."""

from __future__ import annotations

from collections.abc import Sequence

from busctl.render.style import WIDTH, Tone, paint, severity_tone, wrap
from busctl.rules.base import Entry, Family

FAMILIES: dict[Family, tuple[str, str]] = {
    "load": ("Load errors", "reading the repo, a file cannot be read as its format requires"),
    "lint": ("Lint rules", "one bus, in `busctl lint` and the gate of plan, apply, import, lag and alerts"),
    "check": ("Check rules", "the bus before and after a change, in `busctl check --against REF`"),
}
_INDENT = "        "


def as_text(entries: Sequence[type[Entry]], color: bool = False) -> str:
    """Each family under a header; per entry `CODE  severity  name` (and "locked"), the summary below."""
    lines: list[str] = []
    for family, (title, about) in FAMILIES.items():
        members = [e for e in entries if e.family == family]
        if not members:
            continue
        lines += ["", *(paint(line, Tone.HEADER, color) for line in wrap(f"{title}: {about}."))]
        for entry in members:
            default = entry.default()
            severity = paint(f"{default:<7}", severity_tone(default), color)
            lock = paint("locked", Tone.NOTE, color) if entry.locked and family != "load" else ""
            gap = " " * max(1, WIDTH - 17 - len(entry.name) - len("locked"))
            lines.append(f"{entry.id}  {severity}  {entry.name}{gap if lock else ''}{lock}".rstrip())
            lines += wrap(entry.summary(), _INDENT)
    lines += [
        "",
        *wrap(
            "`busctl rules CODE` shows a rule's examples; bus.yaml policy.rules changes "
            "the severity of any rule not locked, or turns it off; a rule off by default runs once "
            "it sets its severity."
        ),
    ]
    return "\n".join(lines[1:]) + "\n"


def as_detail(entry: type[Entry], color: bool = False) -> str:
    """One entry in full: its header, whether bus.yaml may change it, and its documentation."""
    kind = {"load": "load error", "lint": "lint rule", "check": "check rule"}[entry.family]
    when = f"; {entry.severity.value} when enabled" if entry.opt_in else ""
    head = f"{entry.id} {entry.name} ({kind}, default {entry.default()}{when})"
    lines = [paint(line, Tone.HEADER, color) for line in wrap(head)]
    if entry.locked:
        lines += wrap(f"locked: {entry.locked}", hang="  ")
    else:
        lines += wrap(
            f"bus.yaml may change it: policy: {{rules: {{{entry.id}: error|warning|off}}}}", hang="  "
        )
    for paragraph in entry.doc().replace("**", "").split("\n\n"):
        lines.append("")
        if paragraph.startswith(("Bad:", "Good:")):  # one example per line, its continuation indented
            lines += [part for line in paragraph.splitlines() for part in wrap(line, hang=" " * 6)]
        else:
            lines += wrap(" ".join(paragraph.split()))
    return "\n".join(lines) + "\n"


def as_markdown(entries: Sequence[type[Entry]]) -> str:
    """The README's rule tables: one per family, generated from the registry."""
    parts: list[str] = []
    for family, (title, about) in FAMILIES.items():
        members = [e for e in entries if e.family == family]
        if not members:
            continue
        parts.append(f"**{title}**: {about}.\n")
        if family == "load":
            parts.append("| id | name | checks |\n|---|---|---|")
            parts += [f"| {e.id} | {e.name} | {_cell(e.summary())} |" for e in members]
        else:
            parts.append("| id | name | severity | policy.rules | checks |\n|---|---|---|---|---|")
            parts += [
                f"| {e.id} | {e.name} | {e.default()} | "
                f"{_cell('locked: ' + e.locked) if e.locked else 'yes'} | {_cell(e.summary())} |"
                for e in members
            ]
        parts.append("")
    return "\n".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
