"""`busctl rules`: list the lint and check rules with their ids and summaries."""

from __future__ import annotations

import json

import typer

from busctl.commands.common import FormatOption, OutputFormat
from busctl.rules.base import all_rules, check_rules


def command(output: FormatOption = OutputFormat.text) -> int:
    """List every rule: id, family (lint or check), name, severity and what it checks."""
    found = [("lint", r) for r in all_rules()] + [("check", r) for r in check_rules()]
    if output is OutputFormat.json:
        typer.echo(
            json.dumps(
                [
                    {
                        "id": r.id,
                        "family": family,
                        "name": r.name,
                        "severity": r.severity.value,
                        "summary": r.summary(),
                    }
                    for family, r in found
                ],
                indent=2,
            )
        )
    elif output is OutputFormat.markdown:
        typer.echo("| id | family | name | severity | checks |\n|---|---|---|---|---|")
        for family, r in found:
            typer.echo(f"| {r.id} | {family} | {r.name} | {r.severity.value} | {r.summary()} |")
    else:
        for family, r in found:
            typer.echo(f"{r.id}  {family:<6}{r.name:<36} {r.severity.value:<8} {r.summary()}")
    return 0
