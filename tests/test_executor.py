"""The executor against an in-memory writer: order, preflight, partial failures reported exactly."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from busctl.core.plan import Action, Change, Plan
from busctl.core.ports import DONE, Outcomes, Status, failed, unconfirmed
from busctl.core.state import AclBinding
from busctl.executor import CHUNK, _call, execute


@dataclass
class FakeWriter:
    """Records calls; `refuse` maps topic -> error for real writes, `invalid` for validate-only ones;
    topics in `silent` get no answer (unconfirmed); `interrupt_on` raises KeyboardInterrupt mid-batch."""

    refuse: dict[str, str] = field(default_factory=dict)
    invalid: dict[str, str] = field(default_factory=dict)
    silent: set[str] = field(default_factory=set)
    interrupt_on: str = ""
    calls: list[tuple[str, bool, list[str]]] = field(default_factory=list)

    def _run(self, name: str, changes: list[Change], validate_only: bool) -> Outcomes:
        self.calls.append((name, validate_only, [c.topic for c in changes]))
        if not validate_only and any(c.topic == self.interrupt_on for c in changes):
            raise KeyboardInterrupt
        table = self.invalid if validate_only else self.refuse
        outcomes = []
        for change in changes:
            if not validate_only and change.topic in self.silent:
                outcomes.append(unconfirmed("no answer within 10s"))
            elif change.topic in table:
                outcomes.append(failed(table[change.topic]))
            else:
                outcomes.append(DONE)
        return outcomes

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
    assert report.ok and report.count(Status.DONE) == 5
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
    failures = [o for o in report.outcomes if o.status is Status.FAILED]
    assert [(o.change.topic, o.error) for o in failures] == [("other.t.v1", "InvalidConfig")]
    assert report.count(Status.NOT_STARTED) == 4


def test_partial_failure_skips_what_depends_on_it_and_reports_everything() -> None:
    writer = FakeWriter(refuse={"new.t.v1": "TopicExistsException"})
    report = execute(_plan(), writer)
    by_topic = {(o.change.action, o.change.topic): (o.status, o.error) for o in report.outcomes}
    assert by_topic[(Action.CREATE_TOPIC, "new.t.v1")] == (Status.FAILED, "TopicExistsException")
    assert by_topic[(Action.CREATE_ACL, "new.t.v1")][0] is Status.NOT_STARTED
    assert "an earlier change to new.t.v1 failed" in by_topic[(Action.CREATE_ACL, "new.t.v1")][1]
    assert by_topic[(Action.CREATE_TOPIC, "other.t.v1")] == (Status.DONE, "")
    assert by_topic[(Action.DELETE_TOPIC, "old.t.v1")] == (Status.DONE, "")
    counts = tuple(report.count(s) for s in (Status.DONE, Status.FAILED, Status.NOT_STARTED))
    assert counts == (3, 1, 1)
    assert not report.stopped


def _many_creates(count: int) -> Plan:
    changes = [
        Change(Action.CREATE_TOPIC, f"t{i:04}.x.v1", partitions=1, replication_factor=1) for i in range(count)
    ]
    return Plan(cluster="local", cluster_id="id", fingerprint="f", changes=changes)


def test_a_batch_without_answer_stops_the_run_and_nothing_more_is_sent() -> None:
    plan = _many_creates(3 * CHUNK)
    writer = FakeWriter(silent={plan.changes[CHUNK + 5].topic})
    report = execute(plan, writer)
    real_calls = [c for c in writer.calls if not c[1]]
    assert len(real_calls) == 2  # the third batch was never sent
    assert report.count(Status.DONE) == 2 * CHUNK - 1
    assert report.count(Status.UNCONFIRMED) == 1
    assert report.count(Status.NOT_STARTED) == CHUNK
    assert report.stopped.startswith("the cluster stopped answering (no answer within 10s)")
    assert len(report.outcomes) == len(plan.changes)


def test_stop_request_between_batches_leaves_the_rest_not_started() -> None:
    plan = _many_creates(3 * CHUNK)
    writer = FakeWriter()
    asked = []

    def stop() -> str | None:
        asked.append(1)
        return "interrupted by SIGINT (Ctrl-C)" if len(asked) > 1 else None

    report = execute(plan, writer, stop=stop)
    assert report.count(Status.DONE) == CHUNK
    assert report.count(Status.NOT_STARTED) == 2 * CHUNK
    assert {o.error for o in report.outcomes if o.status is Status.NOT_STARTED} == {
        "interrupted by SIGINT (Ctrl-C)"
    }
    assert report.stopped == "interrupted by SIGINT (Ctrl-C)" and not report.ok


def test_second_interrupt_mid_batch_reports_that_batch_unconfirmed() -> None:
    plan = _many_creates(3 * CHUNK)
    writer = FakeWriter(interrupt_on=plan.changes[CHUNK].topic)
    report = execute(plan, writer)
    assert report.count(Status.DONE) == CHUNK
    assert report.count(Status.UNCONFIRMED) == CHUNK
    assert report.count(Status.NOT_STARTED) == CHUNK
    assert report.stopped == "interrupted"


class FakeSubjects:
    """A subject writer that records which method each batch reached."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def _record(self, method: str, changes: list[Change]) -> Outcomes:
        self.calls.append(method)
        return [DONE for _ in changes]

    def set_levels(self, changes: list[Change]) -> Outcomes:
        return self._record("set_levels", changes)

    def register_schemas(self, changes: list[Change]) -> Outcomes:
        return self._record("register_schemas", changes)

    def delete_subjects(self, changes: list[Change]) -> Outcomes:
        return self._record("delete_subjects", changes)


