"""`busctl plan`: what apply would change on a cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from busctl.commands.common import (
    FormatOption,
    OutputFormat,
    RepoOption,
    echo_text,
    progress,
    use_color,
    write_file,
)
from busctl.core.topic_configs import load_catalogue
from busctl.planning import planner
from busctl.render import plan as render

ClusterOption = Annotated[
    str, typer.Option("--cluster", "-c", metavar="CLUSTER", help="A cluster from bus.yaml clusters:.")
]
TopicOption = Annotated[
    str | None,
    typer.Option("--topic", "-t", metavar="GLOB", help="Only topics matching this glob (e.g. 'billing.*')."),
]
AllowDeleteOption = Annotated[
    bool, typer.Option("--allow-delete", help="Plan deletion of tombstoned (lifecycle: deleted) topics.")
]
TimeoutOption = Annotated[
    float,
    typer.Option(
        "--timeout",
        min=1,
        max=86400,
        metavar="SECONDS",
        help="Seconds to wait for the cluster (librdkafka waits at least 1 s).",
    ),
]
OutOption = Annotated[
    Path | None,
    typer.Option("--out", metavar="FILE", help="Save the plan (JSON) for `busctl apply --cluster X FILE`."),
]


def command(
    cluster: ClusterOption,
    repo: RepoOption = Path("."),
    output: FormatOption = OutputFormat.text,
    out: OutOption = None,
    topic: TopicOption = None,
    allow_delete: AllowDeleteOption = False,
    detailed_exitcode: bool = typer.Option(
        False, "--detailed-exitcode", help="Exit 0 no changes, 2 changes (or blocked ones), 1 error."
    ),
    timeout: TimeoutOption = 30.0,
) -> int:
    """Show what apply would change on a cluster.

    Read the cluster in bulk and show what apply would change: creates, config updates, partition
    increases, ACLs, deletions of tombstoned topics, blocked changes, and undeclared (unmanaged) topics.

    Example: busctl plan --cluster prod --out plan.json
    """
    with progress(f"reading cluster {cluster}"):
        plan = planner(repo, cluster, topic_filter=topic, allow_delete=allow_delete, timeout=timeout).plan()
    catalogue = load_catalogue()
    if out is not None:
        write_file(out, render.as_json(plan))  # the same bytes as --format json
    if output is OutputFormat.json:
        typer.echo(render.as_json(plan), nl=False)
    elif output is OutputFormat.markdown:
        typer.echo(render.as_markdown(plan, catalogue), nl=False)
    else:
        echo_text(render.as_text(plan, catalogue, color=use_color()))
        if output is OutputFormat.github:
            typer.echo(render.as_github(plan), nl=False)
        if out is not None:
            typer.echo(f"\nplan saved to {out}; apply it with\n  busctl apply --cluster {cluster} {out}")
    if detailed_exitcode and (plan.has_changes or plan.blocked):
        return 2
    return 0
