"""Reviewed deletion: a tombstone whose file approves BUS515 is deleted without --allow-delete, one
that does not is blocked; deletions name the consumer groups reading the topic; a pull request from a
fork (no credentials) gets a skipped plan, which comment shows and apply refuses."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from busctl.adapters.kafka_errors import missing_credentials
from busctl.core.bus import deletion_approved
from busctl.core.desired import DesiredTopic
from busctl.core.diff import DiffOptions, deletions, diff, warn_readers
from busctl.core.lag import GroupOffsets
from busctl.core.model import Approval, Cluster, Topic
from busctl.core.plan import Action
from busctl.core.state import AclBinding, ClusterState, TopicState
from busctl.core.subjects import RegistryState, subject_changes
from busctl.core.topic_configs import load_catalogue
from tests.conftest import BASE_BUS, REPO_ROOT, CliResult, write_files
from tests.reports import assert_report

Run = Callable[..., CliResult]
READ = AclBinding("TOPIC", "billing.old.v1", "LITERAL", "User:alice", "*", "READ", "ALLOW")


def _tombstone(approved: bool) -> DesiredTopic:
    return DesiredTopic("billing.old.v1", 3, 1, {}, False, True, frozenset({READ}), approved)


def _state() -> ClusterState:
    topic = TopicState("billing.old.v1", ((1,), (1,), (1,)))
    return ClusterState("c", (1,), {topic.name: topic}, (READ,))


def _plan(approved: bool, allow_delete: bool = False) -> list[tuple[Action, str]]:
    options = DiffOptions("local", allow_delete=allow_delete)
    plan = diff([_tombstone(approved)], set(), _state(), load_catalogue(), options)
    return [(c.action, c.reason) for c in plan.changes]


def test_an_approved_tombstone_is_deleted_without_allow_delete_with_its_acls() -> None:
    options = DiffOptions("local")
    plan = diff([_tombstone(True)], set(), _state(), load_catalogue(), options)
    assert sorted(c.action for c in plan.changes) == sorted([Action.DELETE_TOPIC, Action.DELETE_ACL])
    assert deletions(plan, ["billing.old.v1"]) == {"billing.old.v1"}


def test_an_unapproved_tombstone_is_blocked_naming_the_rule_to_approve() -> None:
    ((action, reason),) = _plan(approved=False)
    assert action is Action.BLOCKED and "BUS515" in reason
    assert [a for a, _ in _plan(approved=False, allow_delete=True)].count(Action.DELETE_TOPIC) == 1


@pytest.mark.parametrize(
    ("lifecycle", "rules", "approved"),
    [
        ("deleted", ["BUS515"], True),
        ("deleted", ["BUS509"], False),  # another rule's approval is no deletion approval
        ("active", ["BUS515"], False),  # a live topic is never "approved for deletion"
    ],
)
def test_deletion_approved_only_by_the_tombstone_rule(
    lifecycle: str, rules: list[str], approved: bool
) -> None:
    topic = Topic.model_validate(
        {
            "name": "billing.old.v1",
            "owner": "billing",
            "description": "Old.",
            "schema": "acme.billing.v1.Old",
            "lifecycle": lifecycle,
            "approvals": [Approval(rule=r, reason="agreed") for r in rules],
        }
    )
    assert deletion_approved(topic) is approved


def test_a_deletion_names_the_consumer_groups_with_offsets_on_its_topic_active_first() -> None:
    plan = diff([_tombstone(True)], set(), _state(), load_catalogue(), DiffOptions("local"))
    readers = {
        "idle-reader": GroupOffsets("Empty", 0, {("billing.old.v1", 0): 5}),
        "live-reader": GroupOffsets("Stable", 2, {("billing.old.v1", 1): 9}),
        "elsewhere": GroupOffsets("Stable", 1, {("audit.events.v1", 0): 1}),
    }
    warn_readers(plan, readers)
    (delete,) = [c for c in plan.changes if c.action is Action.DELETE_TOPIC]
    assert (
        delete.warnings[-1]
        == "1 active consumer group reads it: live-reader (2 members), idle-reader (no members)"
    )
    acl = next(c for c in plan.changes if c.action is Action.DELETE_ACL)
    assert acl.warnings == ()  # only the topic's deletion says it
    idle = diff([_tombstone(False)], set(), _state(), load_catalogue(), DiffOptions("local"))
    warn_readers(idle, {"idle-reader": readers["idle-reader"]})
    assert (
        idle.changes[0].warnings[-1]
        == "consumer groups have offsets on it, none active now: idle-reader (no members)"
    )


def test_the_subjects_of_an_approved_tombstone_are_deleted_without_allow_delete() -> None:
    state = RegistryState("http://registry", "BACKWARD", subjects=["t.gone.v1-value"])
    gone = ["t.gone.v1-value", "t.gone.v1-key"]
    (deleted,), _ = subject_changes([], gone, state, False, approved=frozenset(gone))
    assert deleted.action is Action.DELETE_SUBJECT
    (held,), _ = subject_changes([], gone, state, False)
    assert held.action is Action.BLOCKED and "BUS515" in held.remedy


def test_missing_credentials_names_unset_and_empty_variables_never_values() -> None:
    cluster = Cluster.model_validate(
        {
            "bootstrap_servers": "${BOOT}",
            "security": {
                "protocol": "SASL_SSL",
                "sasl_mechanism": "PLAIN",
                "username": "${USER_X}",
                "password": "${PASS_X}",
            },
            "registry": {"url": "${REG_URL}"},
            "connect": {"url": "http://connect:8083", "password": "${CONNECT_PASS}"},
        }
    )
    environ = {"BOOT": "kafka:9092", "USER_X": " ", "REG_URL": "http://r"}
    assert missing_credentials(cluster, environ) == ["USER_X", "PASS_X", "CONNECT_PASS"]
    filled = {**environ, "USER_X": "u", "PASS_X": "p", "CONNECT_PASS": "c"}
    assert missing_credentials(cluster, filled) == []
    assert missing_credentials(Cluster.model_validate({"bootstrap_servers": "127.0.0.1:9092"}), {}) == []


def _fork_bus(tmp_path: Path) -> Path:
    root = tmp_path / "bus"
    shutil.copytree(BASE_BUS, root)
    bus = (root / "bus.yaml").read_text().replace("127.0.0.1:9092", "${FORK_TEST_BOOTSTRAP}", 1)
    assert "${FORK_TEST_BOOTSTRAP}" in bus
    write_files(root, {"bus.yaml": bus})
    return root


def test_a_plan_without_credentials_is_skipped_shown_by_comment_and_refused_by_apply(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORK_TEST_BOOTSTRAP", "")  # GitHub gives a fork's pull request empty secrets
    root = _fork_bus(tmp_path)
    out = tmp_path / "plan.json"
    plain = run("plan", "--cluster", "local", "--repo", str(root))
    assert plain.code == 1 and "FORK_TEST_BOOTSTRAP is empty" in plain.out + plain.err
    skipped = run(
        "plan", "--cluster", "local", "--repo", str(root), "--skip-without-credentials",
        "--format", "github", "--out", str(out),
    )  # fmt: skip
    assert skipped.code == 0, skipped.err
    assert "plan skipped: no credentials (pull request from a fork)" in skipped.out
    assert "cluster local needs FORK_TEST_BOOTSTRAP (unset or empty)" in skipped.out
    assert "::notice title=busctl plan::plan skipped" in skipped.out
    document = assert_report("plan-skipped-report", out.read_text())
    assert document["clusters"] == {"local": ["FORK_TEST_BOOTSTRAP"]}
    comment = run("comment", "--plan", str(out))
    assert (
        "| plan `local` | :fast_forward: skipped: no credentials (pull request from a fork) |" in comment.out
    )
    refused = run("apply", "--cluster", "local", "--repo", str(root), str(out))
    assert refused.code == 1
    assert "records a skipped plan" in refused.out + refused.err


def test_with_credentials_the_flag_plans_as_usual(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cluster that has its credentials is read (here: nothing listens there, so the plan fails)."""
    monkeypatch.setenv("FORK_TEST_BOOTSTRAP", "127.0.0.1:1")
    root = _fork_bus(tmp_path)
    result = run(
        "plan", "--cluster", "local", "--repo", str(root), "--skip-without-credentials", "--timeout", "1"
    )
    assert result.code == 1 and "skipped" not in result.out


