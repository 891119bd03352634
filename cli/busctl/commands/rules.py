"""`busctl rules [CODE]`: every code busctl reports (load errors, lint and check rules), from the registry."""

from __future__ import annotations

from typing import Annotated

import typer

from busctl.commands.common import FormatOption, OutputFormat, use_color
from busctl.core.diagnostics import BusctlError, did_you_mean
from busctl.render import rules as render
from busctl.render.json import as_json
from busctl.reports.rules import from_entries
from busctl.rules.base import entries


def command(
    code: Annotated[
        str | None,
        typer.Argument(metavar="CODE", help="Show one rule in full, with its Bad/Good examples."),
    ] = None,
    output: FormatOption = OutputFormat.text,
) -> int:
    """List the rules busctl checks, or show one.

    List every code busctl reports: id, severity, name, whether bus.yaml can change it (locked
    or not) and what it requires. Markdown prints the README's rule tables.

    Example: busctl rules BUS204
    """
    if output is OutputFormat.github:
        raise typer.BadParameter(
            "busctl rules prints text, json or markdown, not github", param_hint="'--format'"
        )
    found = entries()
    if code is not None:
        known = {e.id: e for e in found}
        if code.upper() not in known:
            raise BusctlError(
                f'no rule "{code}"', did_you_mean(code.upper(), known) or "`busctl rules` lists them all"
            )
        found = [known[code.upper()]]
    if output is OutputFormat.json:
        typer.echo(as_json(from_entries(found)), nl=False)
    elif output is OutputFormat.markdown:
        typer.echo(render.as_markdown(found), nl=False)
    elif code is not None:
        typer.echo(render.as_detail(found[0], color=use_color()), nl=False)
    else:
        typer.echo(render.as_text(found, color=use_color()), nl=False)
    return 0
