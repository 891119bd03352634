"""`busctl lint`: validate every declaration, schema and policy rule, offline."""

from __future__ import annotations

from pathlib import Path

import typer

from busctl import workspace
from busctl.adapters.cache import open_cache
from busctl.commands.common import (
    CacheDirOption,
    FindingsFormat,
    FindingsFormatOption,
    NoCacheOption,
    RepoOption,
    ReportOutOption,
    echo_text,
    progress,
    repository_directory,
    use_color,
    write_file,
)
from busctl.render import diagnostics as render


def command(
    repo: RepoOption = Path("."),
    output: FindingsFormatOption = FindingsFormat.text,
    no_buf: bool = typer.Option(False, "--no-buf", help="Skip `buf lint` on the .proto files."),
    out: ReportOutOption = None,
    no_cache: NoCacheOption = False,
    cache_dir: CacheDirOption = None,
) -> int:
    """Validate the declarations and schemas, offline.

    Check bus.yaml, teams.yaml, topics/ and schemas/ (with buf lint): exit 0 clean, 1 on errors.

    Every finding has a file:line:col, a rule id (BUSnnn or buf:RULE) and a hint. Warnings are shown
    but do not fail. `busctl rules` lists the rules. protoc's and buf's results for unchanged schemas
    are cached in .busctl-cache/ (--cache-dir, BUSCTL_CACHE_DIR; --no-cache).

    Example: busctl lint --format github --out lint.json
    """
    with progress("linting declarations and schemas"):
        cache = open_cache(repo.resolve(), cache_dir, enabled=not no_cache)
        result = workspace.lint(repo, run_buf=not no_buf, cache=cache)
    found = result.report.sorted()
    files = len(result.bus.files) + len(result.schemas.files)
    if output is FindingsFormat.text:
        echo_text(render.as_text(found, files, color=use_color()))
    elif output is FindingsFormat.json:
        typer.echo(render.as_json(found, files), nl=False)
    elif output is FindingsFormat.markdown:
        typer.echo(render.as_markdown(found, files), nl=False)
    else:
        renderer = render.as_github if output is FindingsFormat.github else render.as_sarif
        typer.echo(renderer(found, files, root=repository_directory(repo)), nl=False)
    if out is not None:
        write_file(out, render.as_json(found, files))
    return 1 if result.report.errors else 0
