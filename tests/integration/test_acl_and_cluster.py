"""plan/apply on a SASL/PLAIN + ACL broker and on a 3-node cluster."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
)

from tests.conftest import CliResult, write_files
from tests.integration.clients import consume_and_commit, produce
from tests.integration.conftest import Broker, bus_for
from tests.integration.test_plan_apply import apply, converged, plan, topic_yaml
from tests.reports import assert_report

pytestmark = pytest.mark.kafka
Run = Callable[..., CliResult]

CONSUMERS = """producers:
  - principal: User:alice
consumers:
  - group: t-acl-readers
    principal: User:bob
    team: audit
"""


def acl_list(broker: Broker, topic: str) -> str:
    return broker.tool("acls", "--list", "--topic", topic)


def test_acls_follow_producers_and_consumers(run: Run, acl_repo: Path, kafka_acl: Broker) -> None:
    name = "billing.a1-acls.v1"
    write_files(acl_repo, {"topics/billing/a1.yaml": topic_yaml(name, extra=CONSUMERS)})
    first = plan(run, acl_repo)
    assert first.code == 2
    assert "+ acl  User:alice  WRITE  topic billing.a1-acls.v1" in first.out
    assert "+ acl  User:bob  READ  group t-acl-readers" in first.out
    assert apply(run, acl_repo).code == 0
    converged(run, acl_repo)
    listed = acl_list(kafka_acl, name)
    assert re.search(r"principal=User:alice, host=\*, operation=WRITE, permissionType=ALLOW", listed)
    assert re.search(r"principal=User:bob, host=\*, operation=READ, permissionType=ALLOW", listed)
    # bob stops consuming: his ACLs go, alice's stay
    write_files(
        acl_repo, {"topics/billing/a1.yaml": topic_yaml(name, extra=CONSUMERS.split("consumers:")[0])}
    )
    fewer = plan(run, acl_repo)
    assert "- acl  User:bob  READ  topic billing.a1-acls.v1" in fewer.out
    assert apply(run, acl_repo).code == 0
    listed = acl_list(kafka_acl, name)
    assert "User:bob" not in listed and "User:alice" in listed
    converged(run, acl_repo)


def test_only_managed_acls_are_removed(run: Run, acl_repo: Path, kafka_acl: Broker) -> None:
    name = "billing.a2-managed.v1"
    write_files(acl_repo, {"topics/billing/a2.yaml": topic_yaml(name)})
    assert apply(run, acl_repo).code == 0
    admin = AdminClient(kafka_acl.admin_config())
    literal = AclBinding(
        ResourceType.TOPIC,
        name,
        ResourcePatternType.LITERAL,
        "User:bob",
        "*",
        AclOperation.READ,
        AclPermissionType.ALLOW,
    )
    prefixed = AclBinding(
        ResourceType.TOPIC,
        "billing.a2",
        ResourcePatternType.PREFIXED,
        "User:bob",
        "*",
        AclOperation.READ,
        AclPermissionType.ALLOW,
    )
    for future in admin.create_acls([literal, prefixed]).values():
        future.result(30)
    # the ACLs reach the authorizer through the metadata log a moment after the ack: wait for them
    everything = AclBindingFilter(
        ResourceType.ANY, None, ResourcePatternType.ANY, None, None, AclOperation.ANY, AclPermissionType.ANY
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        visible = admin.describe_acls(everything).result(30)
        if literal in visible and prefixed in visible:
            break
        time.sleep(0.2)
    result = plan(run, acl_repo)
    assert "- acl  User:bob  READ  topic billing.a2-managed.v1" in result.out
    assert "billing.a2 " not in result.out  # the PREFIXED ACL is not busctl's
    assert apply(run, acl_repo).code == 0
    prefixed_left = kafka_acl.tool(
        "acls", "--list", "--topic", "billing.a2", "--resource-pattern-type", "prefixed"
    )
    assert "User:bob" in prefixed_left


def test_wrong_password_is_clear_and_secret_free(
    run: Run, acl_repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("BUS_TEST_PASSWORD", "wrong-s3cret-value")
    result = run("plan", "--cluster", "local", "--repo", str(acl_repo), "--timeout", "10")
    assert result.code == 1
    assert "authentication" in result.err.lower()
    assert "wrong-s3cret-value" not in result.out + result.err


def test_missing_secret_variable_is_named(run: Run, acl_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BUS_TEST_PASSWORD")
    result = run("plan", "--cluster", "local", "--repo", str(acl_repo))
    assert result.code == 1 and "BUS_TEST_PASSWORD is not set" in result.err


def test_unprivileged_admin_is_refused_clearly(
    run: Run, acl_repo: Path, monkeypatch: pytest.MonkeyPatch, kafka_acl: Broker
) -> None:
    monkeypatch.setenv("BUS_TEST_USER", "alice")
    monkeypatch.setenv("BUS_TEST_PASSWORD", "alice-secret")
    result = run("plan", "--cluster", "local", "--repo", str(acl_repo), "--timeout", "10")
    assert result.code == 1
    assert "not authorised" in result.err or "authoriz" in result.err.lower()
    assert "alice-secret" not in result.out + result.err


def test_plan_file_holds_no_secrets(run: Run, acl_repo: Path, kafka_acl: Broker, tmp_path: Path) -> None:
    write_files(acl_repo, {"topics/billing/a3.yaml": topic_yaml("billing.a3-secret.v1", extra=CONSUMERS)})
    saved = tmp_path / "plan.json"
    result = plan(run, acl_repo, "--out", str(saved), "--format", "json")
    password = kafka_acl.settings["KAFKA_SASL_PASSWORD"]
    assert password not in saved.read_text() and password not in result.out + result.err
    assert "SASL" not in saved.read_text()
    assert saved.read_text("utf-8") == result.out  # --out saves the very bytes --format json prints
    assert_report("plan-report", result.out)


def test_three_nodes_replicate_and_rf_changes_are_blocked_with_a_reassignment(
    run: Run, kafka_cluster: Broker, tmp_path: Path
) -> None:
    root = bus_for(kafka_cluster, tmp_path / "bus")
    write_files(
        root,
        {
            "topics/billing/invoice-created.yaml": None,
            "topics/audit/events.yaml": None,
            "topics/billing/c1.yaml": topic_yaml("billing.c1-replicated.v1", partitions=3),
        },
    )
    assert apply(run, root).code == 0
    converged(run, root)
    described = kafka_cluster.tool("topics", "--describe", "--topic", "billing.c1-replicated.v1")
    assert "ReplicationFactor: 3" in described
    assert len(re.findall(r"Replicas: \d,\d,\d", described)) == 3
    text = (root / "bus.yaml").read_text()
    assert "overrides: {replication_factor: 3," in text
    text = text.replace("overrides: {replication_factor: 3,", "overrides: {replication_factor: 2,")
    (root / "bus.yaml").write_text(text)
    blocked = plan(run, root, "--format", "json")
    item = json.loads(blocked.out)["blocked"][0]
    assert item["reason"].startswith("replication factor 3 → 2 needs a partition reassignment")
    reassignment = json.loads(item["remedy"].split("; ", 1)[1])
    assert [len(p["replicas"]) for p in reassignment["partitions"]] == [2, 2, 2]
    # the remedy is real: Kafka's own reassignment tool accepts and completes it
    plan_file = tmp_path / "reassign.json"
    plan_file.write_text(json.dumps(reassignment))
    tool = "org.apache.kafka.tools.reassign.ReassignPartitionsCommand"
    kafka_cluster.tool(tool, "--reassignment-json-file", str(plan_file), "--execute")
    verified = ""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        verified = kafka_cluster.tool(tool, "--reassignment-json-file", str(plan_file), "--verify")
        if "is still in progress" not in verified:
            break
        time.sleep(1)
    assert "is completed" in verified
    # the new replica sets reach every broker's metadata a moment after the reassignment completes
    deadline = time.monotonic() + 30
    while plan(run, root).code != 0 and time.monotonic() < deadline:
        time.sleep(0.5)
    converged(run, root)


def test_lag_over_sasl_reads_the_group_bob_consumes_with(run: Run, acl_repo: Path, kafka_acl: Broker) -> None:
    name = "billing.a4-lag.v1"
    write_files(acl_repo, {"topics/billing/a4.yaml": topic_yaml(name, extra=CONSUMERS)})
    assert apply(run, acl_repo).code == 0
    sasl = {k: v for k, v in kafka_acl.admin_config().items() if k != "bootstrap.servers"}
    bob = {**sasl, "sasl.username": "bob", "sasl.password": "bob-secret"}
    produce(kafka_acl.bootstrap, name, 5, partition=0, auth=sasl)
    consume_and_commit(kafka_acl.bootstrap, name, "t-acl-readers", 2, partition=0, auth=bob)  # READ by apply
    lag = ["lag", "--cluster", "local", "--repo", str(acl_repo), "--topic", name, "-f", "json"]
    result = run(*lag, "--interval", "0")  # one sample: bob has stopped, two would call him stuck
    assert result.code == 0, result.out + result.err
    (group,) = json.loads(result.out)["groups"]
    assert (group["group"], group["lag"], group["status"]) == ("t-acl-readers", 3, "ok")
    assert group["seconds_behind"] is not None and 0 <= group["seconds_behind"] < 120  # read over SASL
