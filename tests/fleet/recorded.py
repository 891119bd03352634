"""Recorded clusters for fleet tests: each cluster name answers with a state built here (no broker)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import pytest

from busctl import planning
from busctl.core.diagnostics import BusctlError
from busctl.core.state import AclBinding, ClusterState, ConfigValue, TopicState

FLEET_BUS = """\
clusters:
  staging:
    bootstrap_servers: 127.0.0.1:9092
    labels: {env: staging}
    overrides: {replication_factor: 1, config: {min.insync.replicas: 1}}
  prod-eu:
    bootstrap_servers: 127.0.0.1:9093
    labels: {env: prod, region: eu}
  prod-us:
    bootstrap_servers: 127.0.0.1:9094
    labels: {env: prod, region: us}
defaults:
  partitions: 6
  replication_factor: 3
  config: {min.insync.replicas: 2}
policy:
  topic_name: '^(?P<team>[a-z][a-z0-9-]*)\\.[a-z0-9-]+\\.v[0-9]+$'
  min_replication_factor: 1
  max_partitions: 256
  protected_topics: ['^__', '^_schemas$']
  platform_team: platform
"""


def topic_state(
    name: str, partitions: int, replication: int, configs: dict[str, str] | None = None
) -> TopicState:
    """A healthy topic on brokers 1..3 with `configs` set on the topic."""
    brokers = [1, 2, 3]
    replicas = tuple(tuple(brokers[(p + r) % 3] for r in range(replication)) for p in range(partitions))
    return TopicState(
        name=name,
        replicas=replicas,
        configs={k: ConfigValue(v, "DYNAMIC_TOPIC_CONFIG") for k, v in (configs or {}).items()},
        isrs=replicas,
        leaders=tuple(r[0] for r in replicas),
    )


def cluster_state(
    cluster_id: str, topics: list[TopicState] | None = None, acls: list[AclBinding] | None = None
) -> ClusterState:
    """Three live brokers, the topics given and (with `acls`) an authorizer holding them."""
    return ClusterState(
        cluster_id=cluster_id,
        brokers=(1, 2, 3),
        topics={t.name: t for t in topics or []},
        acls=None if acls is None else tuple(acls),
    )


@dataclass
class Recorded:
    """A cluster that answers every read with `state`, or fails like an unreachable one."""

    name: str
    state: ClusterState | None

    def read_state(self, declared: Collection[str] = ()) -> ClusterState:
        if self.state is None:
            raise BusctlError(f"cannot reach cluster {self.name} (127.0.0.1:1): connection refused")
        return self.state


def record(monkeypatch: pytest.MonkeyPatch, states: dict[str, ClusterState | None]) -> None:
    """Make plan read `states[cluster]` for each cluster (None: unreachable)."""
    monkeypatch.setattr(
        planning, "connect", lambda _bus, cluster, _timeout: Recorded(cluster, states[cluster])
    )
