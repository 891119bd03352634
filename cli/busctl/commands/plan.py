"""`busctl plan`: what apply would change on a cluster, or on several at once."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Protocol, TypeVar

import typer

from busctl.adapters.cache import open_cache
from busctl.adapters.kafka_errors import missing_credentials
from busctl.commands.common import (
    CacheDirOption,
    FormatOption,
    NoCacheOption,
    OutputFormat,
    RepoOption,
    echo_text,
    progress,
    use_color,
    write_file,
)
from busctl.core.diagnostics import BusctlError
from busctl.core.plan import FleetPlan, Plan, Skipped
from busctl.core.state import state_to_dict
from busctl.core.topic_configs import Catalogue, load_catalogue
from busctl.planning import is_pattern, planners, survey_fleet
from busctl.render import fleet as fleet_render
from busctl.render import plan as render

T_contra = TypeVar("T_contra", contravariant=True)
ClusterOption = Annotated[
    str, typer.Option("--cluster", "-c", metavar="CLUSTER", help="A cluster from bus.yaml clusters:.")
]
ClustersOption = Annotated[
    list[str] | None,
    typer.Option(
        "--cluster",
        "-c",
        metavar="CLUSTER",
        help="A cluster of bus.yaml, a glob ('prod-*') or a label (env=prod); repeatable.",
    ),
]
AllClustersOption = Annotated[
    bool, typer.Option("--all-clusters", help="Every cluster of bus.yaml (instead of --cluster).")
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
    typer.Option("--out", metavar="FILE", help="Save the plan (JSON) for `busctl apply FILE`."),
]


StateOption = Annotated[
    Path | None,
    typer.Option(
        "--state",
        metavar="DIR",
        help="Plan from the states recorded in DIR (DIR/CLUSTER.json) instead of reading the clusters.",
    ),
]
SaveStateOption = Annotated[
    Path | None,
    typer.Option("--save-state", metavar="DIR", help="Also record each cluster's state as DIR/CLUSTER.json."),
]


def is_fleet(selectors: list[str], every: bool) -> bool:
    """Whether the clusters are asked for as a fleet (several, a glob, a label, or all): then the
    report and the plan file are a fleet's, whatever number of clusters they pick."""
    return every or len(selectors) > 1 or any(is_pattern(s) for s in selectors)


def require_clusters(selectors: list[str], every: bool) -> None:
    """--cluster or --all-clusters, not both and not neither."""
    if every and selectors:
        raise typer.BadParameter("give --cluster or --all-clusters, not both", param_hint="'--cluster'")
    if not every and not selectors:
        raise typer.BadParameter(
            "name the cluster(s): --cluster NAME (repeatable; globs and labels such as env=prod "
            "work), or --all-clusters",
            param_hint="'--cluster'",
        )


