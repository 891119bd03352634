"""The recorded cluster state ("cluster-state"): what `plan --save-state DIR` writes for each cluster
and `plan --state DIR` reads back, checked to be exactly this shape before it is planned from."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from busctl.core.state import ClusterState, state_from_dict
from busctl.reports import Document, validated
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


def state_from_document(document: Any) -> ClusterState:
    """A recorded state read back; ValueError naming the first field that is not a state's."""
    return state_from_dict(validated(ClusterStateDocument, document).model_dump())
