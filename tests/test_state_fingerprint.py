"""ClusterState.fingerprint: the digest of its documented JSON document; what the diff reads changes it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, replace

from busctl.core.state import AclBinding, ClusterState, ConfigValue, TopicState

DEFAULT = ConfigValue("delete", "DEFAULT_CONFIG")


def _state() -> ClusterState:
    shared = ConfigValue("604800000", "DYNAMIC_TOPIC_CONFIG")
    topics = {
        "billing.invoices.v1": TopicState(
            "billing.invoices.v1",
            ((1, 2), (2, 3)),
            {"retention.ms": shared, "cleanup.policy": DEFAULT, 'x.quote"d': ConfigValue("ü\n", "UNKNOWN")},
            isrs=((1, 2), (2,)),
            leaders=(1, 2),
        ),
        "audit.events.v1": TopicState(
            "audit.events.v1",
            ((3, 4),),
            {
                "cleanup.policy": DEFAULT,
                "sasl.secret": ConfigValue(None, "DYNAMIC_TOPIC_CONFIG", sensitive=True),
            },
            isrs=((3,),),
            leaders=(-1,),
        ),
        "orders.placed.v1": TopicState("orders.placed.v1", ((1,),), {"retention.ms": shared}),
    }
    acls = (
        AclBinding("TOPIC", "billing.invoices.v1", "LITERAL", "User:a", "*", "READ", "ALLOW"),
        AclBinding("TOPIC", "orders.placed.v1", "LITERAL", "User:a", "*", "WRITE", "ALLOW"),
        AclBinding("GROUP", "ledger", "LITERAL", "User:a", "*", "READ", "ALLOW"),
    )
    return ClusterState("id-1", (1, 2, 3), topics, acls, invisible=("billing.hidden.v1",))


def _document_digest(state: ClusterState, names: list[str]) -> str:
    """The digest the fingerprint's docstring describes, from the whole document at once."""
    document = {
        "cluster_id": state.cluster_id,
        "brokers": list(state.brokers),
        "offline_brokers": list(state.offline_brokers),
        "invisible": sorted(state.invisible),
        "topics": {
            name: {
                "replicas": [list(r) for r in state.topics[name].replicas],
                "offline": state.topics[name].offline_partitions,
                "under_replicated": state.topics[name].under_replicated_partitions,
                "configs": {k: [v.value, v.source] for k, v in state.topics[name].configs.items()},
            }
            for name in names
        },
        "acls": None
        if state.acls is None
        else [
            asdict(a) for a in sorted(state.acls) if a.resource_type != "TOPIC" or a.resource_name in names
        ],
    }
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()[:16]


def test_the_digest_of_the_whole_document() -> None:
    state = _state()
    assert state.offline_brokers == (4,)
    assert state.fingerprint() == _document_digest(state, sorted(state.topics))
    billing = state.fingerprint(lambda name: name.startswith("billing."))
    assert billing == _document_digest(state, ["billing.invoices.v1"])
    assert state.fingerprint(lambda _: False) == _document_digest(state, [])
    no_authorizer = replace(state, acls=None)
    assert no_authorizer.fingerprint() == _document_digest(no_authorizer, sorted(state.topics))


def test_equal_values_count_alike_whether_shared_or_not() -> None:
    state = _state()
    copies = {
        name: replace(topic, configs={k: replace(v) for k, v in topic.configs.items()})
        for name, topic in state.topics.items()
    }
    assert replace(state, topics=copies).fingerprint() == state.fingerprint()


def test_everything_the_diff_reads_changes_it() -> None:
    state = _state()
    billing = state.topics["billing.invoices.v1"]

    def with_billing(topic: TopicState) -> ClusterState:
        return replace(state, topics={**state.topics, billing.name: topic})

    dynamic = {**billing.configs, "cleanup.policy": ConfigValue("delete", "DYNAMIC_TOPIC_CONFIG")}
    shorter = {**billing.configs, "retention.ms": ConfigValue("1", "DYNAMIC_TOPIC_CONFIG")}
    removed = {k: v for k, v in billing.configs.items() if k != "cleanup.policy"}
    changed = [
        with_billing(replace(billing, configs=dynamic)),
        with_billing(replace(billing, configs=shorter)),
        with_billing(replace(billing, configs=removed)),
        with_billing(replace(billing, replicas=((1, 2), (3, 2)))),
        with_billing(replace(billing, isrs=((1, 2), (2, 3)))),
        with_billing(replace(billing, leaders=(1, -1))),
        replace(state, brokers=(1, 2)),
        replace(state, invisible=()),
        replace(state, acls=state.acls[1:] if state.acls else ()),
    ]
    digests = {s.fingerprint() for s in changed}
    assert state.fingerprint() not in digests
    assert len(digests) == len(changed)
