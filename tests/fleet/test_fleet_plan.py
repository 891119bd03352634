"""Fleet plans from recorded clusters: placement, per-cluster values, one report per fleet."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult
from tests.fleet.conftest import AUDIT, BILLING_CONFIGS
from tests.fleet.recorded import FLEET_BUS, cluster_state, record, topic_state
from tests.reports import assert_report


def _creates(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["topic"]: c for c in plan["changes"] if c["action"] == "create"}


def test_each_cluster_gets_the_topics_placed_on_it_with_its_values(
    fleet: Path, run: Callable[..., CliResult]
) -> None:
    result = run("plan", "--all-clusters", "--repo", str(fleet), "--format", "json")
    assert result.code == 0, result.err
    document = assert_report("fleet-plan-report", result.out)
    assert document["clusters"] == ["staging", "prod-eu", "prod-us"]
    plans = {p["cluster"]: p for p in document["plans"]}
    staging, eu, us = _creates(plans["staging"]), _creates(plans["prod-eu"]), _creates(plans["prod-us"])
    assert set(staging) == {"billing.invoice-created.v1"}  # audit is placed on env=prod only
    assert staging["billing.invoice-created.v1"]["replication_factor"] == 1  # the staging override
    configs = {c["key"]: c["after"] for c in staging["billing.invoice-created.v1"]["configs"]}
    assert configs["min.insync.replicas"] == "1"
    assert set(eu) == {"audit.events.v1"}  # billing is in sync there
    assert eu["audit.events.v1"]["partitions"] == 12  # per_cluster prod-eu
    assert eu["audit.events.v1"]["origins"]["partitions"] == "per_cluster.prod-eu"  # and it says so
    assert staging["billing.invoice-created.v1"]["origins"] == {
        "partitions": "the topic",
        "replication_factor": "bus.yaml clusters.staging.overrides",
        "cleanup.policy": "the topic",
        "min.insync.replicas": "bus.yaml clusters.staging.overrides",
        "retention.ms": "the topic",
    }
    assert set(us) == {"audit.events.v1", "billing.invoice-created.v1"}
    assert us["audit.events.v1"]["partitions"] == 6  # bus.yaml defaults
    assert document["summary"] == {
        "clusters": 3,
        "changes": 4,
        "blocked": 0,
        "unread": 0,
        "with_changes": ["staging", "prod-eu", "prod-us"],
    }


def test_a_topic_not_placed_on_a_cluster_is_unmanaged_there(
    bus_repo: Callable[[dict[str, str | None]], Path],
    monkeypatch: pytest.MonkeyPatch,
    run: Callable[..., CliResult],
) -> None:
    audit = topic_state("audit.events.v1", 6, 1, {"min.insync.replicas": "1"})
    record(monkeypatch, {"staging": cluster_state("c-staging", [audit])})
    root = bus_repo({"bus.yaml": FLEET_BUS, "topics/audit/events.yaml": AUDIT})
    result = run("plan", "--cluster", "staging", "--repo", str(root), "--format", "json")
    document = assert_report("plan-report", result.out)
    assert document["unmanaged"] == ["audit.events.v1"]
    assert [c["topic"] for c in document["changes"]] == ["billing.invoice-created.v1"]


@pytest.mark.parametrize(
    ("selectors", "clusters"),
    [
        (["--cluster", "prod-*"], ["prod-eu", "prod-us"]),
        (["--cluster", "env=prod"], ["prod-eu", "prod-us"]),
        (["--cluster", "prod-us", "--cluster", "staging"], ["staging", "prod-us"]),  # bus.yaml order
        (["--cluster", "region=eu"], ["prod-eu"]),  # a label: a fleet report, even of one cluster
    ],
)
def test_clusters_are_chosen_by_name_glob_and_label(
    fleet: Path, run: Callable[..., CliResult], selectors: list[str], clusters: list[str]
) -> None:
    result = run("plan", *selectors, "--repo", str(fleet), "--format", "json")
    assert result.code == 0, result.err
    assert assert_report("fleet-plan-report", result.out)["clusters"] == clusters


def test_text_has_a_section_per_cluster_within_80_columns(fleet: Path, run: Callable[..., CliResult]) -> None:
    result = run("plan", "--all-clusters", "--repo", str(fleet))
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("busctl plan · 3 clusters · staging: 1 change · prod-eu: 1 change")
    sections = [line for line in lines if line.startswith("── cluster ")]
    assert [s.split()[2] for s in sections] == ["staging", "prod-eu", "prod-us"]
    assert max(len(line) for line in lines) <= 80


def test_markdown_and_github_name_every_cluster(fleet: Path, run: Callable[..., CliResult]) -> None:
    markdown = run("plan", "--all-clusters", "--repo", str(fleet), "--format", "markdown").out
    assert "| `prod-us` | 2 changes |" in markdown
    assert markdown.count("### busctl plan · cluster ") == 3


def test_an_unreachable_cluster_does_not_hide_the_others(
    bus_repo: Callable[[dict[str, str | None]], Path],
    monkeypatch: pytest.MonkeyPatch,
    run: Callable[..., CliResult],
) -> None:
    record(
        monkeypatch,
        {"staging": cluster_state("c-staging"), "prod-eu": None, "prod-us": cluster_state("c-us")},
    )
    root = bus_repo({"bus.yaml": FLEET_BUS})
    result = run("plan", "--all-clusters", "--repo", str(root), "--format", "json")
    assert result.code == 1
    document = assert_report("fleet-plan-report", result.out)
    assert [p["cluster"] for p in document["plans"]] == ["staging", "prod-us"]
    assert document["unread"][0]["cluster"] == "prod-eu"
    assert "cannot reach cluster prod-eu" in document["unread"][0]["error"]
    text = run("plan", "--all-clusters", "--repo", str(root)).out
    assert "not read: cannot reach cluster prod-eu" in text


def test_out_saves_the_fleet_document(fleet: Path, run: Callable[..., CliResult], tmp_path: Path) -> None:
    out = tmp_path / "fleet.json"
    shown = run("plan", "--cluster", "prod-*", "--repo", str(fleet), "--out", str(out))
    assert "busctl apply" in shown.out
    printed = run("plan", "--cluster", "prod-*", "--repo", str(fleet), "--format", "json").out
    assert out.read_text() == printed


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cluster", "prod-ue"], 'cluster "prod-ue" is not defined in bus.yaml'),
        (["--cluster", "env=qa"], '--cluster "env=qa" selects no cluster'),
        (["--cluster", "dev-*"], '--cluster "dev-*" selects no cluster'),
        (["--cluster", "staging", "--all-clusters"], "not both"),
        ([], "--all-clusters"),
    ],
)
def test_a_choice_of_no_cluster_is_refused(
    fleet: Path, run: Callable[..., CliResult], args: list[str], message: str
) -> None:
    result = run("plan", *args, "--repo", str(fleet))
    assert result.code in (1, 2)
    assert message in result.err
    assert "Traceback" not in result.err


def test_a_cluster_override_block_names_the_override(
    bus_repo: Callable[[dict[str, str | None]], Path],
    monkeypatch: pytest.MonkeyPatch,
    run: Callable[..., CliResult],
) -> None:
    bus = FLEET_BUS.replace(
        "overrides: {replication_factor: 1, config: {min.insync.replicas: 1}}",
        "overrides: {partitions: 3, replication_factor: 1, config: {min.insync.replicas: 1}}",
    )
    billing = topic_state(
        "billing.invoice-created.v1", 12, 1, {**BILLING_CONFIGS, "min.insync.replicas": "1"}
    )
    record(monkeypatch, {"staging": cluster_state("c-staging", [billing])})
    root = bus_repo({"bus.yaml": bus})
    document = assert_report(
        "plan-report", run("plan", "--cluster", "staging", "--repo", str(root), "--format", "json").out
    )
    (blocked,) = document["blocked"]
    assert "set by bus.yaml clusters.staging.overrides" in blocked["reason"]
    assert "per_cluster: {staging: {partitions: 12}}" in blocked["remedy"]


def test_a_recorded_state_plans_offline_with_the_same_fingerprints(
    fleet: Path, run: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    states = tmp_path / "states"
    live = run(
        "plan", "--all-clusters", "--repo", str(fleet), "--format", "json", "--save-state", str(states)
    )
    assert sorted(p.name for p in states.iterdir()) == ["prod-eu.json", "prod-us.json", "staging.json"]
    monkeypatch.undo()  # no cluster to reach any more: only the recorded states
    offline = run("plan", "--all-clusters", "--repo", str(fleet), "--format", "json", "--state", str(states))
    assert offline.code == 0, offline.err
    assert offline.out == live.out  # the same plans, digests and all: a reviewer can reproduce it


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda p: p.write_text('{"cluster_id": "x"}'), "brokers: Field required"),
        (
            lambda p: p.write_text('{"cluster_id": "x", "brokers": "x", "topics": {}, "acls": null}'),
            "brokers",
        ),
        (lambda p: p.write_text("[" * 100_000 + "]" * 100_000), "not a recorded state"),
        (lambda p: p.write_bytes(b"\xff\xfe"), "not a recorded state"),
        (lambda p: os.mkfifo(p), "not a regular file"),  # would block a plain read
        (lambda p: p.symlink_to("/dev/zero"), "not a recorded state"),  # endless, and out of the directory
    ],
)
def test_a_broken_recorded_state_is_named(
    fleet: Path, run: Callable[..., CliResult], tmp_path: Path, make: Callable[[Path], object], problem: str
) -> None:
    states = tmp_path / "states"
    states.mkdir()
    make(states / "staging.json")
    result = run("plan", "--cluster", "staging", "--repo", str(fleet), "--state", str(states))
    assert result.code == 1
    assert f"{states / 'staging.json'} is not a recorded state of cluster staging" in result.err
    assert problem in result.err
    assert "Traceback" not in result.err and "unexpected error" not in result.err


def test_a_saved_state_is_a_cluster_state_document(
    fleet: Path, run: Callable[..., CliResult], tmp_path: Path
) -> None:
    states = tmp_path / "states"
    run("plan", "--cluster", "prod-eu", "--repo", str(fleet), "--save-state", str(states))
    document = assert_report("cluster-state", (states / "prod-eu.json").read_text())
    assert document["cluster_id"] == "c-eu"


def test_a_cluster_whose_client_cannot_be_made_is_not_read_and_the_others_are_planned(
    fleet: Path, run: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A credential variable missing for one cluster (a fork's pull request) does not stop the fleet."""
    bus = fleet / "bus.yaml"
    bus.write_text(
        bus.read_text().replace("bootstrap_servers: 127.0.0.1:9094", "bootstrap_servers: ${NOT_SET_X}")
    )
    monkeypatch.undo()  # the real connect: prod-us fails before any read
    monkeypatch.delenv("NOT_SET_X", raising=False)
    result = run("plan", "--all-clusters", "--repo", str(fleet), "--format", "json", "--timeout", "1")
    document = assert_report("fleet-plan-report", result.out)  # no broker at all: each cluster unread
    assert [u["cluster"] for u in document["unread"]] == ["staging", "prod-eu", "prod-us"]
    (unread,) = [u for u in document["unread"] if u["cluster"] == "prod-us"]
    assert "NOT_SET_X" in unread["error"]
    assert result.code == 1


def test_the_pr_comment_shows_every_cluster_of_a_fleet_plan(
    bus_repo: Callable[[dict[str, str | None]], Path],
    monkeypatch: pytest.MonkeyPatch,
    run: Callable[..., CliResult],
    tmp_path: Path,
) -> None:
    record(
        monkeypatch,
        {"staging": cluster_state("c-staging"), "prod-eu": None, "prod-us": cluster_state("c-us")},
    )
    root = bus_repo({"bus.yaml": FLEET_BUS, "topics/audit/events.yaml": AUDIT})
    plan_file = tmp_path / "fleet.json"
    run("plan", "--all-clusters", "--repo", str(root), "--out", str(plan_file))
    body = run("comment", "--plan", str(plan_file)).out
    assert "| plan `staging` | :pencil2: 1 change |" in body
    assert "| plan `prod-us` | :pencil2: 2 changes |" in body
    assert "| plan `prod-eu` | :x: not read: cannot reach cluster prod-eu" in body  # unread when planned
    assert "### busctl plan · cluster prod-eu · not read" in body
    assert "### busctl plan · cluster prod-us (id c-us) · 2 changes" in body
