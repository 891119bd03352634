"""`busctl owner`: message, topic, file, directory, consumer group, principal, team and glob queries,
with provenance."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import BASE_BUS, REPO_ROOT, CliResult
from tests.reports import assert_report

Run = Callable[..., CliResult]


def owner(run: Run, *args: str) -> CliResult:
    return run("owner", *args, "--repo", str(REPO_ROOT))


def test_message_query(run: Run) -> None:
    result = owner(run, "acme.billing.v1.InvoiceCreated")
    assert result.code == 0
    assert "billing (@acme/billing)" in result.out
    assert "https://chat.example.com/rooms/billing" in result.out
    assert "billing.invoice-created.v1" in result.out
    assert "schemas/acme/billing/v1/invoice_created.proto:" in result.out
    assert "teams.yaml" in result.out  # why: the schemas: claim


def test_topic_query_json(run: Run) -> None:
    result = owner(run, "audit.events.v1", "--format", "json")
    document = json.loads(result.out)
    assert document["format_version"] == 1
    assert (document["kind"], document["team"], document["github"]) == ("topic", "audit", "@acme/audit")
    assert document["files"][0] == "topics/audit/events.yaml"
    assert document["why"][0].startswith("topics/audit/events.yaml:2:")


@pytest.mark.parametrize(
    ("query", "team"),
    [
        ("topics/zones/zone-state.yaml", "zones"),
        ("schemas/acme/common/v1/money.proto", "platform"),
        ("bus.yaml", "platform"),
        (str(REPO_ROOT / "teams.yaml"), "platform"),
        ("./topics/audit/events.yaml", "audit"),
    ],
)
def test_file_queries(run: Run, query: str, team: str) -> None:
    result = owner(run, query, "--format", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["team"] == team


def test_team_query_lists_topics_and_directories(run: Run) -> None:
    document = json.loads(owner(run, "zones", "--format", "json").out)
    assert "zones.zone-state.v1" in document["topics"]
    assert "schemas/acme/zones/" in document["files"]


def test_consumer_team_does_not_own_the_topic(run: Run) -> None:
    document = json.loads(owner(run, "billing.invoice-created.v1", "--format", "json").out)
    assert document["team"] == "billing"


def test_unknown_query_suggests(run: Run) -> None:
    result = owner(run, "acme.billing.v1.InvoiceCreatd")
    assert result.code == 1
    assert 'did you mean "acme.billing.v1.InvoiceCreated"' in result.err


def test_topic_query_shows_configs_both_ways(run: Run) -> None:
    text = owner(run, "zones.zone-state.v1").out
    assert "segment.bytes = 67108864 (64MiB)" in text
    assert "min.insync.replicas = 2" in text  # from bus.yaml defaults
    document = json.loads(owner(run, "zones.zone-state.v1", "--format", "json").out)
    assert document["config"]["delete.retention.ms"] == "86400000"


def test_json_validates_against_the_owner_report(run: Run) -> None:
    document = assert_report("owner-report", owner(run, "audit.events.v1", "--format", "json").out)
    assert document["teams"] == [
        {"team": "audit", "chat": "https://chat.example.com/rooms/audit", "github": "@acme/audit"}
    ]


def test_consumer_group_query(run: Run) -> None:
    result = owner(run, "audit-log-writer", "--format", "json")
    document = assert_report("owner-report", result.out)
    assert (document["kind"], document["team"]) == ("group", "audit")  # the consumer team, not the owners
    assert "billing.invoice-created.v1" in document["topics"]
    consumed = {i["name"]: i["team"] for i in document["items"] if i["kind"] == "topic"}
    assert consumed["billing.invoice-created.v1"] == "billing"  # the topic's owner declares it
    assert {i["role"] for i in document["items"]} == {"consumes"}
    assert document["why"][0].startswith("topics/billing/invoice-created.yaml:15:12: billing declares")


def test_principal_query(run: Run) -> None:
    result = owner(run, "User:billing-api")
    assert result.code == 0, result.err
    assert all(len(line) <= 80 for line in result.out.splitlines())
    document = assert_report("owner-report", owner(run, "User:billing-api", "-f", "json").out)
    produced = {
        i["name"]: i["team"] for i in document["items"] if i["role"] == "produces" and i["kind"] == "topic"
    }
    assert produced["billing.invoice-created.v1"] == "billing"
    assert produced["audit.events.v1"] == "audit"  # declared by audit, in audit's file
    assert "topics/audit/events.yaml" in document["files"]
    assert document["team"] == ""  # several teams declare it: see teams
    assert {"audit", "billing"} <= {t["team"] for t in document["teams"]}


@pytest.mark.parametrize(("query", "team"), [("topics/billing/", "billing"), ("topics/billing", "billing")])
def test_directory_query(run: Run, query: str, team: str) -> None:
    document = assert_report("owner-report", owner(run, query, "-f", "json").out)
    assert (document["kind"], document["team"]) == ("directory", team)
    assert "topics/billing/invoice-created.yaml" in document["files"]
    assert "billing.invoice-paid.v1" in document["topics"]


def test_the_repo_itself_is_a_directory(run: Run) -> None:
    document = assert_report("owner-report", owner(run, ".", "-f", "json").out)
    owners = {i["name"]: i["team"] for i in document["items"]}
    assert (owners["bus.yaml"], owners["topics/audit/events.yaml"]) == ("platform", "audit")
    assert len(document["topics"]) == 17
    assert owners["connectors/billing/ledger-archive-sink.yaml"] == "billing"


def test_directory_with_several_owners(run: Run) -> None:
    document = assert_report("owner-report", owner(run, "schemas/acme", "-f", "json").out)
    owners = {i["name"]: i["team"] for i in document["items"]}
    assert owners["schemas/acme/common/v1/money.proto"] == "platform"
    assert owners["schemas/acme/zones/v1/zone_state.proto"] == "zones"
    assert document["team"] == "" and len(document["teams"]) > 2


BILLING = {
    "billing.invoice-created.v1",
    "billing.invoice-export-lines.v1",
    "billing.invoice-paid.v1",
    "billing.payment-settled.v1",
    "billing.refund-issued.v1",
}
ZONES = {"zones.delivery-area-assigned.v1", "zones.zone-boundary-changed.v1", "zones.zone-state.v1"}


@pytest.mark.parametrize(("glob", "expected"), [("billing.*", BILLING), ("topics/zones/*.yaml", ZONES)])
def test_glob_query(run: Run, glob: str, expected: set[str]) -> None:
    document = assert_report("owner-report", owner(run, glob, "-f", "json").out)
    assert document["kind"] == "glob"
    assert set(document["topics"]) == expected


def test_glob_matching_nothing(run: Run) -> None:
    result = owner(run, "nothing.*")
    assert result.code == 1
    assert "the glob matches no topic name and no file path" in result.err


def test_ambiguous_query_names_the_kinds(run: Run, bus_repo: Callable[..., Path]) -> None:
    topic = (BASE_BUS / "topics/audit/events.yaml").read_text() + "consumers:\n  - group: billing\n"
    root = bus_repo({"topics/audit/events.yaml": topic})
    result = run("owner", "billing", "--repo", str(root))
    assert result.code == 1
    assert '"billing" is ambiguous: it names a team and a group' in result.err
    assert "team:billing or group:billing" in result.err
    group = assert_report(
        "owner-report", run("owner", "group:billing", "--repo", str(root), "-f", "json").out
    )
    assert (group["kind"], group["team"], group["topics"]) == ("group", "audit", ["audit.events.v1"])
    team = assert_report("owner-report", run("owner", "team:billing", "--repo", str(root), "-f", "json").out)
    assert team["kind"] == "team"


def test_unknown_query_suggests_groups_and_principals(run: Run) -> None:
    result = owner(run, "User:biling-api")
    assert result.code == 1
    assert 'did you mean "User:billing-api"' in result.err
    assert result.err.startswith('error: nothing in the bus matches "User:biling-api"')


def test_prefixed_query_suggests_names_of_its_kind(run: Run) -> None:
    result = owner(run, "group:invoice-mailr")
    assert result.code == 1
    assert 'did you mean "invoice-mailer"' in result.err
    assert "search" not in owner(run, "group:nosuch").err.split("a query is")[0]  # a team, not a group


def test_a_topic_whose_file_has_lint_errors_is_named_with_its_file(
    bus_repo: Callable[[dict[str, str | None]], Path], run: Callable[..., CliResult]
) -> None:
    billing = (BASE_BUS / "topics/billing/invoice-created.yaml").read_text()
    root = bus_repo({"topics/billing/invoice-created.yaml": billing + "bogus: 1\n"})
    result = run("owner", "billing.invoice-created.v1", "--repo", str(root))
    assert result.code == 1
    assert "is declared in topics/billing/invoice-created.yaml, which has lint errors" in result.err
    assert 'BUS004 unknown field "bogus"' in result.err


def test_connector_query(run: Run) -> None:
    document = assert_report("owner-report", owner(run, "connector:ledger-archive-sink", "-f", "json").out)
    assert (document["kind"], document["team"]) == ("connector", "billing")
    assert document["topics"] == ["billing.invoice-export-lines.v1"]
    assert document["files"] == ["connectors/billing/ledger-archive-sink.yaml"]
    typo = owner(run, "connector:ledger-archive-snk")
    assert typo.code == 1 and "ledger-archive-sink" in typo.err
