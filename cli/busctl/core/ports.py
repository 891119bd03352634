"""What the core needs from a cluster, as Protocols: adapters implement them, tests fake them."""

from __future__ import annotations

from typing import Protocol

from busctl.core.plan import Change
from busctl.core.state import ClusterState

# Per-item outcome of a batched write: None when it worked, else the broker's error message.
Outcomes = list[str | None]


class ClusterReader(Protocol):
    """Reads a cluster's whole state in bulk."""

    def read_state(self) -> ClusterState: ...


class ClusterWriter(Protocol):
    """Executes batches of plan changes; `validate_only` asks the broker to check without changing."""

    def create_topics(self, changes: list[Change], validate_only: bool = False) -> Outcomes: ...

    def update_configs(self, changes: list[Change], validate_only: bool = False) -> Outcomes: ...

    def add_partitions(self, changes: list[Change], validate_only: bool = False) -> Outcomes: ...

    def create_acls(self, changes: list[Change]) -> Outcomes: ...

    def delete_acls(self, changes: list[Change]) -> Outcomes: ...

    def delete_topics(self, changes: list[Change]) -> Outcomes: ...
