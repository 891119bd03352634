"""`busctl check --against REF`: breaking changes and ownership of a change."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from busctl.check import CheckResult, run_check
from busctl.commands.common import (
    FindingsFormat,
    FindingsFormatOption,
    RepoOption,
    ReportOutOption,
    echo_text,
    progress,
    repository_directory,
    use_color,
    write_file,
)
from busctl.render import check as render

AgainstOption = Annotated[
    str, typer.Option("--against", metavar="REF", help="The ref to compare with, e.g. origin/main.")
]


def command(
    against: AgainstOption,
    repo: RepoOption = Path("."),
    output: FindingsFormatOption = FindingsFormat.text,
    out: ReportOutOption = None,
) -> int:
    """Find the breaking changes against a ref, and whom to ask.

    Compare the working tree with the merge base of HEAD and REF: schema breaks (buf breaking),
    topic breaks (BUS5xx), who owns what changed and whom to notify. Exit 1 when something breaks and
    is not approved in the change (topic file `approvals:`).

    Example: busctl check --against origin/main --out check.json
    """
    with progress(f"comparing with {against} (buf breaking, topic rules)"):
        result = run_check(repo, against)
    # annotations and SARIF name files from the repository's root (git is asked only for them)
    root = repository_directory(repo) if output in (FindingsFormat.github, FindingsFormat.sarif) else ""
    renderers: dict[FindingsFormat, Callable[[CheckResult], str]] = {
        FindingsFormat.text: functools.partial(render.as_text, color=use_color()),
        FindingsFormat.json: render.as_json,
        FindingsFormat.github: functools.partial(render.as_github, root=root),
        FindingsFormat.markdown: render.as_markdown,
        FindingsFormat.sarif: functools.partial(render.as_sarif, root=root),
    }
    if output is FindingsFormat.text:
        echo_text(renderers[output](result))
    else:
        typer.echo(renderers[output](result), nl=False)
    if out is not None:
        write_file(out, render.as_json(result))
    return 1 if result.unapproved else 0
