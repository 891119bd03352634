"""`busctl codeowners`: write .github/CODEOWNERS from teams.yaml and the topic files."""

from __future__ import annotations

from pathlib import Path

import typer

from busctl.commands.common import OutputFormat, RepoOption, TextJsonFormatOption, wants_json
from busctl.commands.generated import print_outcome, reconcile
from busctl.core.codeowners import CODEOWNERS_PATH, codeowners
from busctl.core.diagnostics import BusctlError
from busctl.loading.bus import load_bus
from busctl.render.json import as_json
from busctl.reports.codeowners import codeowners_report


def command(
    repo: RepoOption = Path("."),
    check: bool = typer.Option(
        False, "--check", help="Do not write; exit 1 if the file is missing or stale."
    ),
    output: TextJsonFormatOption = OutputFormat.text,
) -> int:
    """Generate .github/CODEOWNERS from the declarations.

    Generate .github/CODEOWNERS: topic files and schema directories to their owner teams,
    bus.yaml, teams.yaml and CI files to policy.platform_team.

    --format json prints the entries (pattern -> owners) and, with --check, the lines out of sync.

    Example: busctl codeowners --check
    """
    as_document = wants_json(output, "codeowners")
    bus, report = load_bus(repo.resolve())
    if report.errors:
        raise BusctlError(
            f"{len(report.errors)} error(s) in the bus files; CODEOWNERS was not generated",
            "run `busctl lint` and fix them first",
        )
    generated = codeowners(bus)
    wanted = {CODEOWNERS_PATH: generated.text}
    [file] = reconcile(repo, wanted, check)
    if as_document:
        typer.echo(as_json(codeowners_report(generated, file, check)), nl=False)
    else:
        print_outcome([file], wanted, "busctl codeowners")
    return 0 if file.in_sync else 1
