"""`busctl owner QUERY`: who owns a message, topic, file, directory, consumer group, principal, team or
glob, and why."""

from __future__ import annotations

from pathlib import Path

import typer

from busctl import workspace
from busctl.commands.common import (
    ReadFormat,
    ReadFormatOption,
    RepoOption,
    echo_document,
)
from busctl.core.diagnostics import BusctlError
from busctl.core.ownership import EXPLICIT_KINDS, Ambiguous, NotFound, resolve_owner
from busctl.loading.bus import raw_identity
from busctl.render import owner as render
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
    output: ReadFormatOption = ReadFormat.text,
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
        raise BusctlError(
            f'"{query}" is ambiguous: it names a {" and a ".join(ambiguous.kinds)}',
            f"ask for one: {' or '.join(f'{k}:{query}' for k in ambiguous.kinds)}",
        ) from None
    except NotFound as missing:
        _refuse_if_held(loaded, repo.resolve(), query)
        kinds = f"{QUERIES}; to name a kind, prefix {', '.join(f'{k}:' for k in EXPLICIT_KINDS)}"
        raise BusctlError(
            f'nothing in the bus matches "{query}"',
            missing.suggestions or kinds,
        ) from None
    report = from_ownership(loaded.bus, found)
    echo_document(output, report, lambda: render.as_text(report), lambda: render.as_markdown(report))
    return 0


def _refuse_if_held(loaded: workspace.Workspace, repo: Path, query: str) -> None:
    """A topic whose file has lint errors is not in the bus, but its file still names it: say so."""
    loaded_files = {decl.file for decl in loaded.bus.topics}
    for error in loaded.report.errors:
        file = error.span.file
        if file.startswith("topics/") and file not in loaded_files and raw_identity(repo, file)[0] == query:
            raise BusctlError(
                f'topic "{query}" is declared in {file}, which has lint errors: {error.span}: {error.code} '
                f"{error.message}",
                "fix the file (`busctl lint` shows every error), then ask again",
            )
