"""`busctl lag`: live lag of every declared consumer group against its objective, as a health check."""

from __future__ import annotations

import fnmatch
import time
from pathlib import Path
from typing import Annotated

import typer

from busctl.commands.common import FormatOption, OutputFormat, RepoOption, progress, use_color
from busctl.commands.plan import ClusterOption, TimeoutOption, TopicOption
from busctl.core.alerts import lag_targets
from busctl.core.diagnostics import BusctlError
from busctl.core.lag import assess, unconsumed_positions
from busctl.planning import connect, valid_bus
from busctl.render import lag as render

GroupOption = Annotated[
    str | None, typer.Option("--group", "-g", metavar="GLOB", help="Only consumer groups matching this glob.")
]
IntervalOption = Annotated[
    float,
    typer.Option(
        "--interval",
        min=0,
        help="Seconds between the two offset samples that tell a stuck group from a slow one (taken only "
        "when something lags; 0: one sample, no stuck verdict).",
    ),
]


def command(
    cluster: ClusterOption,
    repo: RepoOption = Path("."),
    output: FormatOption = OutputFormat.text,
    topic: TopicOption = None,
    group: GroupOption = None,
    interval: IntervalOption = 10.0,
    timeout: TimeoutOption = 30.0,
) -> int:
    """Live lag of each declared consumer group, per topic and partition, against its lag objective:
    messages behind, age of the oldest unconsumed message, and whether the group is stuck (lag while
    its committed offsets do not move). Exit 1 when any group breaks its objective."""
    bus = valid_bus(repo, untouched="nothing was read from the cluster")
    targets = [
        t
        for t in lag_targets(bus)
        if (topic is None or fnmatch.fnmatchcase(t.topic, topic))
        and (group is None or fnmatch.fnmatchcase(t.group, group))
    ]
    if not targets and (topic or group):
        raise BusctlError(
            "no declared consumer group matches the --topic/--group filter",
            "`busctl owner TEAM` lists a team's topics; consumer groups are under each topic's consumers:",
        )
    admin = connect(bus, cluster, timeout)
    topics, groups = {t.topic for t in targets}, {t.group for t in targets}
    with progress(f"reading the offsets of {len(groups)} consumer group(s) on {cluster}"):
        first = admin.read_offsets(topics, groups)
    last, earlier = first, None
    if interval > 0 and unconsumed_positions(targets, first):
        with progress(f"some groups lag: sampling again in {interval:g}s to see whether they move"):
            time.sleep(interval)
            last, earlier = admin.read_offsets(topics, groups), first
    with progress("reading the oldest unconsumed messages' timestamps"):
        timestamps = admin.message_timestamps(unconsumed_positions(targets, last))
    report = assess(cluster, targets, last, earlier, timestamps, now=time.time())
    if output is OutputFormat.json:
        typer.echo(render.as_json(report), nl=False)
    elif output is OutputFormat.markdown:
        typer.echo(render.as_markdown(report), nl=False)
    else:
        typer.echo(render.as_text(report, color=use_color()), nl=False)
        if output is OutputFormat.github:
            typer.echo(render.as_github(report), nl=False)
    return 1 if report.failing else 0
