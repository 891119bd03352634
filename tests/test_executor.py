"""The executor against an in-memory writer: order, preflight, partial failures reported exactly."""

from __future__ import annotations

from dataclasses import dataclass, field

from busctl.core.plan import Action, Change, Plan
from busctl.core.ports import Outcomes
from busctl.core.state import AclBinding
from busctl.executor import execute


@dataclass
class FakeWriter:
    """Records calls; `refuse` maps topic -> error for real writes, `invalid` for validate-only ones."""

    refuse: dict[str, str] = field(default_factory=dict)
    invalid: dict[str, str] = field(default_factory=dict)
    calls: list[tuple[str, bool, list[str]]] = field(default_factory=list)

    def _run(self, name: str, changes: list[Change], validate_only: bool) -> Outcomes:
        self.calls.append((name, validate_only, [c.topic for c in changes]))
        table = self.invalid if validate_only else self.refuse
        return [table.get(c.topic) for c in changes]

    def create_topics(self, changes: list[Change], validate_only: bool = False) -> Outcomes:
        return self._run("create_topics", changes, validate_only)

    def update_configs(self, changes: list[Change], validate_only: bool = False) -> Outcomes:
        return self._run("update_configs", changes, validate_only)

    def add_partitions(self, changes: list[Change], validate_only: bool = False) -> Outcomes:
        return self._run("add_partitions", changes, validate_only)

    def create_acls(self, changes: list[Change]) -> Outcomes:
        return self._run("create_acls", changes, False)

    def delete_acls(self, changes: list[Change]) -> Outcomes:
        return self._run("delete_acls", changes, False)

    def delete_topics(self, changes: list[Change]) -> Outcomes:
        return self._run("delete_topics", changes, False)


def _acl(topic: str) -> AclBinding:
    return AclBinding("TOPIC", topic, "LITERAL", "User:x", "*", "READ", "ALLOW")


def _plan() -> Plan:
    return Plan(
        cluster="local",
        cluster_id="id",
        fingerprint="f",
        changes=[
            Change(Action.DELETE_TOPIC, "old.t.v1"),
            Change(Action.CREATE_ACL, "new.t.v1", acl=_acl("new.t.v1")),
            Change(Action.CREATE_TOPIC, "new.t.v1", partitions=3, replication_factor=1),
            Change(Action.CREATE_TOPIC, "other.t.v1", partitions=3, replication_factor=1),
            Change(Action.UPDATE_CONFIG, "cfg.t.v1"),
            Change(Action.BLOCKED, "stuck.t.v1", reason="no"),
        ],
    )


def test_runs_in_safe_order_after_preflight() -> None:
    writer = FakeWriter()
    report = execute(_plan(), writer)
    assert report.ok and report.count("done") == 5
    assert [c[0] for c in writer.calls] == [
        "create_topics",
        "update_configs",
        "create_topics",
        "update_configs",
        "create_acls",
        "delete_topics",
    ]
    assert [c[1] for c in writer.calls[:2]] == [True, True]  # validate-only preflight first
    assert all(o.change.action is not Action.BLOCKED for o in report.outcomes)


def test_preflight_failure_changes_nothing() -> None:
    writer = FakeWriter(invalid={"other.t.v1": "InvalidConfig"})
    report = execute(_plan(), writer)
    assert report.preflight_only and not report.ok
    assert all(validate_only for _, validate_only, _ in writer.calls)
    failed = [o for o in report.outcomes if o.status == "failed"]
    assert [(o.change.topic, o.error) for o in failed] == [("other.t.v1", "InvalidConfig")]
    assert report.count("skipped") == 4


def test_partial_failure_skips_what_depends_on_it_and_reports_everything() -> None:
    writer = FakeWriter(refuse={"new.t.v1": "TopicExistsException"})
    report = execute(_plan(), writer)
    by_topic = {(o.change.action, o.change.topic): (o.status, o.error) for o in report.outcomes}
    assert by_topic[(Action.CREATE_TOPIC, "new.t.v1")] == ("failed", "TopicExistsException")
    assert by_topic[(Action.CREATE_ACL, "new.t.v1")][0] == "skipped"
    assert "an earlier change to new.t.v1 failed" in by_topic[(Action.CREATE_ACL, "new.t.v1")][1]
    assert by_topic[(Action.CREATE_TOPIC, "other.t.v1")] == ("done", "")
    assert by_topic[(Action.DELETE_TOPIC, "old.t.v1")] == ("done", "")
    assert (report.count("done"), report.count("failed"), report.count("skipped")) == (3, 1, 1)
