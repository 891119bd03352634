"""`busctl apply --format json` against real brokers: the per-change statuses in the document match
what Kafka's own tools show, for a run that applies everything, one the broker refuses in preflight
(also saved with --out beside the text), and one interrupted half-way."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult, write_files
from tests.faults.conftest import add_topics, finish, start_busctl, topics_on, wait_for_new_topics
from tests.integration.conftest import Broker, bus_for, start_brokers
from tests.integration.test_plan_apply import topic_yaml
from tests.reports import assert_report

pytestmark = pytest.mark.kafka
Run = Callable[..., CliResult]
HALFWAY_PORT = 31080  # + BUSCTL_TEST_PORT_OFFSET: this module's own broker, clear of the other suites'


def _apply_json(run: Run, root: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = run("apply", "--cluster", "local", "--repo", str(root), "--format", "json", *args)
    assert result.out, result.err
    return result.code, assert_report("apply-report", result.out)


def _statuses(document: dict[str, Any]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for change in document["changes"]:
        found.setdefault(change["status"], set()).add(change["topic"])
    return found


@pytest.fixture
def repo(kafka_single: Broker, tmp_path: Path) -> Path:
    root = bus_for(kafka_single, tmp_path / "bus")
    write_files(root, {"topics/billing/invoice-created.yaml": None, "topics/audit/events.yaml": None})
    return root


def test_every_change_done_and_the_lock_held_and_released(
    run: Run, repo: Path, kafka_single: Broker, tmp_path: Path
) -> None:
    names = ["billing.r1-first.v1", "billing.r1-second.v1"]
    write_files(
        repo, {f"topics/billing/r1-{i}.yaml": topic_yaml(n, partitions=2) for i, n in enumerate(names)}
    )
    saved = tmp_path / "plan.json"
    assert run("plan", "--cluster", "local", "--repo", str(repo), "--out", str(saved)).code == 0
    started = datetime.now(UTC)
    code, document = _apply_json(run, repo, str(saved))  # the plan file is the approval: no prompt
    assert code == 0 and document["result"] == "applied"
    assert _statuses(document) == {"done": set(names)}
    assert document["plan_file"] == str(saved)
    assert document["fingerprint"] == json.loads(saved.read_text())["fingerprint"]
    assert document["summary"]["done"] == document["summary"]["changes"] == 2
    for name in names:
        assert "PartitionCount: 2" in kafka_single.tool("topics", "--describe", "--topic", name)
    lock = document["lock"]
    since = datetime.fromisoformat(lock["held_since"])
    assert started - timedelta(seconds=30) < since < datetime.now(UTC) + timedelta(seconds=30)
    assert (lock["released"], lock["release_problem"]) == (True, None)
    assert f"pid {os.getpid()}" in lock["holder"]  # this very process (busctl ran in-process)

    code, again = _apply_json(run, repo, "--auto-approve")
    assert code == 0 and (again["result"], again["changes"], again["plan_file"]) == ("no-changes", [], None)


def test_a_config_the_broker_refuses_fails_and_nothing_is_created(
    run: Run, repo: Path, kafka_single: Broker
) -> None:
    good, bad = "billing.r2-good.v1", "billing.r2-bad.v1"
    write_files(
        repo,
        {
            "topics/billing/r2a.yaml": topic_yaml(good),
            # a valid config, but this broker has no tiered storage: only the broker can know
            "topics/billing/r2b.yaml": topic_yaml(bad, config="{remote.storage.enable: true}"),
        },
    )
    result = run("apply", "--cluster", "local", "--repo", str(repo), "--auto-approve", "--format", "json")
    assert result.code == 1
    document = assert_report("apply-report", result.out)
    assert document["result"] == "preflight-failed" and document["stopped"] is None
    changes = {c["topic"]: c for c in document["changes"]}
    assert changes[bad]["status"] == "failed"
    assert changes[bad]["error"]["name"] == "INVALID_CONFIG"
    assert "Tiered Storage functionality is disabled" in changes[bad]["error"]["message"]
    assert (changes[good]["status"], changes[good]["reason"]) == (
        "not-started",
        "preflight failed, nothing was changed",
    )
    listing = topics_on(kafka_single)
    assert good not in listing and bad not in listing

    saved = repo / "apply-report.json"  # what CI keeps as an artifact: the text log, and the document
    again = run("apply", "--cluster", "local", "--repo", str(repo), "--auto-approve", "--out", str(saved))
    assert again.code == 1 and "INVALID_CONFIG" in again.out and not again.out.lstrip().startswith("{")
    kept = assert_report("apply-report", saved.read_text())
    assert kept["result"] == "preflight-failed"
    assert {c["topic"]: c["status"] for c in kept["changes"]}[bad] == "failed"


@pytest.fixture(scope="module")
def own_single(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    yield from start_brokers("single", tmp_path_factory.mktemp("report-single"), HALFWAY_PORT)


@pytest.mark.slow
def test_a_run_interrupted_half_way_accounts_for_every_change(own_single: Broker, tmp_path: Path) -> None:
    root = bus_for(own_single, tmp_path / "bus")
    write_files(root, {"topics/billing/invoice-created.yaml": None, "topics/audit/events.yaml": None})
    declared = set(add_topics(root, "half", 1000))
    process = start_busctl(root, "apply", "--cluster", "local", "--auto-approve", "--format", "json")
    wait_for_new_topics(own_single, declared, process)
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    result = finish(process, sent)
    assert result.code == 130, result.err
    document = assert_report("apply-report", result.out)  # stdout holds the document and nothing else
    assert document["result"] == "incomplete"
    assert document["stopped"] == "interrupted by SIGINT (Ctrl-C)"
    statuses = _statuses(document)
    assert set().union(*statuses.values()) == declared  # every change accounted for
    created = topics_on(own_single) & declared
    assert statuses["done"] <= created  # what the document calls done, Kafka lists
    assert not statuses["not-started"] & created  # what was never sent, Kafka does not have
    assert created <= statuses["done"] | statuses.get("unconfirmed", set())
    summary = document["summary"]
    assert summary["done"] > 0 and summary["not_started"] > 0 and summary["failed"] == 0
    assert summary["done"] + summary["unconfirmed"] + summary["not_started"] == len(declared)
    assert document["lock"]["released"] is True
    print(f"\ninterrupted apply: {summary}")
