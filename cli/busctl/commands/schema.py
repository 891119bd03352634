"""`busctl schema show NAME` and `busctl schema list`: the protobuf messages of the bus, with owner,
topics, consumers and history. (busctl's JSON Schemas are `busctl editor-schema`.)"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated, Any

import typer

from busctl import workspace
from busctl.adapters.git import line_history
from busctl.commands.common import (
    ReadFormat,
    ReadFormatOption,
    RepoOption,
    command_group,
    echo_document,
    exit_with_code,
    use_color,
)
from busctl.core.diagnostics import BusctlError, did_you_mean
from busctl.core.messages import definition, find_message
from busctl.render import schema as render
from busctl.reports.schema import from_message, from_schemas

EDITOR_OPTIONS = ("--out", "--reports", "--check", "--list")


class SchemaCommands(typer.core.TyperGroup):
    """`busctl schema`'s subcommands; what `busctl schema` did before (the JSON Schemas, now
    `busctl editor-schema`) is refused with the new spelling."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # ctx: click's Context
        if args and args[0] not in self.commands and _editor_schema(args[0]):
            ctx.fail(
                f"`busctl schema {args[0]}` moved: run `busctl editor-schema {shlex.join(args)}` "
                "(busctl schema now shows the protobuf messages: `busctl schema show NAME`, "
                "`busctl schema list`)"
            )
        result: list[str] = super().parse_args(ctx, args)
        return result


def _editor_schema(word: str) -> bool:
    """Whether `word`, first after `busctl schema`, is how `busctl editor-schema` was spelt before."""
    if word.partition("=")[0] in EDITOR_OPTIONS:
        return True
    from busctl.core.jsonschema import FILES  # only for a word that is no subcommand: seldom paid
    from busctl.reports.registry import REPORTS

    return word in FILES or word in REPORTS or f"{word}-report" in REPORTS


group = command_group("schema", SchemaCommands)


@group.callback()
def _schema() -> None:
    """Show or list the protobuf messages: owner, topics, history.

    `busctl schema show NAME` shows one message: its definition with its comments, file and line,
    owning team and chat room, the topics carrying it and their consumer groups, and the commits
    that changed it. `busctl schema list` lists the messages with owner, topics and location.
    (busctl's JSON Schemas, for editors and tools, are `busctl editor-schema`.)

    Example: busctl schema show acme.billing.v1.InvoiceCreated
    """


def show(
    name: str = typer.Argument(
        ...,
        metavar="NAME",
        help="A message (acme.billing.v1.InvoiceCreated, or InvoiceCreated when one message has that "
        "name) or a topic (billing.invoice-created.v1: its value message).",
    ),
    repo: RepoOption = Path("."),
    output: ReadFormatOption = ReadFormat.text,
) -> int:
    """Show one message: definition, owner, topics, consumers, history.

    Show a protobuf message: its definition with its leading comments, file:line:col, the owning
    team and chat room (as `busctl owner` decides it), the topics carrying it (as value or key)
    and their consumer groups with their teams, and the newest commits that changed its lines
    (`git log -L`). A topic's name shows its value message. Exit 1 with did-you-mean when NAME
    names neither, or when the schemas do not compile.

    Example: busctl schema show billing.invoice-created.v1
    """
    root = repo.resolve()
    loaded = _compiled(root)
    found = find_message(loaded.bus, loaded.schemas, name)
    message = found.message
    try:
        text = (root / message.file).read_text("utf-8", errors="replace")
    except OSError as err:
        raise BusctlError(f"cannot read {message.file}: {err.strerror or err}") from None
    lines = definition(text, message)
    history = line_history(root, message.file, (lines[0], lines[0] + len(lines[1]) - 1), message.span.line)
    report = from_message(loaded.bus, loaded.schemas, name, found, lines, history)
    echo_document(
        output,
        report,
        lambda: render.show_text(report, color=use_color()),
        lambda: render.show_markdown(report),
    )
    return 0


def listing(
    team: Annotated[
        str | None, typer.Option("--team", metavar="TEAM", help="Only the messages this team owns.")
    ] = None,
    repo: RepoOption = Path("."),
    output: ReadFormatOption = ReadFormat.text,
) -> int:
    """List the messages with owner, topics and file:line.

    List every top-level message of the schema module, and every nested message a topic carries:
    its owning team (as `busctl owner` decides it), the topics carrying it (as value or key) and
    where it is defined. `--team` keeps the messages that team owns; an unknown team is an error
    with did-you-mean (exit 1).

    Example: busctl schema list --team billing
    """
    loaded = _compiled(repo.resolve())
    if team is not None and team not in loaded.bus.teams:
        raise BusctlError(
            f'no team "{team}" in teams.yaml',
            did_you_mean(team, loaded.bus.teams) or f"teams: {', '.join(loaded.bus.teams)}",
        )
    report = from_schemas(loaded.bus, loaded.schemas, team)
    echo_document(
        output,
        report,
        lambda: render.list_text(report, color=use_color()),
        lambda: render.list_markdown(report),
    )
    return 0


def _compiled(repo: Path) -> workspace.Workspace:
    """The bus and its compiled schemas; an error naming the first problem when they do not compile."""
    loaded, _ = workspace.load_workspace(repo)
    if not loaded.schemas.compiled:
        root = f"{loaded.schemas.root}/"
        first = next((e for e in loaded.report.errors if e.span.file.startswith(root)), None)
        raise BusctlError(
            "the schemas do not compile" + (f": {first.span}: {first.message}" if first else ""),
            "fix the .proto files (`busctl lint` shows every error)",
        )
    return loaded


group.command("show")(exit_with_code(show))
group.command("list")(exit_with_code(listing))
