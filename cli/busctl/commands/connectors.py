"""`busctl connectors status`: every declared connector of a cluster as its Kafka Connect cluster runs
it, as a health check."""

from __future__ import annotations

import os
from pathlib import Path

from busctl.adapters import connect as connect_api
from busctl.commands.common import (
    FormatOption,
    OutputFormat,
    RepoOption,
    command_group,
    echo_report,
    exit_with_code,
    progress,
)
from busctl.commands.plan import ClusterOption, TimeoutOption
from busctl.core.connectors import ConnectorsStatus, desired_connectors, health
from busctl.core.diagnostics import BusctlError, did_you_mean
from busctl.planning import valid_bus
from busctl.render import connectors as render

group = command_group("connectors")


@group.callback()
def _connectors() -> None:
    """Kafka Connect connectors: how the declared ones run.

    `busctl connectors status --cluster NAME` shows each declared connector and its tasks as the
    cluster's Connect cluster (bus.yaml clusters.NAME.connect) runs them. Connectors are created,
    changed, paused, resumed and deleted by `busctl plan` and `busctl apply`, like topics.

    Example: busctl connectors status --cluster prod
    """


def status(
    cluster: ClusterOption,
    repo: RepoOption = Path("."),
    output: FormatOption = OutputFormat.text,
    timeout: TimeoutOption = 30.0,
) -> int:
    """Each declared connector's state and tasks, against its file.

    Every connector declared on the cluster, with its state and its tasks' states as the Connect
    cluster reports them, a FAILED task's error in one line, and the connectors there that no
    declaration names (left alone). Exit 1 when a declared connector is missing, FAILED, has a
    FAILED task, or is not in its declared state (running or paused).

    Example: busctl connectors status --cluster prod --format json
    """
    bus = valid_bus(repo, untouched="nothing was read from the Connect cluster")
    if cluster not in bus.config.clusters:
        raise BusctlError(
            f'cluster "{cluster}" is not defined in bus.yaml',
            did_you_mean(cluster, bus.config.clusters) or "add it under clusters: in bus.yaml",
        )
    settings = bus.config.clusters[cluster].connect
    if settings is None:
        raise BusctlError(
            f"cluster {cluster} has no Connect cluster in bus.yaml",
            f"add clusters.{cluster}.connect: {{url: http://connect:8083}} to bus.yaml",
        )
    desired = desired_connectors(bus, cluster, os.environ)
    with connect_api.connect(cluster, settings, timeout) as api, progress(f"reading {api.url}"):
        observed = api.connectors()
        version = api.version()
    declared = {d.name for d in desired}
    found = ConnectorsStatus(
        cluster=cluster,
        url=api.url,
        version=version,
        connectors=health(desired, observed),
        unmanaged=sorted(name for name in observed if name not in declared),
    )
    echo_report(output, render, found, repo)
    return 1 if found.failing else 0


group.command("status")(exit_with_code(status))