class FakeConnectors(FakeSubjects):
    """A connector writer that records which method each batch reached."""

    def create_connectors(self, changes: list[Change]) -> Outcomes:
        return self._record("create_connectors", changes)

    def update_connectors(self, changes: list[Change]) -> Outcomes:
        return self._record("update_connectors", changes)

    def pause_connectors(self, changes: list[Change]) -> Outcomes:
        return self._record("pause_connectors", changes)

    def resume_connectors(self, changes: list[Change]) -> Outcomes:
        return self._record("resume_connectors", changes)

    def delete_connectors(self, changes: list[Change]) -> Outcomes:
        return self._record("delete_connectors", changes)


def test_every_action_has_its_own_writer_call_and_blocked_has_none() -> None:
    """The dispatch table: an action can only reach the writer method named for it."""
    expected = {
        Action.CREATE_TOPIC: "create_topics",
        Action.UPDATE_CONFIG: "update_configs",
        Action.ADD_PARTITIONS: "add_partitions",
        Action.CREATE_ACL: "create_acls",
        Action.DELETE_ACL: "delete_acls",
        Action.DELETE_TOPIC: "delete_topics",
    }
    by_subjects = {
        Action.SET_COMPATIBILITY: "set_levels",
        Action.REGISTER_SCHEMA: "register_schemas",
        Action.DELETE_SUBJECT: "delete_subjects",
    }
    by_connectors = {
        Action.CREATE_CONNECTOR: "create_connectors",
        Action.UPDATE_CONNECTOR: "update_connectors",
        Action.PAUSE_CONNECTOR: "pause_connectors",
        Action.RESUME_CONNECTOR: "resume_connectors",
        Action.DELETE_CONNECTOR: "delete_connectors",
    }
    assert set(expected) | set(by_subjects) | set(by_connectors) | {Action.BLOCKED} == set(Action)
    for action, method in expected.items():
        writer = FakeWriter()
        _call(writer, action, [Change(action, "t.x.v1")], validate_only=False)
        assert [c[0] for c in writer.calls] == [method]
    for action, method in by_subjects.items():
        writer, subjects = FakeWriter(), FakeSubjects()
        _call(writer, action, [Change(action, "t.x.v1")], validate_only=False, subjects=subjects)
        assert (subjects.calls, writer.calls) == ([method], [])
        with pytest.raises(ValueError, match="subject writer"):
            _call(writer, action, [Change(action, "t.x.v1")], validate_only=False)
    for action, method in by_connectors.items():
        writer, connectors = FakeWriter(), FakeConnectors()
        _call(writer, action, [Change(action, "")], False, None, connectors)
        assert (connectors.calls, writer.calls) == ([method], [])
        with pytest.raises(ValueError, match="connector writer"):
            _call(writer, action, [Change(action, "")], validate_only=False)
    writer = FakeWriter()
    with pytest.raises(ValueError, match="never executed"):
        _call(writer, Action.BLOCKED, [Change(Action.BLOCKED, "t.x.v1")], validate_only=False)
    assert writer.calls == []
