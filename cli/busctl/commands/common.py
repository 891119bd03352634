"""Options shared by several commands."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Protocol, TypeVar

import typer
from pydantic import BaseModel

from busctl.core.diagnostics import BusctlError
from busctl.render.github import inert
from busctl.render.json import as_json


class OutputFormat(StrEnum):
    """Report formats."""

    text = "text"
    json = "json"
    github = "github"
    markdown = "markdown"


class ReadFormat(StrEnum):
    """Formats of the read commands (topics, describe, owner): nothing to annotate, so no github."""

    text = "text"
    json = "json"
    markdown = "markdown"


class FindingsFormat(StrEnum):
    """Formats of lint and check, the commands with findings: the report formats and SARIF."""

    text = "text"
    json = "json"
    github = "github"
    markdown = "markdown"
    sarif = "sarif"


RepoOption = Annotated[
    Path,
    typer.Option(
        "--repo",
        metavar="DIR",
        help="The bus repo (holds bus.yaml).",
        file_okay=False,
        show_default="current directory",
    ),
]
NoCacheOption = Annotated[
    bool,
    typer.Option(
        "--no-cache", help="Parse, compile (and buf-lint) every file; neither read nor write the cache."
    ),
]
CacheDirOption = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir",
        metavar="DIR",
        envvar="BUSCTL_CACHE_DIR",
        help="Keep the results for unchanged files here: parsed YAML, protoc's index, buf's findings "
        "(CI can persist it).",
        show_default=".busctl-cache in the repo",
        file_okay=False,
    ),
]
FormatOption = Annotated[
    OutputFormat,
    typer.Option(
        "--format",
        "-f",
        metavar="FORMAT",
        help="Output format: text, json (stable, versioned), github "
        "(workflow annotations) or markdown (PR comments).",
        case_sensitive=False,
    ),
]

ReadFormatOption = Annotated[
    ReadFormat,
    typer.Option(
        "--format",
        "-f",
        metavar="FORMAT",
        help="Output format: text, json (stable, versioned) or markdown.",
        case_sensitive=False,
    ),
]

TextJsonFormatOption = Annotated[
    OutputFormat,
    typer.Option(
        "--format",
        "-f",
        metavar="FORMAT",
        help="Output format: text, or json (stable, versioned): what was done, per item.",
        case_sensitive=False,
    ),
]
"""--format for commands that report what they did: github and markdown are refused (`wants_json`)."""


def echo_document(
    output: ReadFormat, report: BaseModel, text: Callable[[], str], markdown: Callable[[], str]
) -> None:
    """Print a read command's report as JSON, markdown or text."""
    if output is ReadFormat.json:
        typer.echo(as_json(report), nl=False)
    else:
        echo_text(markdown() if output is ReadFormat.markdown else text())


def wants_json(output: OutputFormat, command: str) -> bool:
    """True for --format json, False for text; a usage error (exit 2) for github and markdown, which
    `busctl COMMAND` has nothing to say in."""
    if output in (OutputFormat.github, OutputFormat.markdown):
        raise typer.BadParameter(
            f"busctl {command} prints text or json, not {output.value}", param_hint="'--format'"
        )
    return output is OutputFormat.json


FindingsFormatOption = Annotated[
    FindingsFormat,
    typer.Option(
        "--format",
        "-f",
        metavar="FORMAT",
        help="Output format: text, json (stable, versioned), github (workflow annotations), markdown "
        "(PR comments) or sarif (SARIF 2.1.0, for GitHub code scanning).",
        case_sensitive=False,
    ),
]

ReportOutOption = Annotated[
    Path | None,
    typer.Option(
        "--out",
        metavar="FILE",
        dir_okay=False,
        help="Also save the JSON report to FILE, whatever --format prints.",
    ),
]


def exit_with_code(command: Callable[..., int]) -> Callable[..., None]:
    """Adapt a command that returns an exit code to typer, which expects typer.Exit (interrupts are
    reported by busctl.app, around every command)."""

    @functools.wraps(command)
    def run(*args: object, **kwargs: object) -> None:
        raise typer.Exit(command(*args, **kwargs))

    return run


def echo_text(text: str) -> None:
    """Print a text report to stdout; in a workflow log, none of its lines can act as a workflow command
    (render.github.inert): they may quote values from the repo or the cluster."""
    typer.echo(inert(text), nl=False)


R = TypeVar("R", contravariant=True)


class Renderer(Protocol[R]):
    """A render module of one report kind (busctl.render.lag, busctl.render.verify)."""

    def as_text(self, report: R, color: bool = False) -> str: ...
    def as_json(self, report: R) -> str: ...
    def as_markdown(self, report: R) -> str: ...
    def as_github(self, report: R, root: str = "") -> str: ...


def command_group(name: str, cls: type[typer.core.TyperGroup] | None = None) -> typer.Typer:
    """A command of subcommands (busctl schema show|list), with the help and error handling of every
    busctl command."""
    return typer.Typer(
        name=name,
        cls=cls,
        no_args_is_help=True,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        add_completion=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )


def echo_report(output: OutputFormat, render: Renderer[R], report: R, repo: Path) -> None:
    """Print the report in the chosen format (github: the text, then its workflow annotations on the
    files of the bus repo `repo`)."""
    if output is OutputFormat.json:
        typer.echo(render.as_json(report), nl=False)
    elif output is OutputFormat.markdown:
        typer.echo(render.as_markdown(report), nl=False)
    else:
        echo_text(render.as_text(report, color=use_color()))
        if output is OutputFormat.github:
            typer.echo(render.as_github(report, root=repository_directory(repo)), nl=False)


def repository_directory(repo: Path) -> str:
    """Where the bus repo `repo` is in its git repository ("" at the top or outside git): GitHub
    names files from the repository's root, so a bus in a monorepo's `bus/` annotates `bus/topics/…`."""
    from busctl.adapters import git  # gitpython only for the formats that name files for GitHub

    return git.directory_in_repository(repo.resolve()) or ""


def write_file(path: Path, text: str, parents: bool = False) -> None:
    """Write `text` to `path` (creating its directories when `parents`); a path that cannot be written
    (a missing directory, a file where a directory should be, no permission) is an error naming it."""
    try:
        if parents:
            path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    except OSError as err:
        where = f"{err.filename}: " if err.filename and str(err.filename) != str(path) else ""
        raise BusctlError(
            f"cannot write {path}: {where}{err.strerror or err}",
            f"check that {path.parent} is a directory you may write to",
        ) from None


def use_color() -> bool:
    """Colours only on a terminal, and never when NO_COLOR is set to a value (no-color.org: an empty
    NO_COLOR does not count, as in rich's own consoles)."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def interactive() -> bool:
    """A person is watching stderr: a terminal, and not a CI job (which sets CI=true)."""
    return sys.stderr.isatty() and not os.environ.get("CI")


@contextlib.contextmanager
def progress(message: str) -> Iterator[None]:
    """A spinner with `message` on stderr while a long operation runs, only when interactive(): CI
    logs and pipes stay free of progress noise."""
    if not interactive():
        yield
        return
    from rich.console import Console  # only a person at a terminal pays for rich's import

    with Console(stderr=True).status(message):
        yield
