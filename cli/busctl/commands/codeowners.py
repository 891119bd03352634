"""`busctl codeowners`: write .github/CODEOWNERS from teams.yaml and the topic files."""

from __future__ import annotations

import difflib
from pathlib import Path

import typer

from busctl.commands.common import RepoOption
from busctl.core.codeowners import CODEOWNERS_PATH, generate
from busctl.core.diagnostics import BusctlError
from busctl.loading.bus import load_bus


def command(
    repo: RepoOption = Path("."),
    check: bool = typer.Option(
        False, "--check", help="Do not write; exit 1 if the file is missing or stale."
    ),
) -> int:
    """Generate .github/CODEOWNERS: topic files and schema directories to their owner teams,
    bus.yaml, teams.yaml and CI files to policy.platform_team."""
    bus, report = load_bus(repo.resolve())
    if report.errors:
        raise BusctlError(
            f"{len(report.errors)} error(s) in the bus files; CODEOWNERS was not generated",
            "run `busctl lint` and fix them first",
        )
    wanted = generate(bus)
    target = repo / CODEOWNERS_PATH
    current = target.read_text("utf-8") if target.is_file() else None
    if check:
        if current == wanted:
            typer.echo(f"{CODEOWNERS_PATH} is up to date")
            return 0
        diff = difflib.unified_diff(
            (current or "").splitlines(keepends=True),
            wanted.splitlines(keepends=True),
            f"{CODEOWNERS_PATH} (current)",
            f"{CODEOWNERS_PATH} (generated)",
        )
        typer.echo("".join(diff), nl=False)
        typer.echo(
            f"{CODEOWNERS_PATH} is {'missing' if current is None else 'stale'}: run `busctl codeowners`",
            err=True,
        )
        return 1
    if current == wanted:
        typer.echo(f"{CODEOWNERS_PATH} is up to date")
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(wanted, "utf-8")
    typer.echo(f"wrote {CODEOWNERS_PATH}")
    return 0
