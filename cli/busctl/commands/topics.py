"""`busctl topics`: the declared topics, and with --cluster what is there and how it drifts."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer

from busctl.commands.common import (
    ReadFormat,
    ReadFormatOption,
    RepoOption,
    echo_document,
    progress,
    use_color,
)
from busctl.commands.plan import TimeoutOption
from busctl.core.diagnostics import BusctlError, did_you_mean
from busctl.core.model import Team
from busctl.planning import planner, valid_bus
from busctl.render import topics as render
from busctl.reports.topics import from_bus

TeamOption = Annotated[
    str | None, typer.Option("--team", metavar="TEAM", help="Only the topics this team owns.")
]
ClusterOption = Annotated[
    str | None,
    typer.Option(
        "--cluster", "-c", metavar="CLUSTER", help="Compare with this cluster (bus.yaml clusters:): drift."
    ),
]


def command(
    team: TeamOption = None,
    cluster: ClusterOption = None,
    repo: RepoOption = Path("."),
    output: ReadFormatOption = ReadFormat.text,
    timeout: TimeoutOption = 30.0,
) -> int:
    """List the declared topics, with drift against a cluster.

    List the declared topics: owner, partitions, replication factor, clusters, lifecycle. With
    --cluster, read the cluster as plan does and show declared/actual and the drift of each topic
    (in sync, missing, differs: which fields, tombstoned) and the undeclared topics (unmanaged).

    Example: busctl topics --team billing --cluster prod
    """
    if cluster is None:
        bus = valid_bus(repo, untouched="no topics were listed")
        _known_team(bus.teams, team)
        report = from_bus(bus, team)
    else:
        reader = planner(repo, cluster, timeout=timeout)
        _known_team(reader.bus.teams, team)
        with progress(f"reading cluster {cluster}"):
            survey = reader.survey()
        report = from_bus(reader.bus, team, cluster, survey.state, survey.plan)
    echo_document(
        output,
        report,
        lambda: render.as_text(report, color=use_color()),
        lambda: render.as_markdown(report),
    )
    return 0


def _known_team(teams: Mapping[str, Team], team: str | None) -> None:
    if team is not None and team not in teams:
        raise BusctlError(
            f'team "{team}" is not defined in teams.yaml',
            did_you_mean(team, teams) or f"teams: {', '.join(sorted(teams)) or 'none'}",
        )