def test_the_comment_lists_what_merging_deletes_per_cluster(run: Run) -> None:
    plan = REPO_ROOT / "tests/golden/plan/tombstone-allowed/plan.json"
    assert json.loads(plan.read_text())["summary"]["by_action"] == {"delete-acl": 1, "delete": 1}
    result = run("comment", "--plan", str(plan))
    assert "**Merging deletes**" in result.out
    assert "| `local` | topic `audit.events.v1` | all data in the topic is lost" in result.out
    quiet = run("comment", "--plan", str(REPO_ROOT / "tests/golden/plan/config-drift/plan.json"))
    assert "Merging deletes" not in quiet.out


def test_the_comment_lists_a_connector_that_merging_deletes(run: Run, tmp_path: Path) -> None:
    from busctl.core.connectors import ConnectState, DesiredConnector, ObservedConnector, connector_changes
    from busctl.core.plan import Plan
    from busctl.render.plan import as_json

    config = {"name": "ledger-sink", "connector.class": "FileStreamSink"}
    tombstone = DesiredConnector(
        "ledger-sink", "billing", "connectors/billing/ledger-sink.yaml", "FileStreamSink", config, config,
        "RUNNING", frozenset(), deleted=True, deletion_approved=True,
    )  # fmt: skip
    state = ConnectState(
        "http://connect:8083", {"ledger-sink": ObservedConnector("ledger-sink", config, "RUNNING")}, {}
    )
    changes, _ = connector_changes([tombstone], state, allow_delete=False)
    plan = Plan(cluster="local", cluster_id="x", fingerprint="f", changes=changes, connect=state.url)
    saved = tmp_path / "plan.json"
    saved.write_text(as_json(plan))
    result = run("comment", "--plan", str(saved))
    assert "**Merging deletes**" in result.out
    assert "| `local` | connector `ledger-sink` |" in result.out
