"""The pure lag judgement (core/lag.py) and its renderings, from hand-made offset samples."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from busctl.core.alerts import LagTarget, Objective
from busctl.core.lag import GroupOffsets, OffsetSample, Status, assess, unconsumed_positions
from busctl.core.units import format_age
from busctl.render import lag as render
from tests.conftest import CliResult

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


def test_lag_sums_committed_partitions_and_counts_from_the_log_start() -> None:
    sample = _sample({"g": {0: 5, 1: 40}})  # partition 0's committed 5 fell below the log start 10
    assert sample.lag("g", ("t.v1", 0)) == 40 and sample.lag("g", ("t.v1", 1)) == 10
    assert sample.position("g", ("t.v1", 0)) == ("t.v1", 0, 10)
    report = assess("prod", [_target("g")], sample, None, {}, NOW)
    (group,) = report.groups
    assert (group.lag, group.status, group.stuck) == (50, Status.LOST, None)
    assert group.problems == ("committed offset below the log start on partition(s) 0",)


def test_a_group_over_its_messages_objective_breaks_it() -> None:
    sample = _sample({"g": {0: 10, 1: 0}})
    (group,) = assess("prod", [_target("g", max_messages=60)], sample, None, {}, NOW).groups
    assert (group.lag, group.status, group.problems) == (90, Status.BREAKS, ("lag 90 > 60 messages",))
    assert group.seconds_behind is None  # lagging, and no timestamp could be read


def test_age_is_the_oldest_unconsumed_message_of_the_worst_partition() -> None:
    sample = _sample({"g": {0: 40, 1: 45}})
    timestamps = {("t.v1", 0, 40): NOW - 400, ("t.v1", 1, 45): NOW - 30}
    (group,) = assess("prod", [_target("g", None, 300)], sample, None, timestamps, NOW).groups
    assert group.seconds_behind == 400
    assert group.problems == ("6m40s behind > 300s",)
    assert [p.seconds_behind for p in group.partitions] == [400, 30]


def test_stuck_needs_lag_in_both_samples_and_no_committed_offset_moving() -> None:
    targets = [_target("stuck"), _target("moving"), _target("idle")]
    first = _sample({"stuck": {0: 40, 1: 45}, "moving": {0: 40, 1: 45}, "idle": {0: 50, 1: 50}})
    last = _sample({"stuck": {0: 40, 1: 45}, "moving": {0: 41, 1: 45}, "idle": {0: 50, 1: 50}}, at=10)
    report = assess("prod", targets, last, first, {}, NOW)
    verdicts = {g.target.group: (g.stuck, g.status) for g in report.groups}
    assert verdicts == {
        "stuck": (True, Status.STUCK),
        "moving": (False, Status.OK),
        "idle": (None, Status.OK),  # nothing waits: nothing to judge
    }
    assert report.interval == 10
    assert [g.target.group for g in report.failing] == ["stuck"]


def test_missing_offsets_and_missing_topics_are_reported_but_do_not_fail() -> None:
    sample = _sample({"g": {}})
    absent = LagTarget(
        "billing", "nope.v1", "g", "billing", "topics/x.yaml", Objective(1, None, "1m", "warning")
    )
    report = assess("prod", [_target("g"), absent], sample, None, {}, NOW)
    assert [g.status for g in report.groups] == [Status.NO_OFFSETS, Status.NO_TOPIC]
    assert not report.failing


def test_unconsumed_positions_are_where_lagging_groups_read_next() -> None:
    sample = _sample({"a": {0: 20, 1: 50}, "b": {0: 50, 1: 3}, "c": {}})
    targets = [_target("a"), _target("b"), _target("c")]
    assert unconsumed_positions(targets, sample) == {("t.v1", 0, 20), ("t.v1", 1, 3)}


def test_renderings() -> None:
    first = _sample({"late": {0: 40, 1: 45}, "fine": {0: 50, 1: 50}})
    last = _sample({"late": {0: 40, 1: 45}, "fine": {0: 50, 1: 50}}, at=5)
    report = assess(
        "prod", [_target("late", 10), _target("fine")], last, first, {("t.v1", 0, 40): NOW - 95}, NOW
    )
    text = render.as_text(report)
    assert (
        text.splitlines()[0]
        == "busctl lag · cluster prod · 2 groups · sampled twice, 5s apart · 1 breaks the objective"
    )
    assert text.splitlines()[3].split()[:6] == ["✗", "late", "t.v1", "billing", "15", "1m35s"]
    assert "      partition 0: committed 40 · end 50 · lag 10 · 1m35s behind · not moving" in text
    document = json.loads(render.as_json(report))
    assert document["ok"] is False and document["groups"][0]["status"] == "stuck"
    assert document["groups"][0]["problems"] == [
        "lag 15 > 10 messages",
        "stuck: 15 waiting and no committed offset moved",
    ]
    assert render.as_github(report) == (
        "::error file=topics/billing/t.yaml,title=busctl lag: late::t.v1: "
        "lag 15 > 10 messages; stuck: 15 waiting and no committed offset moved\n"
    )
    assert "| ✗ | `late` | `t.v1` | billing | 15 |" in render.as_markdown(report)


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
