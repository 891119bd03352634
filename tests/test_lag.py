"""The pure lag judgement (core/lag.py) and its renderings, from hand-made offset samples."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from busctl.core.alerts import LagTarget, Objective, lag_targets
from busctl.core.lag import (
    GroupOffsets,
    LagReport,
    OffsetSample,
    Position,
    Progress,
    Stamp,
    Status,
    assess,
    probes,
    suspects,
    window_starts,
)
from busctl.core.units import format_age
from busctl.loading.bus import load_bus
from busctl.render import lag as render
from tests.conftest import REPO_ROOT, CliResult
from tests.reports import assert_report

NOW = 1_800_000_000.0


def _target(group: str, max_messages: int | None = 100, max_seconds: int | None = None) -> LagTarget:
    return LagTarget(
        team="billing",
        topic="t.v1",
        group=group,
        owner="billing",
        file="topics/billing/t.yaml",
        objective=Objective(max_messages, max_seconds, "10m", "warning"),
    )


def _sample(
    committed: dict[str, dict[int, int]], ends: tuple[int, int] = (50, 50), at: float = 0.0
) -> OffsetSample:
    return OffsetSample(
        taken_at=at,
        partitions={"t.v1": 2},
        log_start={("t.v1", 0): 10, ("t.v1", 1): 0},
        log_end={("t.v1", 0): ends[0], ("t.v1", 1): ends[1]},
        groups={
            g: GroupOffsets("STABLE", 1, {("t.v1", p): o for p, o in offsets.items()})
            for g, offsets in committed.items()
        },
    )


def _ages(sample: OffsetSample, group: str, next_age: float, consumed_age: float) -> dict[Position, Stamp]:
    """Stamps as the probe would find them: the next message `next_age` old, the last consumed one
    `consumed_age` old, on every partition of t.v1."""
    stamps: dict[Position, Stamp] = {}
    for p in (0, 1):
        position = sample.position(group, ("t.v1", p))
        stamps[position] = (position[2], NOW - next_age)
        if (last := sample.last_consumed(group, ("t.v1", p))) is not None:
            stamps[last] = (last[2], NOW - consumed_age)
    return stamps


def test_lag_sums_committed_partitions_and_counts_from_the_log_start() -> None:
    sample = _sample({"g": {0: 5, 1: 40}})  # partition 0's committed 5 fell below the log start 10
    assert sample.lag("g", ("t.v1", 0)) == 40 and sample.lag("g", ("t.v1", 1)) == 10
    assert sample.position("g", ("t.v1", 0)) == ("t.v1", 0, 10)
    report = assess("prod", [_target("g")], sample, None, {}, {}, NOW)
    (group,) = report.groups
    assert (group.lag, group.status, group.stuck, group.progress) == (
        50,
        Status.LOST,
        None,
        Progress.UNJUDGED,
    )
    assert group.problems == ("committed offset below the log start on partition(s) 0",)


def test_over_max_messages_breaks_only_when_shown_for_its_for() -> None:
    sample = _sample({"g": {0: 10, 1: 0}})
    targets = [_target("g", max_messages=60)]
    (over,) = assess("prod", targets, sample, None, {}, {}, NOW).groups
    assert (over.lag, over.lag_throughout, over.status) == (90, None, Status.OVER)
    assert over.problems == ("lag 90 > 60 messages now, not known to last 10m",)
    assert not over.status.fails and over.seconds_behind is None  # lagging, and no timestamp read
    moments = window_starts(targets, sample, NOW)
    assert moments == {("t.v1", 0, (NOW - 600) * 1000), ("t.v1", 1, (NOW - 600) * 1000)}
    # 10 minutes ago the log already ended at 40 and 30: at least (40-10) + (30-0) = 60 waited since
    (edge,) = assess(
        "prod",
        targets,
        sample,
        None,
        {},
        dict.fromkeys(moments, 40) | {("t.v1", 1, (NOW - 600) * 1000): 30},
        NOW,
    ).groups
    assert (edge.lag_throughout, edge.status) == (60, Status.OVER)
    # nothing written since (-1): the log ended where it ends now, 40 + 50 waited throughout
    (broken,) = assess("prod", targets, sample, None, {}, dict.fromkeys(moments, -1), NOW).groups
    assert (broken.lag_throughout, broken.status) == (90, Status.BREAKS)
    assert broken.problems == ("lag 90 > 60 messages for 10m (at least 90)",)
    assert window_starts([_target("g", max_messages=90)], sample, NOW) == set()


def test_over_max_seconds_breaks_once_older_than_max_plus_for() -> None:
    sample = _sample({"g": {0: 40, 1: 45}})
    targets = [_target("g", None, 300)]

    def judged(oldest: float) -> tuple[Status, tuple[str, ...]]:
        stamps = {("t.v1", 0, 40): (40, NOW - oldest), ("t.v1", 1, 45): (45, NOW - 30)}
        (group,) = assess("prod", targets, sample, None, stamps, {}, NOW).groups
        assert [p.seconds_behind for p in group.partitions] == [oldest, 30]
        return group.status, group.problems

    assert judged(400) == (Status.OVER, ("6m40s behind > 300s now, not known to last 10m",))
    assert judged(900)[0] is Status.OVER  # 300 s + 10 min is the edge
    assert judged(901) == (Status.BREAKS, ("15m1s behind > 300s for 10m",))


@pytest.mark.parametrize(
    ("name", "next_age", "consumed_age", "moved", "verdict"),
    [
        ("lag younger than for: (a) clears it", 599, 3600, False, Progress.LAG_RECENT),
        ("last consumed message younger than for: (b)", 3600, 599, False, Progress.CONSUMED_RECENTLY),
        ("old lag, an offset moved in the interval: (c)", 3600, 3600, True, Progress.MOVED),
        ("old lag, nothing moved: stuck", 3600, 3600, False, Progress.NOT_MOVING),
    ],
)
def test_stuck_evidence(
    name: str, next_age: float, consumed_age: float, moved: bool, verdict: Progress
) -> None:
    first = _sample({"g": {0: 40, 1: 45}})
    last = _sample({"g": {0: 41 if moved else 40, 1: 45}}, at=35)
    stamps = _ages(last, "g", next_age, consumed_age) | _ages(first, "g", next_age, consumed_age)
    needs_sample = suspects([_target("g")], first, stamps, NOW) != []
    assert needs_sample is (verdict in (Progress.MOVED, Progress.NOT_MOVING)), name
    (group,) = assess("prod", [_target("g")], last, first, stamps, {}, NOW).groups
    assert group.progress is verdict, name
    assert group.stuck is (verdict is Progress.NOT_MOVING)
    assert (group.status is Status.STUCK) is group.stuck
    if group.stuck:
        assert group.problems == ("stuck: 15 waiting over 10m, none consumed in 35s",)


def test_stuck_needs_lag_at_both_samples_and_a_message_below_committed_is_not_a_consumed_one() -> None:
    first = _sample({"g": {0: 50, 1: 50}}, ends=(50, 50))
    last = _sample({"g": {0: 50, 1: 50}}, ends=(55, 50), at=35)
    # timestamps could not be read for the next messages; at committed - 1 the probe found offset 50
    # (49 compacted away), which the group has not consumed: no evidence either way
    stamps: dict[Position, Stamp] = {("t.v1", 0, 49): (50, NOW - 1)}
    (group,) = assess("prod", [_target("g")], last, first, stamps, {}, NOW).groups
    assert group.partitions[0].consumed_seconds_ago is None
    assert (group.progress, group.stuck, group.status) == (Progress.LAG_RECENT, False, Status.OK)
    (one,) = assess("prod", [_target("g")], last, None, stamps, {}, NOW).groups
    assert (one.progress, one.stuck, one.status) == (Progress.UNJUDGED, None, Status.OK)


def test_stuck_without_readable_timestamps_rests_on_the_second_sample_alone() -> None:
    first = _sample({"g": {0: 40, 1: 45}})
    last = _sample({"g": {0: 40, 1: 45}}, at=35)  # e.g. the principal may not READ the topic
    (group,) = assess("prod", [_target("g")], last, first, {}, {}, NOW).groups
    assert (group.progress, group.status, group.seconds_behind) == (Progress.NOT_MOVING, Status.STUCK, None)
    assert group.problems == ("stuck: 15 waiting, none consumed in 35s",)


def test_a_group_that_lags_nowhere_is_not_stuck_and_needs_no_probe() -> None:
    sample = _sample({"idle": {0: 50, 1: 50}})
    (group,) = assess("prod", [_target("idle")], sample, None, {}, {}, NOW).groups
    assert (group.lag, group.progress, group.stuck, group.status) == (0, Progress.NO_LAG, False, Status.OK)
    assert probes([_target("idle")], sample) == set()


def test_missing_offsets_and_missing_topics_are_reported_but_do_not_fail() -> None:
    sample = _sample({"g": {}})
    absent = LagTarget(
        "billing", "nope.v1", "g", "billing", "topics/x.yaml", Objective(1, None, "1m", "warning")
    )
    report = assess("prod", [_target("g"), absent], sample, None, {}, {}, NOW)
    assert [g.status for g in report.groups] == [Status.NO_OFFSETS, Status.NO_TOPIC]
    assert not report.failing


def test_probes_are_the_next_and_last_consumed_messages_of_lagging_groups() -> None:
    sample = _sample({"a": {0: 20, 1: 50}, "b": {0: 50, 1: 3}, "c": {}, "d": {0: 50, 1: 50}})
    targets = [_target(g) for g in "abcd"]
    # a: next on 0 (20), consumed 19 and 49; b: next on 1 (3), consumed 49 and 2; c and d: none lag
    assert probes(targets, sample) == {
        ("t.v1", 0, 20),
        ("t.v1", 0, 19),
        ("t.v1", 1, 49),
        ("t.v1", 1, 3),
        ("t.v1", 0, 49),
        ("t.v1", 1, 2),
    }


def _rendered() -> LagReport:
    first = _sample({"a-consumer-group-with-a-rather-long-name": {0: 40, 1: 45}, "fine": {0: 50, 1: 50}})
    last = _sample(
        {"a-consumer-group-with-a-rather-long-name": {0: 40, 1: 45}, "fine": {0: 50, 1: 50}}, at=35
    )
    late = _target("a-consumer-group-with-a-rather-long-name", 10)
    stamps = _ages(last, late.group, 3600 + 95, 7200)
    return assess("prod", [late, _target("fine")], last, first, stamps, {}, NOW)


def test_text_fits_80_columns_and_says_what_is_wrong() -> None:
    text = render.as_text(_rendered())
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80, text
    assert lines[:2] == [
        "busctl lag · cluster prod · 2 groups · 1 breaks the objective",
        "sampled twice, 35s apart, to tell stuck groups from moving ones",
    ]
    assert lines[3] == "✗ a-consumer-group-with-a-rather-long-name · t.v1 · lag 15 · 1h1m behind"
    assert lines[4] == "    team billing · 1 member · max 10 messages, for 10m"
    assert lines[5] == "    stuck: 15 waiting over 10m, none consumed in 35s"
    assert lines[6] == "    lag 15 > 10 messages now, not known to last 10m"
    assert lines[7] == "      partition 0: committed 40 · end 50 · lag 10 · 1h1m behind · not moving"
    assert lines[-1] == "✓ fine · t.v1 · lag 0 · 0s behind"
    coloured = render.as_text(_rendered(), color=True)
    assert "\x1b[31m✗ a-consumer" in coloured and "\x1b[32m✓ fine" in coloured


def test_over_the_objective_is_a_warning_that_does_not_fail() -> None:
    report = assess("prod", [_target("g", max_messages=60)], _sample({"g": {0: 10, 1: 0}}), None, {}, {}, NOW)
    assert not report.failing and [g.status for g in report.over] == [Status.OVER]
    lines = render.as_text(report).splitlines()
    assert lines[0] == "busctl lag · cluster prod · 1 group · none fails · 1 over the objective now"
    assert lines[3:5] == ["! g · t.v1 · lag 90", "    team billing · 1 member · max 60 messages, for 10m"]
    assert render.as_github(report).startswith("::warning file=topics/billing/t.yaml,title=busctl lag%3A g::")


def test_json_markdown_and_github() -> None:
    report = _rendered()
    document = assert_report("lag-report", render.as_json(report))
    assert document["format_version"] == 2 and document["ok"] is False
    late, fine = document["groups"]
    assert (late["status"], late["stuck"], late["stuck_evidence"]) == ("stuck", True, "not_moving")
    assert late["objective"]["for"] == "10m"
    assert late["partitions"][0]["consumed_seconds_ago"] == 7200
    assert (fine["status"], fine["stuck"], fine["stuck_evidence"]) == ("ok", False, "no_lag")
    assert render.as_github(report) == (
        "::error file=topics/billing/t.yaml,title=busctl lag%3A a-consumer-group-with-a-rather-long-name::"
        "t.v1: stuck: 15 waiting over 10m, none consumed in 35s; "
        "lag 15 > 10 messages now, not known to last 10m\n"
    )
    assert "| ✗ | `a-consumer-group-with-a-rather-long-name` | `t.v1` | billing | 15 |" in render.as_markdown(
        report
    )


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0s"), (0.4, "0s"), (95, "1m35s"), (7500, "2h5m"), (266400, "3d2h")]
)
def test_format_age(seconds: float, text: str) -> None:
    assert format_age(seconds) == text


def test_unknown_cluster_and_invalid_declarations_are_clean_errors(
    run: Callable[..., CliResult], bus_repo: Callable[..., Path]
) -> None:
    repo = bus_repo()
    unknown = run("lag", "--cluster", "prdo", "--repo", str(repo))
    assert unknown.code == 1 and 'cluster "prdo" is not defined in bus.yaml' in unknown.err
    assert "Traceback" not in unknown.err
    (repo / "topics/billing/invoice-created.yaml").write_text("name: [\n")
    refused = run("lag", "--cluster", "local", "--repo", str(repo))
    assert refused.code == 1 and "nothing was read from the cluster" in refused.err


@pytest.mark.parametrize(
    ("filters", "hint"),
    [
        (["--group", "invoice-mailr"], 'did you mean "invoice-mailer"'),
        (["--topic", "billing.invoice-creatd.v1"], 'did you mean "billing.invoice-created.v1"'),
        # both exist, only not together: no typo to fix
        (["--topic", "billing.invoice-paid.v1", "--group", "invoice-mailer"], "`busctl owner TEAM`"),
    ],
)
def test_filters_matching_no_group_name_the_typo(
    run: Callable[..., CliResult], filters: list[str], hint: str
) -> None:
    result = run("lag", "--cluster", "local", *filters, "--repo", str(REPO_ROOT))
    assert result.code == 1
    assert (
        "no declared consumer group matches "
        + " and ".join(f"{flag} {value}" for flag, value in zip(filters[::2], filters[1::2], strict=True))
        in result.err
    )
    assert f"hint: {hint}" in result.err


FLEET_BUS = """\
clusters:
  local: {bootstrap_servers: 127.0.0.1:9092}
  prod: {bootstrap_servers: 127.0.0.1:9093}
