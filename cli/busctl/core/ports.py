"""What the planner and the executor need from a cluster, as Protocols: the Kafka adapter implements
them, tests fake them."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from busctl.core.plan import Change
from busctl.core.state import ClusterState


class Status(StrEnum):
    """How one change ended."""

    DONE = "done"
    FAILED = "failed"  # the broker refused it: nothing changed for it
    UNCONFIRMED = "unconfirmed"  # sent, but no answer, or not seen applied: it may or may not have happened
    NOT_STARTED = "not-started"  # never sent


@dataclass(frozen=True)
class Sent:
    """The outcome of one item of a batched write."""

    status: Status
    error: str = ""
    error_name: str = ""  # the cluster's name for the error (e.g. INVALID_CONFIG), when it gave one


DONE = Sent(Status.DONE)
Outcomes = list[Sent]


def failed(error: str, name: str = "") -> Sent:
    return Sent(Status.FAILED, error, name)


def unconfirmed(error: str, name: str = "") -> Sent:
    return Sent(Status.UNCONFIRMED, error, name)


class ClusterReader(Protocol):
    """Reads a cluster's state in bulk; `declared` names the topics busctl manages, so that those the
    principal may not see are reported as invisible rather than as missing."""

    def read_state(self, declared: Collection[str] = ()) -> ClusterState: ...


class ClusterWriter(Protocol):
    """Executes batches of plan changes; `validate_only` asks the broker to check without changing.

    Never raises for what the cluster answers: every item gets a Sent, and an item whose request got no
    answer, or whose effect could not be seen afterwards, is UNCONFIRMED."""

    def create_topics(self, changes: list[Change], validate_only: bool = False) -> Outcomes: ...

    def update_configs(self, changes: list[Change], validate_only: bool = False) -> Outcomes: ...

    def add_partitions(self, changes: list[Change], validate_only: bool = False) -> Outcomes: ...

    def create_acls(self, changes: list[Change]) -> Outcomes: ...

    def delete_acls(self, changes: list[Change]) -> Outcomes: ...

    def delete_topics(self, changes: list[Change]) -> Outcomes: ...


class SubjectWriter(Protocol):
    """Executes a plan's schema registry changes, one outcome per change, never raising for what the
    registry answers."""

    def set_levels(self, changes: list[Change]) -> Outcomes: ...

    def register_schemas(self, changes: list[Change]) -> Outcomes: ...

    def delete_subjects(self, changes: list[Change]) -> Outcomes: ...


class ConnectorWriter(Protocol):
    """Executes a plan's Kafka Connect changes, one outcome per change, never raising for what the
    Connect cluster answers. A change is done once the connector and its tasks are seen in the state
    declared (RUNNING or PAUSED), or, for a deletion, once the connector is gone."""

    def create_connectors(self, changes: list[Change]) -> Outcomes: ...

    def update_connectors(self, changes: list[Change]) -> Outcomes: ...

    def pause_connectors(self, changes: list[Change]) -> Outcomes: ...

    def resume_connectors(self, changes: list[Change]) -> Outcomes: ...

    def delete_connectors(self, changes: list[Change]) -> Outcomes: ...
