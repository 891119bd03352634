"""`busctl owner QUERY`: who owns a message, topic, file, directory, consumer group, principal, team or
glob, and why."""

from __future__ import annotations

from pathlib import Path

import typer

from busctl import workspace
from busctl.commands.common import FormatOption, OutputFormat, RepoOption
from busctl.core.ownership import EXPLICIT_KINDS, Ambiguous, NotFound, resolve_owner
from busctl.render import owner as render
from busctl.render.json import as_json
from busctl.render.style import wrap
from busctl.reports.owner import from_ownership

QUERIES = (
    "a query is a message FQN, a topic, a consumer group, a principal (User:NAME), a team, a file or "
    "directory path, or a quoted glob ('billing.*')"
)


def command(
    query: str = typer.Argument(
        ...,
        metavar="QUERY",
        help="A message (acme.billing.v1.InvoiceCreated), topic, consumer group, principal "
        "(User:billing-api), team, file or directory path, or a glob over topic names and paths "
        "('billing.*'). Prefix team:, topic:, message:, group:, principal: or file: when a name "
        "is ambiguous.",
    ),
    repo: RepoOption = Path("."),
    output: FormatOption = OutputFormat.text,
) -> int:
    """Show who owns a topic, message, group, principal or file.

    Show who owns a message, topic, consumer group, principal, file, directory, team or glob: the
    team(s), chat room, GitHub handle, topics, files, and which declaration decided it. Exit 1 (with
    suggestions) when nothing matches or the query is ambiguous.

    Example: busctl owner User:billing-api
    """
    loaded, _ = workspace.load_workspace(repo.resolve())
    try:
        found = resolve_owner(loaded.bus, loaded.schemas, query)
    except Ambiguous as ambiguous:
        kinds = " and a ".join(ambiguous.kinds)
        typer.echo(f'"{query}" is ambiguous: it names a {kinds}', err=True)
        typer.echo(f"  ask for one: {' or '.join(f'{k}:{query}' for k in ambiguous.kinds)}", err=True)
        return 1
    except NotFound as missing:
        typer.echo(f'nothing in the bus matches "{query}"', err=True)
        if missing.suggestions:
            typer.echo(f"  {missing.suggestions}", err=True)
        hint = f"{QUERIES}; to name a kind, prefix {', '.join(f'{k}:' for k in EXPLICIT_KINDS)}"
        typer.echo("\n".join(wrap(hint, "  ")), err=True)
        return 1
    report = from_ownership(loaded.bus, found)
    if output is OutputFormat.json:
        typer.echo(as_json(report), nl=False)
    elif output is OutputFormat.markdown:
        typer.echo(render.as_markdown(report), nl=False)
    else:
        typer.echo(render.as_text(report), nl=False)
    return 0
