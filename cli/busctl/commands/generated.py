"""Write generated files, or with --check report how the repo differs from what would be written."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

import typer

MAX_DIFF_LINES = 200


def sync(repo: Path, wanted: dict[str, str], command: str, check: bool, owned: Iterable[str] = ()) -> int:
    """Make `wanted` (path -> text) true on disk and remove `owned` paths no longer wanted.

    With `check`, change nothing: print a diff of what is stale and return 1 if anything is.
    """
    current = {path: _read(repo / path) for path in sorted({*wanted, *owned})}
    stale = [path for path in current if current[path] != wanted.get(path)]
    if not stale:
        typer.echo(f"{_what(wanted)} up to date")
        return 0
    if check:
        budget = MAX_DIFF_LINES
        for path in stale:
            diff = list(
                difflib.unified_diff(
                    (current[path] or "").splitlines(keepends=True),
                    (wanted.get(path) or "").splitlines(keepends=True),
                    f"{path} (current)",
                    f"{path} (generated)",
                )
            )
            typer.echo("".join(diff[:budget]), nl=False)
            budget = max(0, budget - len(diff))
        if budget == 0:
            typer.echo("... (diff truncated)")
        typer.echo(
            f"{len(stale)} generated file(s) stale, missing or obsolete: {', '.join(stale)}\n"
            f"hint: run `{command}` and commit the result",
            err=True,
        )
        return 1
    for path in stale:
        target = repo / path
        if path in wanted:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(wanted[path], "utf-8")
            typer.echo(f"wrote {path}")
        else:
            target.unlink()
            typer.echo(f"removed {path} (no longer generated)")
    return 0


def _read(path: Path) -> str | None:
    return path.read_text("utf-8") if path.is_file() else None


def _what(wanted: dict[str, str]) -> str:
    return next(iter(wanted)) + " is" if len(wanted) == 1 else f"{len(wanted)} generated files are"
