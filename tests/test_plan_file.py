"""A saved plan is compared with the plan busctl makes now: every tampering is refused, named."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from busctl.core.plan import Action, Change, ConfigChange, Plan, first_difference
from busctl.reports.plan import plan_document, plan_from_document
from tests.reports import assert_report


def _plan() -> dict[str, Any]:
    plan = Plan(
        cluster="prod",
        cluster_id="abc",
        fingerprint="f1",
        desired_digest="d1",
        changes=[
            Change(
                Action.CREATE_TOPIC,
                "billing.a.v1",
                partitions=3,
                replication_factor=3,
                configs=(ConfigChange("retention.ms", None, "604800000"),),
            ),
            Change(Action.CREATE_TOPIC, "billing.b.v1", partitions=3, replication_factor=3),
            Change(Action.BLOCKED, "billing.c.v1", reason="no"),
        ],
    )
    return plan_document(plan)


def test_the_same_plan_has_no_difference_and_round_trips() -> None:
    document = _plan()
    assert first_difference(document, _plan()) is None
    assert plan_document(plan_from_document(document)) == document


def test_the_document_validates_against_the_published_schema() -> None:
    assert_report("plan-report", json.dumps(_plan()))


@pytest.mark.parametrize(
    ("edit", "complaint"),
    [
        (lambda d: d.pop("fingerprint"), "fingerprint: Field required"),
        (lambda d: d["changes"][0].update(partitions="many"), "changes.0.partitions: Input should be"),
        (lambda d: d["changes"][0].update(action="truncate"), "changes.0.action: Input should be"),
        (lambda d: d["changes"][0].update(extra=1), "changes.0.extra: Extra inputs are not permitted"),
        (lambda d: d.update(format_version=1), "plan format_version 1 is not 3"),
    ],
)
def test_a_document_of_another_shape_is_refused_naming_where(edit: Any, complaint: str) -> None:
    document = _plan()
    edit(document)
    with pytest.raises(ValueError, match=complaint.replace(".", r"\.")):
        plan_from_document(document)


def test_an_added_delete_is_named() -> None:
    tampered = _plan()
    tampered["changes"].append({**tampered["changes"][0], "action": "delete", "topic": "legacy.x.v1"})
    assert (
        first_difference(tampered, _plan())
        == "it has a change busctl does not plan now: `delete legacy.x.v1`"
    )


def test_a_changed_config_value_is_named_with_both_values() -> None:
    tampered = _plan()
    tampered["changes"][0]["configs"][0]["after"] = "1000"
    assert first_difference(tampered, _plan()) == (
        "change 1 (`create billing.a.v1`): "
        "config retention.ms is '1000' in the approved plan, '604800000' now"
    )


def test_reordered_changes_are_named() -> None:
    tampered = _plan()
    tampered["changes"].reverse()
    assert first_difference(tampered, _plan()) == (
        "change 1 is `create billing.b.v1`, but busctl plans `create billing.a.v1` there"
    )


def test_a_removed_change_and_an_unblocked_change_are_named() -> None:
    tampered = _plan()
    del tampered["changes"][1]
    assert first_difference(tampered, _plan()) == "busctl now plans a change it lacks: `create billing.b.v1`"
    unblocked = _plan()
    unblocked["changes"].append({**unblocked["blocked"].pop(), "action": "create"})
    assert (
        first_difference(unblocked, _plan())
        == "it has a change busctl does not plan now: `create billing.c.v1`"
    )


def test_state_declarations_options_and_cluster_differences_come_first() -> None:
    now = _plan()
    for key, value, expected in (
        ("cluster_id", "other", "cluster id 'other', now 'abc'"),
        ("options", {"topic_filter": "x*", "allow_delete": True}, "options (--topic, --allow-delete)"),
        ("fingerprint", "f0", "the cluster changed since it was made"),
        ("desired_digest", "d0", "it was made from other declarations"),
    ):
        approved = copy.deepcopy(now)
        approved[key] = value
        approved["changes"].reverse()  # a later difference must not hide the first
        difference = first_difference(approved, now)
        assert difference is not None and expected in difference, (key, difference)


def test_any_other_edit_is_still_a_difference() -> None:
    tampered = _plan()
    tampered["summary"]["changes"] = 99
    tampered["notes"] = ["all fine"]
    assert first_difference(tampered, _plan()) == "its notes, summary differ from the plan busctl makes now"
