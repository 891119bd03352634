"""`busctl topics` and `busctl describe` offline (declarations only), and their drift logic on recorded
cluster states through the same diff plan uses."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from busctl.core.bus import Bus
from busctl.core.desired import DesiredTopic, declared_groups, desired_topics
from busctl.core.diff import DiffOptions, diff
from busctl.core.inventory import AclStatus, DriftStatus, Source, acl_rows, changes_by_topic, drift
from busctl.core.plan import Plan
from busctl.core.schemas import SchemaSet
from busctl.core.state import AclBinding, ClusterState, ConfigValue, TopicState
from busctl.core.topic_configs import load_catalogue
from busctl.loading.bus import load_bus
from busctl.render import describe as render_describe
from busctl.render import topics as render_topics
from busctl.render.json import as_json
from busctl.reports.describe import from_declaration
from busctl.reports.topics import from_bus
from tests.conftest import CliResult
from tests.reports import assert_report

Run = Callable[..., CliResult]
Repo = Callable[..., Path]
Surveyed = Callable[[ClusterState], tuple[Bus, list[DesiredTopic], Plan]]
LONG = "billing." + "a" * 49 + ".v1"  # 60 characters
LONG_TOPIC = (
    f"name: {LONG}\nowner: billing\ndescription: A topic with a long name.\n"
    "schema: acme.billing.v1.InvoiceCreated\n"
)


def fits(text: str) -> None:
    wide = [line for line in text.splitlines() if len(line) > 80]
    assert not wide, wide


def test_topics_lists_declarations(run: Run, bus_repo: Repo) -> None:
    root = bus_repo({"topics/billing/long.yaml": LONG_TOPIC})
    result = run("topics", "--repo", str(root))
    assert result.code == 0, result.err
    fits(result.out)
    assert "3 declared" in result.out and "clusters: local" in result.out
    row = next(line for line in result.out.splitlines() if line.startswith("billing.invoice-created.v1"))
    assert row.split() == ["billing.invoice-created.v1", "billing", "12", "3", "active"]
    lines = result.out.splitlines()
    long_at = lines.index(LONG)  # the 60-character name whole, on a line of its own
    assert lines[long_at + 1].split() == ["billing", "6", "3", "active"]  # bus.yaml's default partitions


def test_topics_json_and_team_filter(run: Run, bus_repo: Repo) -> None:
    result = run("topics", "--repo", str(bus_repo()), "--team", "audit", "-f", "json")
    document = assert_report("topics-report", result.out)
    assert [t["name"] for t in document["topics"]] == ["audit.events.v1"]
    topic = document["topics"][0]
    assert (topic["owner"], topic["file"], topic["partitions"], topic["clusters"]) == (
        "audit",
        "topics/audit/events.yaml",
        6,
        ["local"],
    )
    assert topic["drift"] is None and document["cluster"] is None


def test_topics_unknown_team(run: Run, bus_repo: Repo) -> None:
    result = run("topics", "--repo", str(bus_repo()), "--team", "biling")
    assert result.code == 1
    assert 'team "biling" is not defined' in result.err and 'did you mean "billing"' in result.err
    assert "Traceback" not in result.err


def test_topics_unknown_cluster(run: Run, bus_repo: Repo) -> None:
    result = run("topics", "--repo", str(bus_repo()), "--cluster", "lokal")
    assert result.code == 1
    assert 'cluster "lokal" is not defined' in result.err and 'did you mean "local"' in result.err


def test_describe_offline(run: Run, bus_repo: Repo) -> None:
    result = run("describe", "billing.invoice-created.v1", "--repo", str(bus_repo()))
    assert result.code == 0, result.err
    fits(result.out)
    text = result.out
    assert "defined at schemas/acme/billing/v1/invoice_created.proto:6:1" in text
    settings = {line.split()[0]: line.split()[1:] for line in text.splitlines() if line and line[0] != " "}
    assert settings["partitions"] == ["12", "declared"]
    assert settings["retention.ms"] == ["604800000", "(7d)", "declared"]
    assert settings["min.insync.replicas"] == ["2", "bus", "default"]
    assert settings["retention.bytes"] == ["-1", "catalogue"]  # Kafka's default, from the catalogue
    assert "group audit-log-writer:" in text
    assert "audit-log-writer        audit" in text or "audit-log-writer  audit" in text
    assert "max 10000 messages, for 10m · critical" in text


def test_describe_json(run: Run, bus_repo: Repo) -> None:
    result = run("describe", "billing.invoice-created.v1", "--repo", str(bus_repo()), "-f", "json")
    document = assert_report("describe-report", result.out)
    assert document["schema"] == {
        "message": "acme.billing.v1.InvoiceCreated",
        "defined_at": "schemas/acme/billing/v1/invoice_created.proto:6:1",
    }
    assert document["replication_factor"] == {
        "desired": 3,
        "source": "declared",
        "set_by": "the topic",
        "actual": None,
    }
    configs = {c["key"]: c for c in document["configs"]}
    assert configs["min.insync.replicas"]["source"] == "bus-default"
    assert configs["min.insync.replicas"]["set_by"] == "bus.yaml defaults"
    assert configs["cleanup.policy"]["desired"] == "delete"
    acls = {
        (a["binding"]["principal"], a["binding"]["operation"], a["binding"]["resource_type"]): a
        for a in document["acls"]
    }
    assert acls[("User:billing-api", "WRITE", "TOPIC")]["role"] == "producer"
    assert (
        acls[("User:billing-api", "WRITE", "TOPIC")]["declared_at"]
        == "topics/billing/invoice-created.yaml:12:16"
    )
    assert acls[("User:audit-log", "READ", "GROUP")]["binding"]["resource_name"] == "audit-log-writer"
    assert {a["status"] for a in document["acls"]} == {"declared"}
    [group] = document["consumer_groups"]
    assert (group["group"], group["team"], group["objective"]["for"]) == ("audit-log-writer", "audit", "10m")


def test_describe_long_name_fits(run: Run, bus_repo: Repo) -> None:
    result = run("describe", LONG, "--repo", str(bus_repo({"topics/billing/long.yaml": LONG_TOPIC})))
    assert result.code == 0, result.err
    fits(result.out)
    assert result.out.splitlines()[0] == LONG


def test_describe_unknown_topic(run: Run, bus_repo: Repo) -> None:
    result = run("describe", "billing.invoice-creatd.v1", "--repo", str(bus_repo()))
    assert result.code == 1
    assert 'topic "billing.invoice-creatd.v1" is not declared' in result.err
    assert 'did you mean "billing.invoice-created.v1"' in result.err
    assert "Traceback" not in result.err


# --- drift, from the plan's diff of a recorded cluster state ---------------------------------------


def _state(**topics: TopicState) -> ClusterState:
    return ClusterState(cluster_id="c1", brokers=(1, 2, 3), topics=dict(topics), acls=())


def _observed(name: str, partitions: int, **configs: str) -> TopicState:
    return TopicState(
        name,
        replicas=tuple((1, 2, 3) for _ in range(partitions)),
        configs={k: ConfigValue(v, "DYNAMIC_TOPIC_CONFIG") for k, v in configs.items()},
        isrs=tuple((1, 2, 3) for _ in range(partitions)),
        leaders=tuple(1 for _ in range(partitions)),
    )


@pytest.fixture
def surveyed(bus_repo: Repo) -> Surveyed:
    bus, _ = load_bus(bus_repo())
    catalogue = load_catalogue()

    def survey(state: ClusterState) -> tuple[Bus, list[DesiredTopic], Plan]:
        desired = desired_topics(bus, "local", catalogue)
        plan = diff(desired, declared_groups(bus), state, catalogue, DiffOptions(cluster="local"))
        return bus, desired, plan

    return survey


def test_drift_statuses(surveyed: Surveyed) -> None:
    billing = _observed(
        "billing.invoice-created.v1",
        10,
        **{"retention.ms": "1000", "cleanup.policy": "delete", "min.insync.replicas": "2"},
    )
    state = _state(
        **{"billing.invoice-created.v1": billing, "legacy.orders.v1": _observed("legacy.orders.v1", 1)}
    )
    bus, _, plan = surveyed(state)
    changes = changes_by_topic(plan, bus)
    found = drift("billing.invoice-created.v1", False, state, changes["billing.invoice-created.v1"])
    assert found.status is DriftStatus.DIFFERS
    assert found.fields == ("retention.ms", "partitions", "acls")  # what plan would change
    assert (
        drift("audit.events.v1", False, state, changes.get("audit.events.v1", [])).status
        is DriftStatus.MISSING
    )
    report = from_bus(bus, None, "local", state, plan)
    by_name = {t.name: t for t in report.topics}
    unmanaged, billing_entry = by_name["legacy.orders.v1"], by_name["billing.invoice-created.v1"]
    assert unmanaged.drift is not None and unmanaged.drift.status is DriftStatus.UNMANAGED
    assert billing_entry.actual is not None and billing_entry.actual.partitions == 10


def test_in_sync_when_plan_has_nothing(surveyed: Surveyed) -> None:
    bus, desired, _ = surveyed(_state())
    wanted = {a for t in desired for a in t.acls}
    billing = _observed(
        "billing.invoice-created.v1",
        12,
        **{"retention.ms": "604800000", "cleanup.policy": "delete", "min.insync.replicas": "2"},
    )
    state = ClusterState("c1", (1, 2, 3), {"billing.invoice-created.v1": billing}, acls=tuple(sorted(wanted)))
    bus, desired, plan = surveyed(state)
    changes = changes_by_topic(plan, bus).get("billing.invoice-created.v1", [])
    assert drift("billing.invoice-created.v1", False, state, changes).status is DriftStatus.IN_SYNC
    assert drift("audit.events.v1", True, state, []).status is DriftStatus.IN_SYNC  # tombstone, gone
    stale = ClusterState("c1", (1,), {"audit.events.v1": _observed("audit.events.v1", 1)}, acls=None)
    assert drift("audit.events.v1", True, stale, []).status is DriftStatus.TOMBSTONED


def test_acl_statuses(surveyed: Surveyed) -> None:
    stray = AclBinding("TOPIC", "billing.invoice-created.v1", "LITERAL", "User:old", "*", "READ", "ALLOW")
    prefixed = AclBinding("TOPIC", "billing.", "PREFIXED", "User:ops", "*", "DESCRIBE", "ALLOW")
    present = AclBinding(
        "TOPIC", "billing.invoice-created.v1", "LITERAL", "User:billing-api", "*", "WRITE", "ALLOW"
    )
    billing = _observed("billing.invoice-created.v1", 12)
    state = ClusterState(
        "c1", (1, 2, 3), {"billing.invoice-created.v1": billing}, acls=(stray, prefixed, present)
    )
    bus, desired, plan = surveyed(state)
    decl = bus.topic("billing.invoice-created.v1")
    assert decl is not None
    wanted = next(t for t in desired if t.name == decl.topic.name).acls
    rows = {r.binding: r for r in acl_rows(decl, wanted, state, changes_by_topic(plan, bus)[decl.topic.name])}
    assert rows[present].status is AclStatus.PRESENT and rows[present].role == "producer"
    assert rows[stray].status is AclStatus.UNDECLARED  # plan removes it
    assert rows[prefixed].status is AclStatus.UNMANAGED  # busctl leaves prefixed ACLs alone
    missing = [r for r in rows.values() if r.status is AclStatus.MISSING]
    assert {(r.binding.principal, r.binding.operation) for r in missing} >= {("User:audit-log", "READ")}


def test_describe_beside_a_recorded_cluster(surveyed: Surveyed) -> None:
    name = "billing.invoice-created.v1"
    observed = TopicState(
        name,
        replicas=((1, 2, 3), (2, 3, 1)),
        configs={
            "retention.ms": ConfigValue("1000", "DYNAMIC_TOPIC_CONFIG"),
            "cleanup.policy": ConfigValue("delete", "DEFAULT_CONFIG"),
            "segment.bytes": ConfigValue("536870912", "STATIC_BROKER_CONFIG"),
            "flush.ms": ConfigValue("9223372036854775807", "DEFAULT_CONFIG"),
        },
        isrs=((1, 2, 3), (2,)),
        leaders=(1, -1),
    )
    state = ClusterState("c1", (1, 2, 3), {name: observed}, acls=())
    bus, desired, plan = surveyed(state)
    decl = bus.topic(name)
    assert decl is not None
    wanted = next(t for t in desired if t.name == name)
    schemas = SchemaSet(root="schemas", compiled=False)
    report = from_declaration(bus, schemas, decl, wanted, load_catalogue(), "local", state, plan)
    assert_report("describe-report", as_json(report))
    configs = {c.key: c for c in report.configs}
    assert (configs["retention.ms"].actual, configs["retention.ms"].differs) == ("1000", True)
    segment = configs["segment.bytes"]  # set on the brokers: shown, beside Kafka's catalogue default
    assert (segment.desired, segment.source, segment.kafka_source) == (
        "1073741824",
        Source.CATALOGUE_DEFAULT,
        "STATIC_BROKER_CONFIG",
    )
    assert "flush.ms" not in configs  # Kafka's own default, declared nowhere: not worth a line
    assert report.schema_.defined_at is None  # schemas not compiled: said, not guessed
    assert [(p.leader, p.under_replicated) for p in report.partition_states] == [(1, False), (-1, True)]
    assert report.drift is not None
    assert report.drift.fields == ["min.insync.replicas", "retention.ms", "partitions", "acls"]
    text = render_describe.as_text(report)
    fits(text)
    assert re.search(r"retention\.ms\s+604800000 \(7d\)\s+declared\s+1000 \(1s\) \(topic\)\s+differs", text)
    assert re.search(r"^1\s+none\s+2,3,1\s+2\s+offline$", text, re.MULTILINE)
    assert re.search(r"User:billing-api\s+WRITE\s+producer\s+missing", text)


def test_drift_colours_only_when_asked(surveyed: Surveyed) -> None:
    state = _state(**{"legacy.orders.v1": _observed("legacy.orders.v1", 1)})
    bus, _, plan = surveyed(state)
    report = from_bus(bus, None, "local", state, plan)
    painted = render_topics.as_text(report, color=True)
    assert "\x1b[33mmissing\x1b[0m" in painted and "\x1b[2munmanaged\x1b[0m" in painted
    assert "\x1b[1mTOPIC" in painted  # bold header
    plain = render_topics.as_text(report)
    assert "\x1b" not in plain
    fits(plain)


@pytest.mark.parametrize(
    "args", [("topics",), ("describe", "billing.invoice-created.v1"), ("owner", "billing")]
)
def test_read_commands_refuse_github_format_as_a_usage_error(
    run: Callable[..., CliResult], bus_repo: Callable[..., Path], args: tuple[str, ...]
) -> None:
    result = run(*args, "--repo", str(bus_repo()), "--format", "github")
    assert result.code == 2 and result.out == ""
    assert "'github' is not one of 'text', 'json', 'markdown'" in result.err
