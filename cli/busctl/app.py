"""The `busctl` command line: typer wiring and the one error boundary.

Commands live in busctl.commands; each returns an exit code. Known failures (BusctlError) print one
clear line and exit 1; usage errors exit 2; a crash says so, where the details went, and where to report it.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import tempfile
import traceback
from collections.abc import Iterator
from typing import Any

import typer

from busctl import __version__, collector
from busctl.commands.common import exit_with_code, interactive
from busctl.core.diagnostics import BusctlError
from busctl.interrupts import exit_code, install
from busctl.render.github import inert
from busctl.render.style import error_text

ISSUES_URL = "https://github.com/acme/busctl/issues"
COMMANDS = {  # name -> module in busctl.commands, in the order `busctl --help` lists them
    "lint": "lint",
    "check": "check",
    "plan": "plan",
    "apply": "apply",
    "import": "import_",
    "owner": "owner",
    "topics": "topics",
    "describe": "describe",
    "codeowners": "codeowners",
    "comment": "comment",
    "lag": "lag",
    "connectors": "connectors",
    "verify": "verify",
    "alerts": "alerts",
    "rules": "rules",
    "schema": "schema",
    "editor-schema": "editor_schema",
    "init": "init",
}


class LazyCommands(typer.core.TyperGroup):
    """busctl's commands, each imported only when it runs (or help lists it): a command's start-up pays
    for its own modules, not for every command's Kafka, git, jinja2 and report models."""

    def list_commands(self, ctx: Any) -> list[str]:  # ctx: click's Context (typer vendors click)
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in COMMANDS:
            return None
        with collector.paused():  # a command's modules live as long as busctl: never worth collecting
            module = importlib.import_module(f"busctl.commands.{COMMANDS[cmd_name]}")
        if hasattr(module, "group"):  # a command of subcommands (busctl schema show|list)
            return typer.main.get_command(module.group)
        single = typer.Typer(rich_markup_mode=None, pretty_exceptions_enable=False, add_completion=False)
        single.command(cmd_name)(exit_with_code(module.command))
        return typer.main.get_command(single)

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        with _interrupt_reported():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: Any) -> Any:
        with _interrupt_reported():  # the command's import, its arguments and its run
            return super().invoke(ctx)


@contextlib.contextmanager
def _interrupt_reported() -> Iterator[None]:
    """An interrupt ends busctl with "Interrupted." (or "Terminated") and its signal's exit code;
    typer itself would end it as a silent 130, whatever the signal."""
    try:
        yield
    except KeyboardInterrupt as interrupt:
        raise typer.Exit(exit_code(interrupt)) from None


app = typer.Typer(
    cls=LazyCommands,
    name="busctl",
    help="GitOps for Apache Kafka: topics and protobuf schemas declared in git, linted, checked, "
    "planned and applied, with lag alerts for every consumer group. `busctl COMMAND -h` shows a "
    "command's options and an example.\n\nExample: busctl plan --cluster prod --topic 'billing.*'",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    add_completion=True,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"busctl {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Top-level options."""


def main(argv: list[str] | None = None) -> int:
    """Run busctl; return the process exit code."""
    install()
    try:
        app(args=argv, prog_name="busctl")  # typer handles --help, usage errors (exit 2) and typer.Exit
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except BusctlError as err:
        # an error may quote the repo or the cluster (a topic name): inert in a workflow log
        typer.echo(inert(error_text(err, wrapped=interactive())), err=True, nl=False)
        return 1
    except KeyboardInterrupt as interrupt:  # outside a command (typer turns those into a silent 130)
        return exit_code(interrupt)
    except Exception as crash:  # the boundary: never show a raw traceback to a user
        return _report_crash(crash)
    return 0


def _report_crash(crash: Exception) -> int:
    details = "".join(traceback.format_exception(crash))
    if os.environ.get("BUSCTL_DEBUG"):
        sys.stderr.write(details)
    handle, path = tempfile.mkstemp(prefix="busctl-crash-", suffix=".log")
    with os.fdopen(handle, "w") as log:
        log.write(f"busctl {__version__}\nargv: {sys.argv}\n\n{details}")
    typer.echo(
        f"busctl: unexpected error ({type(crash).__name__}: {crash}). This is a bug in busctl.", err=True
    )
    typer.echo(
        f"  the details are in {path}; please report it at {ISSUES_URL} (set BUSCTL_DEBUG=1 to print them)",
        err=True,
    )
    return 1
