"""`busctl import`: write topic files for topics that exist in a cluster but are not declared."""

from __future__ import annotations

from pathlib import Path

import typer
import yaml

from busctl.commands.common import (
    OutputFormat,
    RepoOption,
    TextJsonFormatOption,
    progress,
    wants_json,
    write_file,
)
from busctl.commands.plan import ClusterOption, TimeoutOption
from busctl.core.importer import Imported, import_topics
from busctl.core.topic_configs import load_catalogue
from busctl.planning import connect, valid_bus
from busctl.render.json import as_json
from busctl.reports.import_ import FileOutcome, import_report


def command(
    cluster: ClusterOption,
    repo: RepoOption = Path("."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the files instead of writing them."),
    timeout: TimeoutOption = 30.0,
    output: TextJsonFormatOption = OutputFormat.text,
) -> int:
    """Declare the topics a cluster has and the repo lacks.

    Write topics/<owner>/<event>.yaml for every undeclared topic of the cluster (protected topics
    excluded), so that `busctl plan` right after shows no changes for them. Owners come from the topic
    name when it starts with a team; schemas are left as placeholders that `busctl lint` reports.
    With several clusters in bus.yaml, a topic is placed on this cluster only. Values this cluster's
    defaults and overrides explain are left out; rules a topic breaks as it is (a legacy name) get
    an exemption. --format json lists each topic's file, what became of it and its todos, and the
    topics skipped.

    Example: busctl import --cluster prod --dry-run
    """
    as_document = wants_json(output, "import")
    bus = valid_bus(repo)
    with progress(f"reading cluster {cluster}"):
        state = connect(bus.config, cluster, timeout).read_state()
    found = import_topics(bus, state, cluster, load_catalogue())
    files = [_write(repo, item, dry_run) for item in found.imported]
    if as_document:
        typer.echo(as_json(import_report(cluster, dry_run, found, files)), nl=False)
        return 0
    if not files:
        typer.echo(f"nothing to import: every topic of cluster {cluster} is declared or protected")
        return 0
    for item, text, outcome in files:
        if dry_run:
            typer.echo(f"--- {item.path}\n{text}")
        elif outcome == "exists":
            typer.echo(f"skipped {item.path}: the file exists", err=True)
        else:
            typer.echo(f"wrote {item.path}" + "".join(f"\n    todo: {t}" for t in item.todo))
    if not dry_run:
        written = sum(outcome == "written" for _, _, outcome in files)
        typer.echo(
            f"\nimported {written} topic(s); fill in the todos, then run `busctl lint` and "
            f"`busctl plan --cluster {cluster}`"
        )
    return 0


def _write(repo: Path, item: Imported, dry_run: bool) -> tuple[Imported, str, FileOutcome]:
    """Write the topic's file unless it exists (never overwritten) or this is a dry run."""
    text = yaml.safe_dump(item.document, sort_keys=False, allow_unicode=True, width=110)
    target = repo / item.path
    if target.exists():
        return item, text, "exists"
    if dry_run:
        return item, text, "would-write"
    write_file(target, text, parents=True)
    return item, text, "written"