policy: {min_replication_factor: 3, platform_team: platform}
"""


def test_a_cluster_has_the_groups_of_the_topics_placed_on_it(
    bus_repo: Callable[[dict[str, str | None]], Path],
) -> None:
    """A group declared only on a topic placed elsewhere is not looked for (nor reported missing)."""
    root = bus_repo({"bus.yaml": FLEET_BUS})
    topic_file = root / "topics/billing/invoice-created.yaml"
    topic_file.write_text(topic_file.read_text() + "placement: [prod]\n")
    bus, _ = load_bus(root)
    assert [t.group for t in lag_targets(bus, "prod")] == ["audit-log-writer"]
    assert lag_targets(bus, "local") == []


def test_a_group_filter_names_the_cluster_it_looked_on(
    run: Callable[..., CliResult], bus_repo: Callable[[dict[str, str | None]], Path]
) -> None:
    root = bus_repo({"bus.yaml": FLEET_BUS})
    topic_file = root / "topics/billing/invoice-created.yaml"
    topic_file.write_text(topic_file.read_text() + "placement: [prod]\n")
    result = run("lag", "--cluster", "local", "--group", "audit-log-writer", "--repo", str(root))
    assert result.code == 1
    assert "no declared consumer group matches --group audit-log-writer on cluster local" in result.err
