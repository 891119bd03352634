"""The verify document ("verify-report"): what `busctl verify --format json` prints, one entry per
declared topic with its sample counts and every record that breaks the contract."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from busctl.core.verify import TopicVerdict, VerifyReport, Violation
from busctl.reports import Document

VERIFY_FORMAT_VERSION = 1


class ViolationDocument(Document):
    """A record whose key or value is not the declared message."""

    partition: int
    offset: int
    part: Literal["key", "value"]
    reason: str


class TopicVerdictDocument(Document):
    """One topic's sample, judged."""

    topic: str
    team: str
    file: str
    value: str = Field(description="the declared value message")
    key: str | None = Field(description="the declared key message (null: string, bytes or none: not checked)")
    absent: bool = Field(description="the topic is not on the cluster: nothing sampled, not a failure")
    sampled: int
    conforming: int
    problem: str = Field(description="why it could not be (fully) read or checked (empty: none)")
    ok: bool
    violations: list[ViolationDocument]


class VerifyReportDocument(Document):
    """Every declared topic's verdict on one cluster; `ok` is false when `busctl verify` exits 1."""

    format_version: Literal[1]
    cluster: str
    samples: int = Field(description="the newest records read per partition, at most")
    registry: str | None = Field(description="the registry schema ids were resolved with (null: none)")
    ok: bool
    topics: list[TopicVerdictDocument]


def verify_report(report: VerifyReport) -> VerifyReportDocument:
    """The report as its document."""
    return VerifyReportDocument(
        format_version=VERIFY_FORMAT_VERSION,
        cluster=report.cluster,
        samples=report.samples,
        registry=report.registry,
        ok=not report.failing,
        topics=[_topic(t) for t in report.topics],
    )


def _topic(verdict: TopicVerdict) -> TopicVerdictDocument:
    return TopicVerdictDocument(
        topic=verdict.topic,
        team=verdict.team,
        file=verdict.file,
        value=verdict.value,
        key=verdict.key,
        absent=verdict.absent,
        sampled=verdict.sampled,
        conforming=verdict.conforming,
        problem=verdict.problem,
        ok=not verdict.failing,
        violations=[_violation(v) for v in verdict.violations],
    )


def _violation(violation: Violation) -> ViolationDocument:
    return ViolationDocument.model_validate(violation.__dict__)
