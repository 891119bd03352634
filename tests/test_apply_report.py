"""The apply document from the executor's real outcomes (an in-memory writer): every status with its
error name and message or reason, the counts, why it stopped, the lock; valid against apply-report."""

from __future__ import annotations

from typing import Any

from busctl.core.plan import Change
from busctl.core.ports import DONE, Outcomes, failed
from busctl.executor import execute
from busctl.render.json import as_json
from busctl.reports.apply import HeldLock, apply_report
from tests.reports import assert_report
from tests.test_executor import FakeWriter, _plan

LOCK = HeldLock("ci@runner pid 7 (busctl apply)", 1_796_000_000_123, None)


def _document(writer: FakeWriter, stop: str | None = None, lock: HeldLock = LOCK) -> dict[str, Any]:
    plan = _plan()
    executed = execute(plan, writer, stop=(lambda: stop) if stop else None)
    return assert_report("apply-report", as_json(apply_report(plan, executed, "plan.json", lock)))


def _by_topic(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(c["action"], c["topic"]): c for c in document["changes"]}


def test_a_failed_change_carries_the_error_name_and_message_and_its_topics_later_changes_a_reason() -> None:
    document = _document(FakeWriter(refuse={"new.t.v1": "POLICY_VIOLATION: topic refused"}))
    changes = _by_topic(document)
    failed = changes["create", "new.t.v1"]
    assert failed["status"] == "failed" and failed["reason"] is None
    assert failed["error"] == {"name": None, "message": "POLICY_VIOLATION: topic refused"}  # no name given
    acl = changes["create-acl", "new.t.v1"]
    assert (acl["status"], acl["reason"], acl["error"]) == (
        "not-started",
        "an earlier change to new.t.v1 failed",
        None,
    )
    assert acl["acl"]["principal"] == "User:x" and acl["acl"]["operation"] == "READ"
    assert changes["create", "other.t.v1"]["status"] == "done"
    assert document["result"] == "incomplete" and document["stopped"] is None
    assert document["summary"] == {
        "changes": 5,
        "done": 3,
        "failed": 1,
        "unconfirmed": 0,
        "not_started": 1,
        "blocked": 1,
        "not_planned": 0,
    }
    assert [b["topic"] for b in document["blocked"]] == ["stuck.t.v1"]
    assert [c["action"] for c in document["changes"]][:2] == ["create", "create"]  # execution order
    assert (document["plan_file"], document["fingerprint"], document["cluster"]) == (
        "plan.json",
        "f",
        "local",
    )
    assert document["lock"] == {
        "holder": LOCK.holder,
        "held_since": "2026-11-30T00:53:20.123000Z",
        "released": True,
        "release_problem": None,
    }


def test_the_clusters_error_name_is_split_from_its_message() -> None:
    class Named(FakeWriter):
        def create_topics(self, changes: list[Change], validate_only: bool = False) -> Outcomes:
            refusal = failed("INVALID_CONFIG: bad value", "INVALID_CONFIG")
            return [refusal if validate_only else DONE for _ in changes]

    document = _document(Named())
    assert document["result"] == "preflight-failed"
    errors = [c["error"] for c in document["changes"] if c["status"] == "failed"]
    assert errors == [{"name": "INVALID_CONFIG", "message": "bad value"}] * 2
    reasons = {c["reason"] for c in document["changes"] if c["status"] == "not-started"}
    assert reasons == {"preflight failed, nothing was changed"}


def test_a_run_stopped_half_way_says_why_and_what_was_left() -> None:
    document = _document(FakeWriter(silent={"new.t.v1"}))
    changes = _by_topic(document)
    assert changes["create", "new.t.v1"]["status"] == "unconfirmed"
    assert changes["create", "new.t.v1"]["error"] == {"name": None, "message": "no answer within 10s"}
    assert document["stopped"] == "the cluster stopped answering (no answer within 10s)"
    left = [c for c in document["changes"] if c["status"] == "not-started"]
    assert left and {c["reason"] for c in left} <= {
        document["stopped"],
        "an earlier change to new.t.v1 failed",
    }
    assert document["result"] == "incomplete"

    refused = _document(FakeWriter(), stop="interrupted by SIGINT (Ctrl-C)")
    assert refused["stopped"] == "interrupted by SIGINT (Ctrl-C)"
    assert {c["status"] for c in refused["changes"]} == {"not-started"}


def test_a_lock_that_could_not_be_released_is_reported() -> None:
    problem = "could not release the apply lock (timed out); it ends by itself 30 s after its last renewal"
    document = _document(FakeWriter(), lock=HeldLock(LOCK.holder, LOCK.since_ms, problem))
    assert document["result"] == "applied" and document["summary"]["done"] == 5
    assert (document["lock"]["released"], document["lock"]["release_problem"]) == (False, problem)
