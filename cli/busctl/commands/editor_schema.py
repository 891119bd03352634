"""`busctl editor-schema`: JSON Schemas of the bus files (for editors) and of every report (for tools)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from busctl.commands.generated import sync
from busctl.core.diagnostics import did_you_mean
from busctl.core.jsonschema import FILES, json_schema, schema_files
from busctl.render.style import wrap
from busctl.reports.registry import REPORTS, report_schema, report_schema_files


def command(
    kind: Annotated[
        str | None,
        typer.Argument(
            metavar="KIND",
            help="Print one schema: topic, connector, teams, bus, or a report (lint-report, plan-report, "
            "...: `busctl editor-schema --list` names them all).",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="DIR",
            help="Write topic/connector/teams/bus.schema.json (with --reports: every report's) into DIR.",
            file_okay=False,
        ),
    ] = None,
    reports: bool = typer.Option(False, "--reports", help="With --out: the report schemas."),
    check: bool = typer.Option(False, "--check", help="With --out: write nothing; exit 1 if stale."),
    listing: bool = typer.Option(False, "--list", help="List the schema kinds and what each describes."),
) -> int:
    """Print or write the JSON Schemas for editors and tools.

    JSON Schemas generated from busctl's own models: of the YAML files, so editors complete and
    validate them, and of each command's `--format json` report, so tools can rely on them.

    Write them into the repo (`busctl editor-schema --out .busctl`) and start a file with a
    modeline, e.g. `# yaml-language-server: $schema=../../.busctl/topic.schema.json` in
    topics/<team>/<topic>.yaml.

    Example: busctl editor-schema plan-report > plan-report.schema.json"""
    if listing:
        titles = {kind: FILES[kind][1] for kind in FILES} | {
            kind: REPORTS[kind][1] for kind in sorted(REPORTS)
        }
        width = max(map(len, titles)) + 2
        lines = [
            line for kind, title in titles.items() for line in wrap(title, f"{kind:<{width}}", " " * width)
        ]
        typer.echo("".join(f"{line}\n" for line in lines), nl=False)
        return 0
    if out is None:
        if kind is None:
            raise typer.BadParameter("name a schema kind (`busctl editor-schema --list`) or use --out DIR")
        typer.echo(_schema(kind), nl=False)
        return 0
    if reports:
        if kind is not None:
            raise typer.BadParameter("--reports writes every report schema; leave out KIND")
        return sync(out, report_schema_files(), f"busctl editor-schema --reports --out {out}", check)
    if kind is not None and kind not in FILES:
        raise typer.BadParameter(f"--out writes file schemas ({', '.join(FILES)}); for reports use --reports")
    wanted = schema_files([kind] if kind else None)
    return sync(out, wanted, f"busctl editor-schema --out {out}", check)


def _schema(kind: str) -> str:
    if kind in FILES:
        return json_schema(kind)
    if kind in REPORTS:
        return report_schema(kind)
    # a command's name (`plan`) means its report (`plan-report`)
    suggestion = did_you_mean(f"{kind}-report", REPORTS, cutoff=1) or did_you_mean(kind, [*FILES, *REPORTS])
    raise typer.BadParameter(
        f"no schema {kind!r}"
        + (f" ({suggestion})" if suggestion else "")
        + "; `busctl editor-schema --list` names them",
        param_hint="KIND",
    )
