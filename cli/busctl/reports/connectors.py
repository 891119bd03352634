"""The connectors status document ("connectors-status-report"): what `busctl connectors status --format
json` prints, one entry per declared connector with its state, tasks and problem."""

from __future__ import annotations

from pydantic import Field

from busctl.core.connectors import ConnectorsStatus, first_line
from busctl.reports import Document

CONNECTORS_FORMAT_VERSION = 1


class TaskDocument(Document):
    """One task of a connector, as the Connect cluster reports it."""

    id: int
    state: str
    worker: str
    error: str = Field(description="a FAILED task's error, in one line (empty otherwise)")


class ConnectorHealthDocument(Document):
    """One declared connector: the state declared and the state seen."""

    name: str
    owner: str
    file: str
    declared: str = Field(description="RUNNING, PAUSED, or DELETED for a tombstone still there")
    state: str = Field(description='the connector\'s state on the Connect cluster ("": not there)')
    tasks: list[TaskDocument]
    problem: str = Field(description="what is not as declared (empty: it runs as declared)")


class ConnectorsStatusReport(Document):
    """`busctl connectors status --cluster NAME --format json`."""

    format_version: int = CONNECTORS_FORMAT_VERSION
    cluster: str
    connect: str = Field(description="the Connect cluster's REST URL (no credentials)")
    version: str = Field(description="the workers' Kafka Connect version")
    connectors: list[ConnectorHealthDocument]
    unmanaged: list[str] = Field(description="connectors on the Connect cluster no declaration names")
    failing: int = Field(description="declared connectors not running as declared (exit 1 when any)")


def status_report(status: ConnectorsStatus) -> ConnectorsStatusReport:
    return ConnectorsStatusReport(
        cluster=status.cluster,
        connect=status.url,
        version=status.version,
        connectors=[
            ConnectorHealthDocument(
                name=h.name,
                owner=h.owner,
                file=h.file,
                declared=h.declared,
                state=h.state,
                tasks=[
                    TaskDocument(id=t.id, state=t.state, worker=t.worker, error=first_line(t.trace))
                    for t in h.tasks
                ],
                problem=h.problem,
            )
            for h in status.connectors
        ],
        unmanaged=status.unmanaged,
        failing=len(status.failing),
    )
