"""`busctl rules`: list the lint rules with their ids and summaries."""

from __future__ import annotations

import json

import typer

from busctl.commands.common import FormatOption, OutputFormat
from busctl.rules.base import all_rules


def command(output: FormatOption = OutputFormat.text) -> int:
    """List every lint rule: id, name, severity and what it checks."""
    found = all_rules()
    if output is OutputFormat.json:
        typer.echo(
            json.dumps(
                [
                    {"id": r.id, "name": r.name, "severity": r.severity.value, "summary": r.summary()}
                    for r in found
                ],
                indent=2,
            )
        )
    elif output is OutputFormat.markdown:
        typer.echo("| id | name | severity | checks |\n|---|---|---|---|")
        for r in found:
            typer.echo(f"| {r.id} | {r.name} | {r.severity.value} | {r.summary()} |")
    else:
        for r in found:
            typer.echo(f"{r.id}  {r.name:<32} {r.severity.value:<8} {r.summary()}")
    return 0
