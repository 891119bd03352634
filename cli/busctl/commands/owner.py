"""`busctl owner QUERY`: who owns a message, topic, file or team, and why."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import typer

from busctl import workspace
from busctl.commands.common import FormatOption, OutputFormat, RepoOption
from busctl.core.ownership import NotFound, Ownership, resolve_owner
from busctl.core.topic_configs import load_catalogue

OWNER_FORMAT_VERSION = 1


def command(
    query: str = typer.Argument(
        ..., help="A message (acme.billing.v1.InvoiceCreated), topic, file path or team."
    ),
    repo: RepoOption = Path("."),
    output: FormatOption = OutputFormat.text,
) -> int:
    """Show the owning team of a message, topic, file or team: chat room, GitHub handle, topics,
    files, and which declaration decided it. Exit 1 (with suggestions) when nothing matches."""
    loaded, _ = workspace.load_workspace(repo.resolve())
    try:
        found = resolve_owner(loaded.bus, loaded.schemas, query)
    except NotFound as missing:
        typer.echo(f'nothing in the bus matches "{query}"', err=True)
        if missing.suggestions:
            typer.echo(f"  {missing.suggestions}", err=True)
        typer.echo("  a query is a message FQN, a topic name, a file path or a team", err=True)
        return 1
    team = loaded.bus.teams.get(found.team)
    if output is OutputFormat.json:
        document = {
            "format_version": OWNER_FORMAT_VERSION,
            **asdict(found),
            "chat": team.chat if team else None,
            "github": team.github if team else None,
        }
        typer.echo(json.dumps(document, indent=2))
    elif output is OutputFormat.markdown:
        typer.echo(_markdown(found, team.chat if team else None, team.github if team else None))
    else:
        typer.echo(_text(found, team.chat if team else None, team.github if team else None))
    return 0


def _rows(found: Ownership, chat: str | None, github: str | None) -> list[tuple[str, list[str]]]:
    team = found.team or "(nobody)"
    return [
        ("team", [f"{team} ({github})" if github else team]),
        ("chat", [chat or "(no chat room in teams.yaml)"]),
        ("topics", found.topics or ["-"]),
        ("files", found.files or ["-"]),
        *(
            [("config", [f"{k} = {load_catalogue().display(k, v)}" for k, v in found.config.items()])]
            if found.config
            else []
        ),
        ("why", found.why),
    ]


def _text(found: Ownership, chat: str | None, github: str | None) -> str:
    lines = []
    for label, values in _rows(found, chat, github):
        for index, value in enumerate(values):
            lines.append(f"{label if index == 0 else '':<8}{value}")
    return "\n".join(lines)


def _markdown(found: Ownership, chat: str | None, github: str | None) -> str:
    lines = [f"**{found.query}** ({found.kind})", "", "| | |", "|---|---|"]
    lines += [
        f"| {label} | {'<br>'.join(f'`{v}`' for v in values)} |"
        for label, values in _rows(found, chat, github)
    ]
    return "\n".join(lines)
