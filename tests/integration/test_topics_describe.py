"""`busctl topics --cluster` and `busctl describe --cluster` on real brokers, checked against what
Kafka's own tools (kafka-topics, kafka-configs, kafka-acls) report."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult, write_files
from tests.integration.conftest import Broker, bus_for
from tests.integration.test_acl_and_cluster import CONSUMERS, acl_list
from tests.integration.test_plan_apply import apply, converged, topic_yaml
from tests.reports import assert_report

pytestmark = pytest.mark.kafka
Run = Callable[..., CliResult]
LONG = "billing.d1-" + "x" * 46 + ".v1"  # 60 characters


@pytest.fixture
def repo(kafka_single: Broker, tmp_path: Path) -> Callable[..., Path]:
    """A bus on the single broker whose only topics are the ones the test writes."""
    root = bus_for(kafka_single, tmp_path / "bus")
    write_files(root, {"topics/billing/invoice-created.yaml": None, "topics/audit/events.yaml": None})

    def with_topics(files: dict[str, str | None]) -> Path:
        write_files(root, files)
        return root

    return with_topics


def kafka_partitions(broker: Broker, topic: str) -> dict[int, tuple[int, list[int], list[int]]]:
    """kafka-topics --describe: partition -> (leader, replicas, isr)."""
    found = {}
    for line in broker.tool("topics", "--describe", "--topic", topic).splitlines():
        match = re.search(r"Partition: (\d+)\s+Leader: (-?\d+)\s+Replicas: ([\d,]*)\s+Isr: ([\d,]*)", line)
        if match:
            number, leader, replicas, isr = match.groups()
            found[int(number)] = (int(leader), _ids(replicas), _ids(isr))
    return found


def _ids(text: str) -> list[int]:
    return [int(i) for i in text.split(",") if i]


def kafka_dynamic_configs(broker: Broker, topic: str) -> dict[str, str]:
    """kafka-configs --describe: the configs set on the topic itself."""
    described = broker.tool("configs", "--entity-type", "topics", "--entity-name", topic, "--describe")
    return dict(re.findall(r"^\s+([a-z0-9.]+)=(\S*) sensitive=", described, re.MULTILINE))


def test_drift_and_describe_match_kafka(run: Run, repo: Callable[..., Path], kafka_single: Broker) -> None:
    root = repo(
        {
            "topics/billing/d1.yaml": topic_yaml("billing.d1-retention.v1", partitions=3),
            "topics/billing/d1b.yaml": topic_yaml("billing.d1-partitions.v1", partitions=2),
            "topics/billing/d1c.yaml": topic_yaml(LONG, partitions=1),
        }
    )
    assert apply(run, root).code == 0
    converged(run, root)
    # drift made with Kafka's own tools, behind busctl's back
    kafka_single.tool(
        "configs", "--alter", "--entity-type", "topics", "--entity-name", "billing.d1-retention.v1",
        "--add-config", "retention.ms=1000",
    )  # fmt: skip
    kafka_single.tool("topics", "--alter", "--topic", "billing.d1-partitions.v1", "--partitions", "4")
    kafka_single.tool("topics", "--create", "--topic", "billing.d1-stray.v1", "--partitions", "1")
    write_files(root, {"topics/billing/d1d.yaml": topic_yaml("billing.d1-missing.v1")})

    result = run("topics", "--cluster", "local", "--repo", str(root), "-f", "json")
    assert result.code == 0, result.err
    document = assert_report("topics-report", result.out)
    entries = {t["name"]: t for t in document["topics"] if t["name"].startswith("billing.d1-")}
    drift = {name: (t["drift"]["status"], t["drift"]["fields"]) for name, t in entries.items()}
    assert drift == {
        "billing.d1-retention.v1": ("differs", ["retention.ms"]),
        "billing.d1-partitions.v1": ("differs", ["partitions"]),
        LONG: ("in-sync", []),
        "billing.d1-missing.v1": ("missing", []),
        "billing.d1-stray.v1": ("unmanaged", []),
    }
    for name, entry in entries.items():
        if entry["actual"] is not None:
            assert entry["actual"]["partitions"] == len(kafka_partitions(kafka_single, name))
    assert entries["billing.d1-partitions.v1"]["partitions"] == 2  # declared, beside the actual 4
    assert entries["billing.d1-missing.v1"]["actual"] is None

    text = run("topics", "--cluster", "local", "--repo", str(root)).out
    assert all(len(line) <= 80 for line in text.splitlines()), text
    assert LONG in text.splitlines()  # the 60-character name whole, on its own line
    assert re.search(r"billing\.d1-partitions\.v1\s+billing\s+2/4\s+1/1\s+differs: partitions", text)

    described = run(
        "describe", "billing.d1-retention.v1", "--cluster", "local", "--repo", str(root), "-f", "json"
    )
    assert described.code == 0, described.err
    report = assert_report("describe-report", described.out)
    configs = {c["key"]: c for c in report["configs"]}
    assert configs["retention.ms"] == {
        "key": "retention.ms",
        "desired": "604800000",
        "source": "declared",
        "set_by": "the topic",
        "actual": "1000",
        "kafka_source": "DYNAMIC_TOPIC_CONFIG",
        "differs": True,
    }
    dynamic = kafka_dynamic_configs(kafka_single, "billing.d1-retention.v1")
    assert {
        k: c["actual"] for k, c in configs.items() if c["kafka_source"] == "DYNAMIC_TOPIC_CONFIG"
    } == dynamic
    assert configs["min.insync.replicas"]["source"] == "cluster-override"  # bus_for's local override
    assert report["drift"] == {"status": "differs", "fields": ["retention.ms"]}
    partitions = {p["partition"]: (p["leader"], p["replicas"], p["isr"]) for p in report["partition_states"]}
    assert partitions == kafka_partitions(kafka_single, "billing.d1-retention.v1")
    assert report["acls_enforced"] is False  # the single broker has no authorizer

    text = run("describe", "billing.d1-retention.v1", "--cluster", "local", "--repo", str(root)).out
    assert all(len(line) <= 80 for line in text.splitlines()), text
    assert re.search(r"retention\.ms\s+604800000 \(7d\)\s+declared\s+1000 \(1s\) \(topic\)\s+differs", text)
    long_text = run("describe", LONG, "--cluster", "local", "--repo", str(root)).out
    assert long_text.splitlines()[0] == LONG and all(len(line) <= 80 for line in long_text.splitlines())


def test_describe_acls_match_kafka(run: Run, acl_repo: Path, kafka_acl: Broker) -> None:
    name = "billing.d2-acls.v1"
    write_files(acl_repo, {"topics/billing/d2.yaml": topic_yaml(name, extra=CONSUMERS)})
    assert apply(run, acl_repo).code == 0
    kafka_acl.tool(
        "acls",
        "--remove",
        "--force",
        "--allow-principal",
        "User:alice",
        "--operation",
        "Write",
        "--topic",
        name,
    )
    kafka_acl.tool(
        "acls", "--add", "--allow-principal", "User:mallory", "--operation", "Read", "--topic", name
    )
    listed = acl_list(kafka_acl, name)
    assert "User:mallory" in listed and "principal=User:alice, host=*, operation=WRITE" not in listed

    result = run("describe", name, "--cluster", "local", "--repo", str(acl_repo), "-f", "json")
    assert result.code == 0, result.err
    report = assert_report("describe-report", result.out)
    status = {
        (a["binding"]["principal"], a["binding"]["operation"], a["binding"]["resource_type"]): a["status"]
        for a in report["acls"]
    }
    assert status[("User:alice", "WRITE", "TOPIC")] == "missing"
    assert status[("User:alice", "DESCRIBE", "TOPIC")] == "present"
    assert status[("User:mallory", "READ", "TOPIC")] == "undeclared"
    assert status[("User:bob", "READ", "GROUP")] == "present"
    on_cluster = {k for k, v in status.items() if v in ("present", "undeclared") and k[2] == "TOPIC"}
    for principal, operation, _ in on_cluster:  # every binding busctl sees, kafka-acls lists too
        assert f"principal={principal}, host=*, operation={operation}" in listed
    assert report["drift"] == {"status": "differs", "fields": ["acls"]}
    text = run("describe", name, "--cluster", "local", "--repo", str(acl_repo)).out
    assert re.search(r"User:alice\s+WRITE\s+producer\s+missing", text)
    assert all(len(line) <= 80 for line in text.splitlines()), text
