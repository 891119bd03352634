"""`busctl import`: write topic files for topics that exist in a cluster but are not declared."""

from __future__ import annotations

from pathlib import Path

import typer
import yaml

from busctl.commands.common import RepoOption, progress
from busctl.commands.plan import ClusterOption, TimeoutOption
from busctl.core.importer import import_topics
from busctl.core.topic_configs import load_catalogue
from busctl.planning import connect, valid_bus


def command(
    cluster: ClusterOption,
    repo: RepoOption = Path("."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the files instead of writing them."),
    timeout: TimeoutOption = 30.0,
) -> int:
    """Write topics/<owner>/<topic>.yaml for every undeclared topic of the cluster (protected topics
    excluded), so that `busctl plan` right after shows no changes for them. Owners come from the topic
    name when it starts with a team; schemas are left as placeholders that `busctl lint` reports."""
    bus = valid_bus(repo)
    with progress(f"reading cluster {cluster}"):
        state = connect(bus, cluster, timeout).read_state()
    imported = import_topics(bus, state, cluster, load_catalogue())
    if not imported:
        typer.echo(f"nothing to import: every topic of cluster {cluster} is declared or protected")
        return 0
    written = 0
    for item in imported:
        text = yaml.safe_dump(item.document, sort_keys=False, allow_unicode=True, width=110)
        target = repo / item.path
        if dry_run:
            typer.echo(f"--- {item.path}\n{text}")
            continue
        if target.exists():
            typer.echo(f"skipped {item.path}: the file exists", err=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, "utf-8")
        written += 1
        typer.echo(f"wrote {item.path}" + "".join(f"\n    todo: {t}" for t in item.todo))
    if not dry_run:
        typer.echo(
            f"\nimported {written} topic(s); fill in the todos, then run `busctl lint` and "
            f"`busctl plan --cluster {cluster}`"
        )
    return 0
