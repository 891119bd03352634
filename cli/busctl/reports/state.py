"""The recorded cluster state ("cluster-state"): what `plan --save-state DIR` writes for each cluster
and `plan --state DIR` reads back, checked to be exactly this shape before it is planned from."""

from __future__ import annotations

from pydantic import Field, ValidationError

from busctl.core.state import AclBinding, ClusterState, ConfigValue, TopicState
from busctl.reports import Document
from busctl.reports.plan import AclDocument


class ConfigValueDocument(Document):
    """A topic config as the broker reported it."""

    value: str | None
    source: str = Field(description="DYNAMIC_TOPIC_CONFIG, DEFAULT_CONFIG, STATIC_BROKER_CONFIG, ...")
    read_only: bool = False
    sensitive: bool = False


class TopicStateDocument(Document):
    """A topic: replicas, in-sync replicas and leader per partition, and its configs."""

    replicas: list[list[int]] = Field(description="per partition, in partition order")
    configs: dict[str, ConfigValueDocument] = Field(default_factory=dict)
    isrs: list[list[int]] = Field(default_factory=list)
    leaders: list[int] = Field(default_factory=list, description="per partition; -1: offline")


class ClusterStateDocument(Document):
    """Everything plan read from one cluster."""

    cluster_id: str
    brokers: list[int] = Field(description="the live brokers")
    topics: dict[str, TopicStateDocument]
    acls: list[AclDocument] | None = Field(description="null: the cluster has no authorizer")
    invisible: list[str] = Field(
        default_factory=list, description="declared topics the principal may not DESCRIBE"
    )


def state_from_json(raw: bytes) -> ClusterState:
    """A recorded state read back from its JSON text; ValueError naming the first field that is not a
    state's. Equal config values become one object, as when read from a cluster."""
    try:
        document = ClusterStateDocument.model_validate_json(raw)
    except ValidationError as invalid:
        first = invalid.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the document"
        raise ValueError(f"{where}: {first['msg']}") from None
    values: dict[tuple[str | None, str, bool, bool], ConfigValue] = {}

    def value_of(c: ConfigValueDocument) -> ConfigValue:
        key = (c.value, c.source, c.read_only, c.sensitive)
        return values.get(key) or values.setdefault(key, ConfigValue(*key))

    return ClusterState(
        cluster_id=document.cluster_id,
        brokers=tuple(document.brokers),
        topics={
            name: TopicState(
                name=name,
                replicas=tuple(tuple(r) for r in t.replicas),
                configs={k: value_of(v) for k, v in t.configs.items()},
                isrs=tuple(tuple(r) for r in t.isrs),
                leaders=tuple(t.leaders),
            )
            for name, t in document.topics.items()
        },
        acls=None if document.acls is None else tuple(AclBinding(**a.model_dump()) for a in document.acls),
        invisible=tuple(document.invisible),
    )
