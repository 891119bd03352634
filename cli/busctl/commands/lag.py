"""`busctl lag`: live lag of every declared consumer group against its objective, as a health check."""

from __future__ import annotations

import fnmatch
import time
from pathlib import Path
from typing import Annotated

import typer

from busctl.commands.common import FormatOption, OutputFormat, RepoOption, echo_report, progress
from busctl.commands.plan import ClusterOption, TimeoutOption, TopicOption
from busctl.core.alerts import LagTarget, lag_targets
from busctl.core.diagnostics import BusctlError, did_you_mean
from busctl.core.lag import assess, probes, suspects, window_starts
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
        max=86400,
        metavar="SECONDS",
        help="Seconds between two offset samples, taken only when a group lags with its oldest unconsumed "
        "and last consumed messages both older than its `for`: any committed offset moving means not "
        "stuck. Make it longer than the groups' commit interval (Kafka Streams: 30 s). 0: one sample, "
        "such groups are not judged.",
    ),
]


def command(
    cluster: ClusterOption,
    repo: RepoOption = Path("."),
    output: FormatOption = OutputFormat.text,
    topic: TopicOption = None,
    group: GroupOption = None,
    interval: IntervalOption = 35.0,
    timeout: TimeoutOption = 30.0,
) -> int:
    """Judge each consumer group's lag against its objective.

    Live lag of each consumer group declared on a topic placed on the cluster, against its lag
    objective, judged as its alerts judge it:
    messages behind and age of the oldest unconsumed message over the objective for its `for`, or
    stuck (lag and no committed progress for `for`). Exit 1 when any group breaks its objective.

    Example: busctl lag --cluster prod --group 'billing-*'"""
    bus = valid_bus(repo, untouched="nothing was read from the cluster")
    admin = connect(bus.config, cluster, timeout)
    declared = lag_targets(bus, cluster)  # a group of topics placed on other clusters only is not here
    targets = [
        t
        for t in declared
        if (topic is None or fnmatch.fnmatchcase(t.topic, topic))
        and (group is None or fnmatch.fnmatchcase(t.group, group))
    ]
    if not targets and (topic or group):
        raise _no_group_matches(declared, topic, group, cluster)
    topics, groups = {t.topic for t in targets}, {t.group for t in targets}
    with progress(f"reading the offsets of {len(groups)} consumer group(s) on {cluster}"):
        last = admin.read_offsets(topics, groups)
    with progress("reading the timestamps of the next and last consumed messages"):
        stamps = admin.message_timestamps(probes(targets, last))
    earlier = None
    if interval > 0 and (unsure := suspects(targets, last, stamps, time.time())):
        names = ", ".join(sorted({t.group for t in unsure}))
        with progress(f"no recent progress seen for {names}: sampling again in {interval:g}s"):
            time.sleep(interval)
            earlier, last = last, admin.read_offsets(topics, groups)
            stamps = {**stamps, **admin.message_timestamps(probes(targets, last) - stamps.keys())}
    now = time.time()
    ends_then = admin.offsets_for_times(window_starts(targets, last, now))
    report = assess(cluster, targets, last, earlier, stamps, ends_then, now)
    echo_report(output, render, report, repo)
    return 1 if report.failing else 0


def _no_group_matches(
    declared: list[LagTarget], topic: str | None, group: str | None, cluster: str
) -> BusctlError:
    """The error for --topic/--group globs selecting nothing, with did-you-mean for a value that
    matches no declared name of its kind (a typo, not a topic and group that do not go together)."""
    given = [
        (flag, value, names)
        for flag, value, names in (
            ("--topic", topic, {t.topic for t in declared}),
            ("--group", group, {t.group for t in declared}),
        )
        if value
    ]
    close = [
        did_you_mean(value, names)
        for _, value, names in given
        if not any(fnmatch.fnmatchcase(name, value) for name in names)
    ]
    return BusctlError(
        "no declared consumer group matches "
        + " and ".join(f"{flag} {value}" for flag, value, _ in given)
        + f" on cluster {cluster}",
        next(filter(None, close), "")
        or "`busctl owner TEAM` lists a team's topics; consumer groups are under each topic's consumers:",
    )
