"""What the executor needs from a cluster, as a Protocol: the Kafka adapter implements it, tests fake it."""

from __future__ import annotations

from typing import Protocol

from busctl.core.plan import Change

# Per-item outcome of a batched write: None when it worked, else the broker's error message.
Outcomes = list[str | None]


class ClusterWriter(Protocol):
    """Executes batches of plan changes; `validate_only` asks the broker to check without changing."""

    def create_topics(self, changes: list[Change], validate_only: bool = False) -> Outcomes: ...

    def update_configs(self, changes: list[Change], validate_only: bool = False) -> Outcomes: ...

    def add_partitions(self, changes: list[Change], validate_only: bool = False) -> Outcomes: ...

    def create_acls(self, changes: list[Change]) -> Outcomes: ...

    def delete_acls(self, changes: list[Change]) -> Outcomes: ...

    def delete_topics(self, changes: list[Change]) -> Outcomes: ...