def command(
    clusters: ClustersOption = None,
    all_clusters: AllClustersOption = False,
    repo: RepoOption = Path("."),
    output: FormatOption = OutputFormat.text,
    out: OutOption = None,
    topic: TopicOption = None,
    allow_delete: AllowDeleteOption = False,
    detailed_exitcode: bool = typer.Option(
        False, "--detailed-exitcode", help="Exit 0 no changes, 2 changes (or blocked ones), 1 error."
    ),
    timeout: TimeoutOption = 30.0,
    state: StateOption = None,
    save_state: SaveStateOption = None,
    no_cache: NoCacheOption = False,
    cache_dir: CacheDirOption = None,
    skip_without_credentials: bool = typer.Option(
        False,
        "--skip-without-credentials",
        help="When no chosen cluster has its credentials (bus.yaml's ${VAR}s unset or empty, as in a "
        "pull request from a fork), say the plan is skipped and exit 0 instead of failing.",
    ),
) -> int:
    """Show what apply would change on one or more clusters.

    Read each cluster in bulk (several at once) and show what apply would change: creates, config
    updates, partition increases, ACLs, deletions of tombstoned topics, blocked changes, undeclared
    (unmanaged) topics, and topics not planned because their files have lint errors (exit 1). A
    cluster with a schema registry in bus.yaml also gets its subjects planned: new subjects and
    versions (checked by the registry), compatibility levels, drift. --save-state records what was
    read; --state plans from such a record, offline, with the same fingerprints.

    Example: busctl plan --cluster 'prod-*' --out plan.json
    """
    selectors = list(clusters or [])
    require_clusters(selectors, all_clusters)
    making = planners(
        repo,
        selectors,
        every=all_clusters,
        topic_filter=topic,
        allow_delete=allow_delete,
        timeout=timeout,
        recorded=state,
        early=True,
        cache=open_cache(repo.resolve(), cache_dir, enabled=not no_cache),
        parsed=True,
    )
    if skip_without_credentials and state is None:
        lacking = {
            p.options.cluster: missing_credentials(p.bus.config.clusters[p.options.cluster], os.environ)
            for p in making
        }
        if all(lacking.values()):
            for planner in making:
                planner.close()
            _show_skipped(Skipped({c: tuple(v) for c, v in lacking.items()}), output, out)
            return 0
    names = ", ".join(p.options.cluster for p in making)
    with progress(f"reading cluster{'s' * (len(making) > 1)} {names}"):
        fleet, states = survey_fleet(making)
    if save_state is not None:
        for cluster, observed in states.items():
            _save(save_state / f"{cluster}.json", json.dumps(state_to_dict(observed), indent=1) + "\n")
    if is_fleet(selectors, all_clusters):
        _show_fleet(fleet, output, out)
        plans, failed = fleet.plans, bool(fleet.unread)
    else:
        if fleet.unread:  # one cluster asked for by name: its error is the command's
            raise BusctlError(fleet.unread[0].error, fleet.unread[0].hint)
        _show_plan(fleet.plans[0], output, out)
        plans, failed = fleet.plans, False
    if failed or any(p.not_planned for p in plans):
        return 1
    if detailed_exitcode and any(p.has_changes or p.blocked for p in plans):
        return 2
    return 0


def _show_skipped(skipped: Skipped, output: OutputFormat, out: Path | None) -> None:
    """Say why no plan was made; `out` records it (comment shows it, apply refuses it)."""
    if out is not None:
        write_file(out, render.skipped_as_json(skipped))
    if output is OutputFormat.json:
        typer.echo(render.skipped_as_json(skipped), nl=False)
        return
    echo_text(render.skipped_as_text(skipped))
    if output is OutputFormat.github:
        typer.echo(render.skipped_as_github(skipped), nl=False)


def _save(path: Path, text: str) -> None:
    """Write a recorded state atomically (a temporary file renamed over it), never through a symlink."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write_file(temporary, text, parents=True)
    os.replace(temporary, path)


class _Views(Protocol[T_contra]):
    """What render.plan and render.fleet both offer, for a plan or a fleet plan."""

    def as_json(self, value: T_contra, /) -> str: ...
    def as_markdown(self, value: T_contra, catalogue: Catalogue, /) -> str: ...
    def as_text(self, value: T_contra, catalogue: Catalogue, /, color: bool = False) -> str: ...
    def as_github(self, value: T_contra, /) -> str: ...


def _show_plan(plan: Plan, output: OutputFormat, out: Path | None) -> None:
    saved = f"plan saved to {out}\napply it with\n  busctl apply --cluster {plan.cluster} {out}"
    _show(plan, render, output, out, saved)


def _show_fleet(fleet: FleetPlan, output: OutputFormat, out: Path | None) -> None:
    saved = f"fleet plan saved to {out}\napply it, cluster by cluster, with\n  busctl apply {out}"
    _show(fleet, fleet_render, output, out, saved)


def _show(
    value: T_contra, views: _Views[T_contra], output: OutputFormat, out: Path | None, saved: str
) -> None:
    """Save the JSON document to `out` (the same bytes as --format json) and print the format asked."""
    catalogue = load_catalogue()
    document = views.as_json(value) if out is not None or output is OutputFormat.json else ""
    if out is not None:
        write_file(out, document)
    if output is OutputFormat.json:
        typer.echo(document, nl=False)
    elif output is OutputFormat.markdown:
        typer.echo(views.as_markdown(value, catalogue), nl=False)
    else:
        echo_text(views.as_text(value, catalogue, color=use_color()))
        if output is OutputFormat.github:
            typer.echo(views.as_github(value), nl=False)
        if out is not None:
            typer.echo(f"\n{saved}")
