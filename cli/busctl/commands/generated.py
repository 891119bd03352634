"""Write generated files, or with --check report how the repo differs from what would be written."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

import typer

from busctl.commands.common import echo_text, write_file
from busctl.core.diagnostics import BusctlError
from busctl.core.generated import FileState, GeneratedFile, compare

MAX_DIFF_LINES = 200


def reconcile(
    repo: Path, wanted: dict[str, str], check: bool, owned: Iterable[str] = ()
) -> list[GeneratedFile]:
    """Compare `wanted` (path -> text) and the `owned` paths no longer wanted with the disk; unless
    `check`, make the disk match (write what differs, remove what is no longer generated)."""
    current = {path: read_current(repo / path) for path in {*wanted, *owned}}
    files = compare(current, wanted, check)
    for file in files:
        target = repo / file.path
        if file.state is FileState.WRITTEN and file.wanted is not None:
            write_file(target, file.wanted, parents=True)
        elif file.state is FileState.REMOVED:
            target.unlink()
    return files


def sync(repo: Path, wanted: dict[str, str], command: str, check: bool, owned: Iterable[str] = ()) -> int:
    """`reconcile`, told as text: what was written or removed, or with `check` a diff of what is stale
    (exit code 1 if anything is)."""
    files = reconcile(repo, wanted, check, owned)
    print_outcome(files, wanted, command)
    return 0 if all(f.in_sync for f in files) else 1


def print_outcome(files: list[GeneratedFile], wanted: dict[str, str], command: str) -> None:
    """The text account of a `reconcile`: written/removed files, or the diff of stale ones."""
    changed = [f for f in files if f.state is not FileState.UNCHANGED]
    if not changed:
        typer.echo(f"{_what(wanted)} up to date")
        return
    stale = [f for f in changed if not f.in_sync]
    if stale:
        budget, shown = MAX_DIFF_LINES, []
        for file in stale:
            diff = list(
                difflib.unified_diff(
                    (file.current or "").splitlines(keepends=True),
                    (file.wanted or "").splitlines(keepends=True),
                    f"{file.path} (current)",
                    f"{file.path} (generated)",
                )
            )
            shown += diff[:budget]
            budget = max(0, budget - len(diff))
        if budget == 0:
            shown.append("... (diff truncated)\n")
        echo_text("".join(line if line.endswith("\n") else line + "\n" for line in shown))
        typer.echo(
            f"{len(stale)} generated file(s) stale, missing or obsolete: {', '.join(f.path for f in stale)}\n"
            f"hint: run `{command}` and commit the result",
            err=True,
        )
        return
    for file in changed:
        if file.state is FileState.WRITTEN:
            typer.echo(f"wrote {file.path}")
        else:
            typer.echo(f"removed {file.path} (no longer generated)")


def read_current(path: Path) -> str | None:
    """A generated file as it is on disk, line ends as they are (None if absent); one that is not
    UTF-8 is an error naming it (busctl would not know what to keep of it)."""
    if not path.is_file():
        return None
    try:
        with path.open(encoding="utf-8", newline="") as file:
            return file.read()
    except UnicodeDecodeError as err:
        raise BusctlError(
            f"{path} is not UTF-8 text (byte {err.start}); nothing was written",
            "save it as UTF-8, or remove it and run the command again",
        ) from None


def _what(wanted: dict[str, str]) -> str:
    return next(iter(wanted)) + " is" if len(wanted) == 1 else f"{len(wanted)} generated files are"
