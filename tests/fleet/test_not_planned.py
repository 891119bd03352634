"""A lint error in one topic holds back that topic only: the others are planned, exit 1."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from busctl.core.state import AclBinding
from tests.conftest import CliResult
from tests.fleet.recorded import cluster_state, record, topic_state
from tests.reports import assert_report

LEGACY = """\
name: legacy_orders
owner: billing
description: Orders, from before the naming policy.
schema: acme.billing.v1.InvoiceCreated
consumers:
  - {group: orders-reader, principal: "User:orders"}
"""


def _group_acl(group: str, principal: str) -> AclBinding:
    return AclBinding("GROUP", group, "LITERAL", principal, "*", "READ", "ALLOW")


@pytest.fixture
def local(monkeypatch: pytest.MonkeyPatch) -> None:
    """The base bus's cluster: legacy_orders exists, with a group ACL only its declaration wants."""
    legacy = topic_state("legacy_orders", 6, 3)
    record(
        monkeypatch,
        {"local": cluster_state("c-local", [legacy], acls=[_group_acl("orders-reader", "User:orders")])},
    )


@pytest.mark.usefixtures("local")
@pytest.mark.parametrize(
    "content",
    [
        pytest.param(LEGACY, id="name-breaks-policy"),
        pytest.param(LEGACY.replace("owner: billing", "owner: billing\npartitions: 0"), id="invalid-value"),
    ],
)
def test_the_other_topics_are_planned(
    bus_repo: Callable[[dict[str, str | None]], Path], run: Callable[..., CliResult], content: str
) -> None:
    root = bus_repo({"topics/billing/legacy-orders.yaml": content})
    result = run("plan", "--cluster", "local", "--repo", str(root), "--format", "json")
    assert result.code == 1, result.err
    document = assert_report("plan-report", result.out)
    assert {c["topic"] for c in document["changes"] if c["action"] == "create"} == {
        "audit.events.v1",
        "billing.invoice-created.v1",
    }
    (held,) = document["not_planned"]
    assert held["topic"] == "legacy_orders"
    assert held["file"] == "topics/billing/legacy-orders.yaml"
    assert "legacy_orders" not in document["unmanaged"]  # held back, not undeclared
    # the group ACL the held declaration wants is not removed
    assert not [c for c in document["changes"] if c["action"] == "delete-acl"]


@pytest.mark.usefixtures("local")
def test_a_file_that_cannot_be_parsed_holds_back_every_group_acl_removal(
    bus_repo: Callable[[dict[str, str | None]], Path], run: Callable[..., CliResult]
) -> None:
    root = bus_repo({"topics/billing/legacy-orders.yaml": "name: [unclosed\n"})
    result = run("plan", "--cluster", "local", "--repo", str(root), "--format", "json")
    assert result.code == 1, result.err
    document = assert_report("plan-report", result.out)
    (held,) = document["not_planned"]
    assert (held["topic"], held["file"]) == ("", "topics/billing/legacy-orders.yaml")
    assert not [c for c in document["changes"] if c["action"] == "delete-acl"]
    text = run("plan", "--cluster", "local", "--repo", str(root)).out
    assert "not planned: lint errors (1 topic(s))" in text
    assert "! (topics/billing/legacy-orders.yaml): " in text


@pytest.mark.usefixtures("local")
def test_without_held_topics_an_undeclared_group_acl_is_removed(
    bus_repo: Callable[[dict[str, str | None]], Path], run: Callable[..., CliResult]
) -> None:
    """The near miss: the same cluster, no held file, but a declaration naming the group with another
    principal; the ACL nobody declares is removed."""
    billing = (Path(__file__).parents[1] / "rules/base/topics/billing/invoice-created.yaml").read_text()
    root = bus_repo(
        {"topics/billing/invoice-created.yaml": billing.replace("audit-log-writer", "orders-reader")}
    )
    document = assert_report(
        "plan-report", run("plan", "--cluster", "local", "--repo", str(root), "--format", "json").out
    )
    removed = [c["acl"] for c in document["changes"] if c["action"] == "delete-acl"]
    assert [(a["resource_name"], a["principal"]) for a in removed] == [("orders-reader", "User:orders")]


def test_an_error_outside_topic_files_refuses_the_whole_plan(
    bus_repo: Callable[[dict[str, str | None]], Path],
    run: Callable[..., CliResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    record(monkeypatch, {})  # never read
    bus = (Path(__file__).parents[1] / "rules/base/bus.yaml").read_text()
    root = bus_repo({"bus.yaml": bus.replace("127.0.0.1:9092", "127.0.0.1:99999")})
    result = run("plan", "--cluster", "local", "--repo", str(root))
    assert result.code == 1
    assert "bus.yaml" in result.err and "BUS114" in result.err
    assert "nothing was planned" in result.err


def test_a_copy_under_the_same_name_holds_back_both_and_keeps_their_group_acls(
    bus_repo: Callable[[dict[str, str | None]], Path],
    run: Callable[..., CliResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """BUS103 flags the second file only; the first, valid one is held with it, and the group ACL it
    declares stays (the hostile test saw it removed)."""
    record(
        monkeypatch,
        {"local": cluster_state("c-local", acls=[_group_acl("audit-log-writer", "User:audit-log")])},
    )
    billing = (Path(__file__).parents[1] / "rules/base/topics/billing/invoice-created.yaml").read_text()
    audit = (Path(__file__).parents[1] / "rules/base/topics/audit/events.yaml").read_text()
    shared = 'consumers:\n  - {group: audit-log-writer, principal: "User:audit-reader"}\n'
    root = bus_repo(
        {"topics/billing/zz.yaml": billing.split("producers:")[0], "topics/audit/events.yaml": audit + shared}
    )
    result = run("plan", "--cluster", "local", "--repo", str(root), "--format", "json")
    assert result.code == 1, result.err
    document = assert_report("plan-report", result.out)
    held = {(h["topic"], h["file"]) for h in document["not_planned"]}
    assert held == {
        ("billing.invoice-created.v1", "topics/billing/invoice-created.yaml"),
        ("billing.invoice-created.v1", "topics/billing/zz.yaml"),
    }
    # audit's consumer shares the group: its ACL is added, billing's (held) is not removed
    assert not [c for c in document["changes"] if c["action"] == "delete-acl"]
    added = [c["acl"]["principal"] for c in document["changes"] if c["action"] == "create-acl"]
    assert "User:audit-reader" in added
