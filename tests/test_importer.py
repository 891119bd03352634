"""The pure import (core/importer.py) on hand-made cluster states: each file lints clean but for its
placeholders, and a plan right after shows no change on the imported cluster and none elsewhere."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from busctl import workspace
from busctl.core.desired import declared_groups, desired_topics
from busctl.core.diagnostics import BusctlError
from busctl.core.diff import DiffOptions, diff
from busctl.core.importer import PLACEHOLDER_SCHEMA, import_topics, selector_of, topic_path
from busctl.core.state import DYNAMIC_TOPIC_CONFIG, ClusterState, ConfigValue, TopicState
from busctl.core.topic_configs import load_catalogue
from busctl.loading.bus import load_bus
from tests.conftest import write_files

Repo = Callable[[dict[str, str | None]], Path]
FLEET = """\
clusters:
  local:
    bootstrap_servers: 127.0.0.1:9092
    overrides: {replication_factor: 1, config: {min.insync.replicas: 1}}
  prod:
    bootstrap_servers: 127.0.0.1:9093
defaults:
  partitions: 6
  replication_factor: 3
  config: {min.insync.replicas: 2}
policy: {min_replication_factor: 3, platform_team: platform}
"""
NO_TOPICS: dict[str, str | None] = {
    "topics/billing/invoice-created.yaml": None,
    "topics/audit/events.yaml": None,
}


def _observed(partitions: int, replicas: int, **configs: tuple[str, str]) -> TopicState:
    """A topic's state: `configs` maps a key to (value, source), over Kafka's min.insync.replicas=1."""
    every = {"min.insync.replicas": ("1", "DEFAULT_CONFIG"), **configs}
    return TopicState(
        "",
        replicas=tuple(tuple(range(1, replicas + 1)) for _ in range(partitions)),
        configs={key: ConfigValue(value, source) for key, (value, source) in every.items()},
    )


def _import(root: Path, cluster: str, **topics: TopicState) -> list[dict[str, Any]]:
    """Import `topics` from `cluster` into the repo at `root`, filling in the schema placeholder, and
    check the plan right after: no change on `cluster`, nothing imported on the other clusters."""
    bus, _ = load_bus(root)
    state = ClusterState("c1", (1, 2, 3), topics, ())
    catalogue = load_catalogue()
    found = import_topics(bus, state, cluster, catalogue)
    for item in found.imported:
        text = yaml.safe_dump(item.document, sort_keys=False)
        write_files(root, {item.path: text.replace(PLACEHOLDER_SCHEMA, "acme.billing.v1.InvoiceCreated")})
    bus, _ = load_bus(root)
    plan = diff(
        desired_topics(bus, cluster, catalogue),
        declared_groups(bus, cluster),
        state,
        catalogue,
        DiffOptions(cluster=cluster),
    )
    assert (plan.changes, plan.blocked) == ([], []), plan
    for other in set(bus.config.clusters) - {cluster}:
        assert not {t.name for t in desired_topics(bus, other, catalogue)} & set(topics)
    return [item.document for item in found.imported]


def _lint_codes(root: Path) -> set[str]:
    report = workspace.lint(root, run_buf=False).report
    return {f"{d.severity.value} {d.code}" for d in report.items if d.code not in {"BUS306"}}


def test_values_the_clusters_overrides_explain_are_not_written(bus_repo: Repo) -> None:
    root = bus_repo({"bus.yaml": FLEET, **NO_TOPICS})
    observed = _observed(6, 1, **{"min.insync.replicas": ("1", DYNAMIC_TOPIC_CONFIG)})
    [document] = _import(root, "local", **{"billing.orders.v1": observed})
    assert document["placement"] == ["local"]  # seen there; prod's plan does not create it
    assert not {"partitions", "replication_factor", "config", "per_cluster", "exemptions"} & document.keys()
    assert _lint_codes(root) == set()


def test_what_a_cluster_override_would_beat_goes_under_per_cluster(bus_repo: Repo) -> None:
    root = bus_repo({"bus.yaml": FLEET, **NO_TOPICS})
    observed = _observed(
        3,
        1,
        **{
            "min.insync.replicas": ("2", DYNAMIC_TOPIC_CONFIG),  # the override says 1
            "retention.ms": ("86400000", DYNAMIC_TOPIC_CONFIG),
            "cleanup.policy": ("delete", "DEFAULT_CONFIG"),
        },
    )
    [document] = _import(root, "local", **{"billing.orders.v1": observed})
    assert document["partitions"] == 3 and document["config"] == {"retention.ms": "1d"}
    assert document["per_cluster"] == {"local": {"config": {"min.insync.replicas": 2}}}


def test_a_legacy_name_is_exempted_and_gets_a_safe_conventional_path(bus_repo: Repo) -> None:
    root = bus_repo({"bus.yaml": FLEET, **NO_TOPICS})
    topics = {"legacy_orders": _observed(300, 2), "billing.orders.v2": _observed(6, 3)}
    versioned, legacy = _import(root, "prod", **topics)  # sorted by name
    reason = "imported from cluster prod by busctl import as it is"
    assert legacy["exemptions"] == [
        {"rule": rule, "reason": reason} for rule in ("BUS101", "BUS106", "BUS107")
    ]
    assert "exemptions" not in versioned
    assert versioned["config"] == {"min.insync.replicas": 1}  # Kafka's default, not bus.yaml's 2
    assert (root / "topics/_imported/legacy_orders.yaml").is_file()
    assert (root / "topics/billing/orders-v2.yaml").is_file()
    # only the placeholder owner is left to a human: every rule it breaks as it is is a note
    assert _lint_codes(root) == {"error BUS201", "note BUS101", "note BUS106", "note BUS107"}


@pytest.mark.parametrize(
    ("name", "owner", "path"),
    [
        ("billing.invoice-created.v1", "billing", "topics/billing/invoice-created.yaml"),
        ("billing.invoice-created.v3", "billing", "topics/billing/invoice-created-v3.yaml"),
        ("legacy_orders", None, "topics/_imported/legacy_orders.yaml"),
        ("..hidden", None, "topics/_imported/hidden.yaml"),
        ("-rf", None, "topics/_imported/rf.yaml"),
        ("a/../../etc", None, "topics/_imported/a_.._.._etc.yaml"),
        ("billing.", "billing", "topics/billing/topic.yaml"),
    ],
)
def test_topic_paths_follow_the_layout_and_stay_safe(name: str, owner: str | None, path: str) -> None:
    assert topic_path(name, owner) == path


def test_two_topics_never_share_a_file(bus_repo: Repo) -> None:
    root = bus_repo({"bus.yaml": FLEET, **NO_TOPICS})
    bus, _ = load_bus(root)
    state = ClusterState("c1", (1,), {"Orders": _observed(6, 3), "orders": _observed(6, 3)}, ())
    found = import_topics(bus, state, "prod", load_catalogue())
    assert [i.path for i in found.imported] == [
        "topics/_imported/Orders.yaml",
        "topics/_imported/orders-2.yaml",
    ]


@pytest.mark.parametrize(("cluster", "selector"), [("prod-eu", "prod-eu"), ("prod[1]*", "prod[[]1][*]")])
def test_placement_names_exactly_the_imported_cluster(cluster: str, selector: str) -> None:
    assert selector_of(cluster) == selector
    assert fnmatch.fnmatchcase(cluster, selector) and not fnmatch.fnmatchcase("prod-us", selector)


def test_a_cluster_name_no_selector_can_hold_is_a_clear_error() -> None:
    with pytest.raises(BusctlError, match='cluster "prod eu" cannot be named'):
        selector_of("prod eu")
