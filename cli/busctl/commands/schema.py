"""`busctl schema`: JSON Schemas of topic files, teams.yaml and bus.yaml, for editors."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from busctl.commands.generated import sync
from busctl.core.jsonschema import json_schema, schema_files


class FileKind(StrEnum):
    """The bus files that have a schema."""

    topic = "topic"
    teams = "teams"
    bus = "bus"


def command(
    kind: Annotated[FileKind | None, typer.Argument(help="Print one schema: topic, teams or bus.")] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write topic/teams/bus.schema.json into this directory.", file_okay=False),
    ] = None,
    check: bool = typer.Option(False, "--check", help="With --out: write nothing; exit 1 if stale."),
) -> int:
    """JSON Schemas generated from busctl's file formats, so editors complete and validate the YAML.

    Write them into the repo (`busctl schema --out .busctl`) and start a file with a modeline, e.g.
    `# yaml-language-server: $schema=../../.busctl/topic.schema.json` in topics/<team>/<topic>.yaml."""
    if out is None:
        if kind is None:
            raise typer.BadParameter("name a file kind (topic, teams, bus) or use --out DIR")
        typer.echo(json_schema(kind.value), nl=False)
        return 0
    wanted = schema_files([kind.value] if kind else None)
    return sync(out, wanted, f"busctl schema --out {out}", check)
