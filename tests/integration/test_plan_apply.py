"""plan and apply against a real single-node broker; applied state checked with Kafka's own tools."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from tests.conftest import CliResult, write_files
from tests.integration.conftest import Broker, bus_for, create_topics_and_wait

pytestmark = pytest.mark.kafka
Run = Callable[..., CliResult]


def topic_yaml(
    name: str,
    *,
    owner: str = "billing",
    partitions: int = 3,
    key: str = "string",
    config: str = "{retention.ms: 7d}",
    extra: str = "",
) -> str:
    schema = "acme.billing.v1.InvoiceCreated" if owner == "billing" else "acme.audit.v1.AuditEvent"
    return (
        f"name: {name}\nowner: {owner}\ndescription: test topic\nschema: {schema}\nkey: {key}\n"
        f"partitions: {partitions}\nconfig: {config}\n{extra}"
    )


@pytest.fixture
def repo(kafka_single: Broker, tmp_path: Path, request: pytest.FixtureRequest) -> Callable[..., Path]:
    """A bus on the single broker whose only topics are the ones a test writes (unique per test)."""
    root = bus_for(kafka_single, tmp_path / "bus")
    write_files(root, {"topics/billing/invoice-created.yaml": None, "topics/audit/events.yaml": None})

    def with_topics(files: dict[str, str | None]) -> Path:
        write_files(root, files)
        return root

    return with_topics


def plan(run: Run, root: Path, *args: str) -> CliResult:
    return run("plan", "--cluster", "local", "--repo", str(root), "--detailed-exitcode", *args)


def apply(run: Run, root: Path, *args: str) -> CliResult:
    return run("apply", "--cluster", "local", "--repo", str(root), "--auto-approve", *args)


def converged(run: Run, root: Path) -> None:
    result = plan(run, root)
    assert result.code == 0, result.out
    assert "no changes" in result.out


def test_create_then_no_changes(run: Run, repo: Callable[..., Path], kafka_single: Broker) -> None:
    root = repo(
        {
            "topics/billing/t1.yaml": topic_yaml(
                "billing.t1-created.v1", partitions=4, config="{retention.ms: 3d, segment.bytes: 64MiB}"
            )
        }
    )
    first = plan(run, root)
    assert first.code == 2
    assert "+ billing.t1-created.v1" in first.out and "259200000 (3d)" in first.out
    done = apply(run, root)
    assert done.code == 0, done.out + done.err
    assert "applied 1 change(s)" in done.out
    converged(run, root)
    described = kafka_single.tool("topics", "--describe", "--topic", "billing.t1-created.v1")
    assert "PartitionCount: 4" in described and "ReplicationFactor: 1" in described
    configs = kafka_single.tool(
        "configs", "--entity-type", "topics", "--entity-name", "billing.t1-created.v1", "--describe"
    )
    assert "retention.ms=259200000" in configs and "segment.bytes=67108864" in configs


def test_update_and_remove_configs(run: Run, repo: Callable[..., Path], kafka_single: Broker) -> None:
    name = "billing.t2-configs.v1"
    root = repo(
        {"topics/billing/t2.yaml": topic_yaml(name, config="{retention.ms: 1d, max.message.bytes: 2MiB}")}
    )
    assert apply(run, root).code == 0
    write_files(root, {"topics/billing/t2.yaml": topic_yaml(name, config="{retention.ms: 2d}")})
    result = plan(run, root)
    assert result.code == 2
    assert "86400000 (1d) → 172800000 (2d)" in result.out
    assert "max.message.bytes  2097152 (2MiB) → (default)" in result.out
    assert apply(run, root).code == 0
    converged(run, root)
    configs = kafka_single.tool("configs", "--entity-type", "topics", "--entity-name", name, "--describe")
    assert "retention.ms=172800000" in configs and "max.message.bytes=" not in configs


def test_partition_increase_warns_for_keyed_topics_and_decrease_is_blocked(
    run: Run, repo: Callable[..., Path], kafka_single: Broker
) -> None:
    name = "billing.t3-partitions.v1"
    root = repo({"topics/billing/t3.yaml": topic_yaml(name, partitions=2)})
    assert apply(run, root).code == 0
    write_files(root, {"topics/billing/t3.yaml": topic_yaml(name, partitions=5)})
    more = plan(run, root)
    assert "partitions 2 → 5" in more.out and "keyed topic" in more.out
    assert apply(run, root).code == 0
    assert "PartitionCount: 5" in kafka_single.tool("topics", "--describe", "--topic", name)
    write_files(root, {"topics/billing/t3.yaml": topic_yaml(name, partitions=3)})
    fewer = plan(run, root)
    assert fewer.code == 2 and "reason: partitions 5 → 3 (Kafka cannot remove partitions)" in fewer.out
    refused = apply(run, root)
    assert refused.code == 1
    assert "PartitionCount: 5" in kafka_single.tool("topics", "--describe", "--topic", name)


def test_unmanaged_topics_are_listed_and_left_alone(
    run: Run, repo: Callable[..., Path], kafka_single: Broker
) -> None:
    admin = AdminClient(kafka_single.admin_config())
    create_topics_and_wait(admin, [NewTopic("legacy.t4-events", 1, 1)])
    root = repo({"topics/billing/t4.yaml": topic_yaml("billing.t4-managed.v1")})
    result = plan(run, root)
    assert "unmanaged (exist in cluster, not declared; left alone)" in result.out
    assert "legacy.t4-events" in result.out
    assert "__consumer_offsets" not in result.out.split("unmanaged")[1]
    assert apply(run, root).code == 0
    assert "legacy.t4-events" in kafka_single.tool("topics", "--list")


def test_tombstone_deletes_only_with_allow_delete(
    run: Run, repo: Callable[..., Path], kafka_single: Broker
) -> None:
    name = "billing.t5-doomed.v1"
    root = repo({"topics/billing/t5.yaml": topic_yaml(name)})
    assert apply(run, root).code == 0
    write_files(root, {"topics/billing/t5.yaml": topic_yaml(name, extra="lifecycle: deleted\n")})
    blocked = plan(run, root, "--topic", name)
    assert "reason: tombstoned, and its file does not approve the deletion (BUS515)" in blocked.out
    assert name in kafka_single.tool("topics", "--list")
    deleting = apply(run, root, "--topic", name, "--allow-delete")
    assert deleting.code == 0, deleting.out
    deadline = time.monotonic() + 30
    while name in kafka_single.tool("topics", "--list") and time.monotonic() < deadline:
        time.sleep(1)
    assert name not in kafka_single.tool("topics", "--list")
    assert plan(run, root, "--topic", name, "--allow-delete").code == 0


def test_broker_rejection_in_preflight_changes_nothing(
    run: Run, repo: Callable[..., Path], kafka_single: Broker
) -> None:
    good, bad = "billing.t6-good.v1", "billing.t6-bad.v1"
    root = repo(
        {
            "topics/billing/t6a.yaml": topic_yaml(good),
            # a valid config, but this broker has no tiered storage: only the broker can know
            "topics/billing/t6b.yaml": topic_yaml(bad, config="{remote.storage.enable: true}"),
        }
    )
    result = apply(run, root)
    assert result.code == 1
    assert "preflight failed for 1 of 2 change(s); nothing was applied" in result.out
    assert bad in result.out and "Tiered Storage functionality is disabled" in result.out
    listing = kafka_single.tool("topics", "--list")
    assert good not in listing and bad not in listing


def test_saved_plan_applies_and_refuses_when_stale(
    run: Run, repo: Callable[..., Path], kafka_single: Broker, tmp_path: Path
) -> None:
    root = repo({"topics/billing/t7.yaml": topic_yaml("billing.t7-saved.v1")})
    saved = tmp_path / "plan.json"
    assert plan(run, root, "--out", str(saved), "--topic", "billing.t7-*").code == 2
    document = json.loads(saved.read_text())
    assert document["format_version"] == 3 and document["options"]["topic_filter"] == "billing.t7-*"
    assert apply(run, root, str(saved)).code == 0
    assert "billing.t7-saved.v1" in kafka_single.tool("topics", "--list")
    # a plan made before an out-of-band change is refused
    write_files(root, {"topics/billing/t7b.yaml": topic_yaml("billing.t7-later.v1")})
    assert plan(run, root, "--out", str(saved), "--topic", "billing.t7-*").code == 2
    admin = AdminClient(kafka_single.admin_config())  # keep a reference: the handle must outlive the future
    create_topics_and_wait(admin, [NewTopic("billing.t7-sneaky.v1", 1, 1)])
    stale = apply(run, root, str(saved))
    assert stale.code == 1 and "the cluster changed since" in stale.err
    assert "billing.t7-later.v1" not in kafka_single.tool("topics", "--list")


def test_apply_without_terminal_needs_auto_approve(run: Run, repo: Callable[..., Path]) -> None:
    root = repo({"topics/billing/t8.yaml": topic_yaml("billing.t8-confirm.v1")})
    result = run("apply", "--cluster", "local", "--repo", str(root))
    assert result.code == 1 and "refusing to apply without confirmation" in result.err


def test_unreachable_cluster_is_a_clear_error(run: Run, tmp_path: Path, kafka_single: Broker) -> None:
    root = bus_for(kafka_single, tmp_path / "bus")
    text = (root / "bus.yaml").read_text().replace(kafka_single.bootstrap, "127.0.0.1:9")
    (root / "bus.yaml").write_text(text)
    started = time.monotonic()
    result = run("plan", "--cluster", "local", "--repo", str(root), "--timeout", "3")
    assert result.code == 1
    assert "cannot reach cluster local (127.0.0.1:9)" in result.err
    assert "Traceback" not in result.err and time.monotonic() - started < 30


def test_unknown_cluster_name(run: Run, repo: Callable[..., Path]) -> None:
    result = run("plan", "--cluster", "lokal", "--repo", str(repo({})))
    assert result.code == 1 and 'did you mean "local"' in result.err


def test_a_lint_error_holds_back_that_topic_only(
    run: Run, repo: Callable[..., Path], kafka_single: Broker
) -> None:
    root = repo(
        {
            "topics/billing/t9.yaml": topic_yaml("billing.t9-bad.v1", config="{retension.ms: 1d}"),
            "topics/billing/t9-good.yaml": topic_yaml("billing.t9-good.v1"),
        }
    )
    planned = run("plan", "--cluster", "local", "--repo", str(root), "--topic", "billing.t9-*")
    assert planned.code == 1, planned.err
    assert "not planned: lint errors (1 topic(s))" in planned.out and "BUS401" in planned.out
    assert "+ billing.t9-good.v1" in planned.out
    applied = run(
        "apply", "--cluster", "local", "--repo", str(root), "--topic", "billing.t9-*", "--auto-approve"
    )
    assert applied.code == 1, applied.out + applied.err  # the held topic makes it exit 1, the rest is applied
    listed = set(kafka_single.tool("topics", "--list").split())
    assert "billing.t9-good.v1" in listed and "billing.t9-bad.v1" not in listed


def test_a_topic_whose_schema_names_no_message_is_not_created(
    run: Run, repo: Callable[..., Path], kafka_single: Broker
) -> None:
    root = repo(
        {
            "topics/billing/g1-good.yaml": topic_yaml("billing.g1-good.v1"),
            "topics/billing/g1-bad.yaml": topic_yaml("billing.g1-bad.v1").replace(
                "InvoiceCreated", "InvoiceCreatd"
            ),
        }
    )
    planned = plan(run, root, "--format", "json", "--topic", "billing.g1-*")
    assert planned.code == 2, planned.err
    document = json.loads(planned.out)
    assert [c["topic"] for c in document["changes"]] == ["billing.g1-good.v1"]
    [blocked] = document["blocked"]
    assert blocked["topic"] == "billing.g1-bad.v1"
    assert "BUS302" in blocked["reason"] and "InvoiceCreatd" in blocked["reason"]
    assert "topics/billing/g1-bad.yaml" in blocked["reason"]

    applied = apply(run, root, "--topic", "billing.g1-*")
    assert applied.code == 1, applied.out + applied.err  # blocked changes make apply exit 1
    listed = kafka_single.tool("topics", "--list")
    assert "billing.g1-good.v1" in listed.split() and "billing.g1-bad.v1" not in listed.split()
