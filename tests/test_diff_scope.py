"""The diff with --topic: what is outside the scope is never touched, shared consumer groups included."""

from __future__ import annotations

from busctl.core.desired import DesiredTopic
from busctl.core.diff import DiffOptions, diff
from busctl.core.plan import Action
from busctl.core.state import AclBinding, ClusterState, TopicState
from busctl.core.topic_configs import load_catalogue


def _allow(kind: str, name: str, principal: str, operation: str) -> AclBinding:
    return AclBinding(kind, name, "LITERAL", principal, "*", operation, "ALLOW")


def _consumer(topic: str, group: str, principal: str, deleted: bool = False) -> DesiredTopic:
    acls = {_allow("TOPIC", topic, principal, op) for op in ("READ", "DESCRIBE")}
    acls.add(_allow("GROUP", group, principal, "READ"))
    return DesiredTopic(topic, 1, 1, {}, False, deleted, frozenset(acls))


def test_a_group_shared_with_a_topic_outside_the_scope_keeps_that_topics_acl() -> None:
    audit = _consumer("audit.events.v1", "shared-grp", "User:bob")
    billing = _consumer("billing.invoices.v1", "shared-grp", "User:alice")
    state = ClusterState(
        cluster_id="c",
        brokers=(1,),
        topics={t.name: TopicState(t.name, ((1,),)) for t in (audit, billing)},
        acls=tuple(sorted(audit.acls | billing.acls)),
    )
    catalogue = load_catalogue()
    for scope in (None, "billing.*", "audit.*"):
        plan = diff(
            [audit, billing], {"shared-grp"}, state, catalogue, DiffOptions("local", topic_filter=scope)
        )
        assert plan.changes == [], (scope, plan.changes)
    # a stray ACL on the shared group is still removed, in or out of scope
    stray = _allow("GROUP", "shared-grp", "User:mallory", "READ")
    state = ClusterState("c", (1,), state.topics, (*(state.acls or ()), stray))
    plan = diff(
        [audit, billing], {"shared-grp"}, state, catalogue, DiffOptions("local", topic_filter="billing.*")
    )
    assert [(c.action, c.acl) for c in plan.changes] == [(Action.DELETE_ACL, stray)]


def test_a_deleted_topic_in_scope_gives_up_its_group_acl_unless_another_topic_declares_it() -> None:
    gone = _consumer("billing.old.v1", "grp", "User:alice", deleted=True)
    kept = _consumer("audit.events.v1", "grp", "User:bob")
    state = ClusterState(
        "c",
        (1,),
        {t.name: TopicState(t.name, ((1,),)) for t in (gone, kept)},
        tuple(sorted(gone.acls | kept.acls)),
    )
    options = DiffOptions("local", allow_delete=True, topic_filter="billing.*")
    plan = diff([gone, kept], {"grp"}, state, load_catalogue(), options)
    removed = {c.acl for c in plan.changes if c.action is Action.DELETE_ACL}
    assert _allow("GROUP", "grp", "User:alice", "READ") in removed
    assert _allow("GROUP", "grp", "User:bob", "READ") not in removed
    assert [c.topic for c in plan.changes if c.action is Action.DELETE_TOPIC] == ["billing.old.v1"]


def test_a_topic_glob_matching_nothing_says_so() -> None:
    billing = _consumer("billing.invoices.v1", "grp", "User:alice")
    state = ClusterState("c", (1,), {"legacy.orders.v1": TopicState("legacy.orders.v1", ((1,),))}, ())
    for scope, noted in (("biling.*", True), ("billing.*", False), ("legacy.*", False)):
        plan = diff([billing], {"grp"}, state, load_catalogue(), DiffOptions("local", topic_filter=scope))
        assert (f"--topic {scope} matches no declared topic and none on the cluster" in plan.notes) is noted
