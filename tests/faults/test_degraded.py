"""Plan and apply against degraded clusters, on the suite's own brokers: a 3-node cluster with a node
down and then with its quorum lost, and a principal that may not DESCRIBE every topic it manages.
The cluster's state is checked with Kafka's own tools."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.faults.conftest import BASE_TOPICS, add_topics, admin_for, busctl, busctl_env, fault_bus, topics_on
from tests.integration.conftest import Broker

pytestmark = [pytest.mark.kafka, pytest.mark.faults, pytest.mark.slow]
APPLY = ("apply", "--cluster", "local", "--auto-approve")


def _plan(repo: Path, **env: str) -> dict[str, Any]:
    result = busctl(
        repo, "plan", "--cluster", "local", "--format", "json", "--timeout", "10", env=busctl_env(**env)
    )
    assert result.code == 0, result.err
    document: dict[str, Any] = json.loads(result.out)
    return document


def _wait_for_brokers(broker: Broker, count: int, timeout: float = 60) -> None:
    """Until the metadata lists `count` live brokers (a killed broker is fenced after its session)."""
    admin = admin_for(broker)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(admin.list_topics(timeout=10).brokers) == count:
            return
        time.sleep(0.5)
    raise AssertionError(f"the cluster did not show {count} live brokers within {timeout:.0f} s")


def test_a_node_down_is_noted_and_blocks_creates_as_an_outage_then_the_quorum_lost(
    fault_cluster: Broker, tmp_path: Path
) -> None:
    repo = tmp_path / "bus"
    fault_bus(fault_cluster, repo, "rf3", 2)
    assert busctl(repo, *APPLY).code == 0
    added = set(add_topics(repo, "during-outage", 1))

    fault_cluster.kill(3)
    _wait_for_brokers(fault_cluster, 2)
    plan = _plan(repo)
    assert any("broker(s) 3 down" in note for note in plan["notes"]), plan["notes"]
    assert any("under-replicated" in note for note in plan["notes"]), plan["notes"]
    blocked = {c["topic"]: c for c in plan["blocked"]}
    assert set(blocked) == added and not plan["changes"]
    assert blocked[next(iter(added))]["reason"].startswith("brokers down: replication factor 3 needs 3 live")
    assert "lower replication_factor, or" not in json.dumps(plan)  # the advice for a cluster too small
    applied = busctl(repo, *APPLY)
    assert applied.code == 1 and "1 blocked" in applied.out
    assert not added & topics_on(fault_cluster)

    fault_cluster.kill(2)  # the quorum is lost: node 1 answers reads from its cache, no write completes
    lost = busctl(repo, *APPLY, "--timeout", "10")
    assert lost.code == 1, lost.out + lost.err
    assert lost.seconds < 60 and "Traceback" not in lost.err and "bug in busctl" not in lost.err
    assert "applied 0 change(s)" not in lost.out

    print(f"\nquorum lost: apply exited {lost.code} after {lost.seconds:.1f} s: {lost.err.strip()[:300]}")
    for node in (2, 3):
        fault_cluster.start_node(node)
    _wait_for_brokers(fault_cluster, 3)
    back = _plan(repo)
    assert not any("down" in note for note in back["notes"]), back["notes"]
    assert {c["topic"] for c in back["changes"] if c["action"] == "create"} == added
    converged = busctl(repo, *APPLY, "--lock-timeout", "60")
    assert converged.code == 0, converged.out[-1500:] + converged.err
    assert added | BASE_TOPICS <= topics_on(fault_cluster)
    described = fault_cluster.tool("topics", "--describe", "--topic", next(iter(added)))
    assert "ReplicationFactor: 3" in described


def test_a_principal_that_cannot_see_a_topic_never_creates_it(fault_acl: Broker, tmp_path: Path) -> None:
    """alice may DESCRIBE billing.* only: audit.events.v1 exists but is invisible to her; the plan blocks
    it with that reason instead of planning a create of an existing topic."""
    repo = tmp_path / "bus"
    fault_bus(fault_acl, repo, "limited", 3)
    admin = {"BUS_TEST_USER": "admin", "BUS_TEST_PASSWORD": "admin-secret"}
    assert busctl(repo, *APPLY, env=busctl_env(**admin)).code == 0
    before = fault_acl.tool("topics", "--describe", "--topic", "audit.events.v1")
    for resource in (("--topic", "billing.", "--resource-pattern-type", "prefixed"), ("--cluster",)):
        fault_acl.tool(
            "acls", "--add", "--allow-principal", "User:alice", "--operation", "Describe",
            "--operation", "DescribeConfigs", *resource,
        )  # fmt: skip
    alice = {"BUS_TEST_USER": "alice", "BUS_TEST_PASSWORD": "alice-secret"}
    plan = _plan(repo, **alice)
    creates = {c["topic"] for c in plan["changes"] if c["action"] == "create"}
    assert "audit.events.v1" not in creates and not creates, plan["changes"]
    blocked = {c["topic"]: c["reason"] for c in plan["blocked"]}
    assert blocked == {
        "audit.events.v1": "the principal may not DESCRIBE this topic: busctl cannot tell whether it exists"
    }
    assert any("may not DESCRIBE 1 declared topic(s) (audit.events.v1)" in n for n in plan["notes"])
    applied = busctl(repo, *APPLY, env=busctl_env(**alice))
    assert applied.code == 1 and "Traceback" not in applied.err
    assert fault_acl.tool("topics", "--describe", "--topic", "audit.events.v1") == before
