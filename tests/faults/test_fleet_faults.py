"""A fleet apply interrupted, and one with a cluster down: every cluster's outcome is told exactly, and
no cluster gets what its part did not say."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import write_files
from tests.faults.conftest import (
    add_topics,
    busctl,
    finish,
    start_busctl,
    topics_on,
    wait_for_new_topics,
)
from tests.integration.conftest import Broker, bus_for, start_brokers
from tests.reports import assert_report

pytestmark = [pytest.mark.kafka, pytest.mark.faults, pytest.mark.slow]
SECOND_PORT = 31070  # + BUSCTL_TEST_PORT_OFFSET: this module's second cluster (controller +100)


@pytest.fixture(scope="module")
def second(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    yield from start_brokers("single", tmp_path_factory.mktemp("fleet-second"), SECOND_PORT)


def _fleet(first: Broker, other: Broker, root: Path, tag: str, count: int) -> set[str]:
    """A bus of clusters first and second (in that order), with `count` generated topics on both."""
    extra = (
        f"  second:\n    bootstrap_servers: {other.bootstrap}\n"
        "    overrides: {replication_factor: 1, config: {min.insync.replicas: 1}}\n"
    )
    bus_for(first, root, extra_cluster=extra)
    bus = root / "bus.yaml"
    bus.write_text(bus.read_text().replace("  local:", "  first:", 1))
    write_files(root, {"topics/billing/invoice-created.yaml": None, "topics/audit/events.yaml": None})
    return set(add_topics(root, tag, count))


def test_an_interrupt_stops_the_fleet_after_the_batch_in_flight(
    fault_single: Broker, second: Broker, tmp_path: Path
) -> None:
    declared = _fleet(fault_single, second, tmp_path / "bus", "fleet-int", 1000)
    process = start_busctl(tmp_path / "bus", "apply", "--all-clusters", "--auto-approve", "--format", "json")
    wait_for_new_topics(fault_single, declared, process)
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    result = finish(process, sent)
    assert result.code == 130, result.out + result.err
    document = assert_report("fleet-apply-report", result.out)
    first, other = document["clusters"]
    assert (first["cluster"], other["cluster"]) == ("first", "second")
    assert first["status"] == "incomplete" and first["exit_code"] == 130
    assert first["apply"]["stopped"] == "interrupted by SIGINT (Ctrl-C)"
    done = {c["topic"] for c in first["apply"]["changes"] if c["status"] == "done"}
    assert done and done <= topics_on(fault_single)
    assert other["status"] == "not-started" and other["apply"] is None
    assert not declared & topics_on(second)  # the second cluster was never touched
    assert document["succeeded"] == [] and document["failed"] == ["first", "second"]


def test_a_cluster_down_fails_alone_and_the_others_are_applied(
    fault_single: Broker, second: Broker, tmp_path: Path
) -> None:
    declared = _fleet(fault_single, second, tmp_path / "bus", "fleet-down", 3)
    plan_file = tmp_path / "fleet.json"
    planned = busctl(tmp_path / "bus", "plan", "--all-clusters", "--out", str(plan_file))
    assert planned.code == 0, planned.out + planned.err
    second.kill(1)
    try:
        result = busctl(tmp_path / "bus", "apply", str(plan_file), "--auto-approve", "--timeout", "5")
    finally:
        second.start_node(1)
    assert result.code == 1, result.out + result.err
    assert declared <= topics_on(fault_single)
    assert "succeeded: first; not completed: second" in result.out
    assert "  second  failed: cannot reach cluster second" in result.out
    assert not declared & topics_on(second)
    assert json.loads(plan_file.read_text())["kind"] == "fleet-plan"
