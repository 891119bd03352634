"""A fleet on real brokers: three single-node "regions" (one with SASL) and the 3-node cluster, planned
together, applied cluster by cluster, checked with Kafka's own tools on each."""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import BASE_BUS, CliResult, write_files
from tests.integration.conftest import Broker, start_brokers
from tests.reports import assert_report

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
Run = Callable[..., CliResult]
REGION_PORT = 31090  # + BUSCTL_TEST_PORT_OFFSET: this module's own broker (controller +100)


@pytest.fixture(scope="module")
def region_us(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    yield from start_brokers("single", tmp_path_factory.mktemp("region-us"), REGION_PORT)


def _cluster(name: str, broker: Broker, labels: str, replication: int) -> str:
    security = ""
    if broker.mode == "acl":
        security = (
            '    security: {protocol: SASL_PLAINTEXT, sasl_mechanism: PLAIN, username: "${BUS_TEST_USER}", '
            'password: "${BUS_TEST_PASSWORD}"}\n'
        )
    return (
        f"  {name}:\n    bootstrap_servers: {broker.bootstrap}\n{security}    labels: {labels}\n"
        f"    overrides: {{replication_factor: {replication}, config: {{min.insync.replicas: 1}}}}\n"
    )


@pytest.fixture
def fleet(
    kafka_single: Broker,
    region_us: Broker,
    kafka_acl: Broker,
    kafka_cluster: Broker,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Path, str, dict[str, Broker]]:
    """A bus for eu, us, secure (SASL) and big (3 nodes); topics named uniquely for this test."""
    monkeypatch.setenv("BUS_TEST_USER", kafka_acl.settings["KAFKA_SASL_USERNAME"])
    monkeypatch.setenv("BUS_TEST_PASSWORD", kafka_acl.settings["KAFKA_SASL_PASSWORD"])
    suffix = uuid.uuid4().hex[:8]
    root = tmp_path / "bus"
    shutil.copytree(BASE_BUS, root)
    brokers = {"eu": kafka_single, "us": region_us, "secure": kafka_acl, "big": kafka_cluster}
    bus = (
        "clusters:\n"
        + _cluster("eu", kafka_single, "{env: prod, region: eu}", 1)
        + _cluster("us", region_us, "{env: prod, region: us}", 1)
        + _cluster("secure", kafka_acl, "{env: staging}", 1)
        + _cluster("big", kafka_cluster, "{env: prod, region: ap}", 3)
        + "defaults:\n  partitions: 3\n  replication_factor: 3\n  config: {min.insync.replicas: 2}\n"
        "policy:\n  min_replication_factor: 1\n  platform_team: platform\n"
    )
    write_files(
        root,
        {
            "bus.yaml": bus,
            "topics/billing/invoice-created.yaml": None,
            "topics/audit/events.yaml": None,
            f"topics/billing/fleet-{suffix}.yaml": (
                f"name: billing.fleet-{suffix}.v1\nowner: billing\ndescription: Everywhere.\n"
                "schema: acme.billing.v1.InvoiceCreated\n"
                "per_cluster:\n  env=staging: {partitions: 2}\n  big: {partitions: 6}\n"
            ),
            f"topics/audit/fleet-{suffix}.yaml": (
                f"name: audit.fleet-{suffix}.v1\nowner: audit\ndescription: In eu only.\n"
                "schema: acme.audit.v1.AuditEvent\nplacement: [region=eu]\n"
            ),
        },
    )
    return root, suffix, brokers


def _partitions(broker: Broker, topic: str) -> tuple[int, int]:
    """(partitions, replication factor) as kafka-topics.sh --describe reports them."""
    described = broker.tool("topics", "--describe", "--topic", topic)
    found = re.search(r"PartitionCount:\s*(\d+)\s+ReplicationFactor:\s*(\d+)", described)
    assert found, described
    return int(found.group(1)), int(found.group(2))


def _listed(broker: Broker) -> set[str]:
    return set(broker.tool("topics", "--list").split())


def test_a_fleet_is_planned_applied_and_converges(
    fleet: tuple[Path, str, dict[str, Broker]], run: Run
) -> None:
    root, suffix, brokers = fleet
    orders, audit = f"billing.fleet-{suffix}.v1", f"audit.fleet-{suffix}.v1"
    plan_file = root / "fleet.json"
    planned = run(
        "plan", "--all-clusters", "--repo", str(root), "--out", str(plan_file), "--topic", "*fleet-*"
    )
    assert planned.code == 0, planned.err
    assert "── cluster secure" in planned.out and "── cluster big" in planned.out
    document = assert_report("fleet-plan-report", plan_file.read_text())
    assert document["clusters"] == ["eu", "us", "secure", "big"]
    assert {p["cluster"]: p["cluster_id"] for p in document["plans"]}.keys() == set(brokers)
    assert len({p["cluster_id"] for p in document["plans"]}) == 4  # four real clusters

    applied = run("apply", str(plan_file), "--repo", str(root), "--format", "json")
    assert applied.code == 0, applied.err
    report = assert_report("fleet-apply-report", applied.out)
    assert report["succeeded"] == ["eu", "us", "secure", "big"] and report["failed"] == []
    assert [c["status"] for c in report["clusters"]] == ["applied"] * 4

    assert _partitions(brokers["eu"], orders) == (3, 1)
    assert _partitions(brokers["us"], orders) == (3, 1)
    assert _partitions(brokers["secure"], orders) == (2, 1)  # per_cluster env=staging
    assert _partitions(brokers["big"], orders) == (6, 3)  # per_cluster big, the big cluster's override
    assert _partitions(brokers["eu"], audit) == (3, 1)
    for name in ("us", "secure", "big"):
        assert audit not in _listed(brokers[name])  # placed on region=eu only

    again = run("plan", "--all-clusters", "--repo", str(root), "--topic", "*fleet-*", "--detailed-exitcode")
    assert again.code == 0, again.out + again.err
    assert again.out.count("The cluster matches the declarations.") == 4


def test_a_stale_part_is_refused_and_the_others_are_applied(
    fleet: tuple[Path, str, dict[str, Broker]], run: Run
) -> None:
    root, suffix, brokers = fleet
    orders = f"billing.fleet-{suffix}.v1"
    scope = ("--topic", "*fleet-*", "--repo", str(root))
    assert run("apply", "--cluster", "eu", "--cluster", "us", "--auto-approve", *scope).code == 0
    topic_file = root / f"topics/billing/fleet-{suffix}.yaml"
    topic_file.write_text(topic_file.read_text() + "config: {retention.ms: 2d}\n")
    plan_file = root / "fleet.json"
    assert run("plan", "--cluster", "eu", "--cluster", "us", "--out", str(plan_file), *scope).code == 0
    # someone changes us after the plan was reviewed
    brokers["us"].tool(
        "configs",
        "--entity-type",
        "topics",
        "--entity-name",
        orders,
        "--alter",
        "--add-config",
        "retention.ms=1000",
    )
    result = run("apply", str(plan_file), "--auto-approve", *scope)
    assert result.code == 1, result.out + result.err
    assert re.search(r"^  us +failed: refusing to apply", result.out, re.M), result.out
    assert "succeeded: eu; not completed: us" in result.out
    eu_configs = brokers["eu"].tool(
        "configs", "--entity-type", "topics", "--entity-name", orders, "--describe"
    )
    us_configs = brokers["us"].tool(
        "configs", "--entity-type", "topics", "--entity-name", orders, "--describe"
    )
    assert "retention.ms=172800000" in eu_configs
    assert "retention.ms=1000" in us_configs  # untouched: its part of the plan was stale
    assert max(len(line) for line in result.out.splitlines()) <= 80
