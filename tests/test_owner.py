"""`busctl owner`: message, topic, file and team queries, with provenance."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.conftest import REPO_ROOT, CliResult

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
