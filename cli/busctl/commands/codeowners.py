"""`busctl codeowners`: write .github/CODEOWNERS from teams.yaml and the topic files."""

from __future__ import annotations

from pathlib import Path

import typer

from busctl.commands.common import RepoOption
from busctl.commands.generated import sync
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
    return sync(repo, {CODEOWNERS_PATH: generate(bus)}, "busctl codeowners", check)
