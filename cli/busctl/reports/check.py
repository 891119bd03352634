"""The check document ("check-report"): what `busctl check --format json` prints and `--out` saves."""

from __future__ import annotations

from collections import defaultdict
from typing import Literal

from pydantic import Field

from busctl.check import CheckResult, Finding
from busctl.core.diagnostics import Severity
from busctl.reports import Document

CHECK_FORMAT_VERSION = 1

Status = Literal["breaking", "approved", "warning", "note"]


class CheckSummary(Document):
    """Counts: unapproved breaks, approved breaks and all findings."""

    breaking: int
    approved: int
    findings: int


class FindingDocument(Document):
    """One finding of the comparison, with what it touches and whom it affects."""

    code: str = Field(description="rule id: BUSnnn, or buf:RULE for buf breaking's findings")
    severity: Severity
    status: Status = Field(
        description="breaking (not approved), approved, warning, or note (informs: an exemption added)"
    )
    message: str
    hint: str = Field(description="how to fix it (empty when there is no hint)")
    file: str
    line: int = Field(description="1-based; 0 with column 0: the whole file")
    column: int
    subject: str = Field(description="the topic or message the finding is about (may be empty)")
    topics: list[str]
    teams: list[str] = Field(description="teams to notify: those whose consumers the change affects")
    consumers: list[str] = Field(description='affected consumer groups, "group (team)"')
    approved: str | None = Field(description="the approval's reason, when the change approves the break")


class OwnershipDocument(Document):
    """The changed files one team owns ("(nobody)" for files no team owns)."""

    team: str
    chat: str | None
    files: list[str]


class NotifyDocument(Document):
    """A team to ask for review: its chat room and GitHub handle, when teams.yaml has them."""

    team: str
    chat: str | None
    github: str | None


class CheckReport(Document):
    """Everything `busctl check --against REF` found: breaks, their approvals, ownership, whom to ask."""

    format_version: Literal[1]
    ref: str
    merge_base: str = Field(description="the commit compared with: the merge base of HEAD and ref")
    summary: CheckSummary
    findings: list[FindingDocument]
    ownership: list[OwnershipDocument]
    teams_to_notify: list[str]
    notify: list[NotifyDocument]


_STATUS_OF: dict[Severity, Status] = {
    Severity.ERROR: "breaking",
    Severity.WARNING: "warning",
    Severity.NOTE: "note",
}


def status_of(finding: Finding) -> Status:
    """approved if the change approves it, else breaking (an error), warning or note."""
    if finding.approved:
        return "approved"
    return _STATUS_OF[finding.diagnostic.severity]


def files_by_team(result: CheckResult) -> dict[str, list[str]]:
    """The changed files by owner team, teams sorted; "(nobody)" for files no team owns."""
    files: dict[str, list[str]] = defaultdict(list)
    for owner in result.changed:
        files[owner.team or "(nobody)"].append(owner.path)
    return dict(sorted(files.items()))


def chat_of(result: CheckResult, team: str) -> str:
    """The team's chat room, or '' when it has none (or is not in teams.yaml)."""
    info = result.head.teams.get(team)
    return (info.chat or "") if info else ""


def check_report(result: CheckResult) -> CheckReport:
    """The check document for `result`."""
    return CheckReport(
        format_version=CHECK_FORMAT_VERSION,
        ref=result.ref,
        merge_base=result.base_sha,
        summary=CheckSummary(
            breaking=len(result.unapproved),
            approved=sum(bool(f.approved) for f in result.findings),
            findings=len(result.findings),
        ),
        findings=[
            FindingDocument(
                code=f.diagnostic.code,
                severity=f.diagnostic.severity,
                status=status_of(f),
                message=f.diagnostic.message,
                hint=f.diagnostic.hint,
                file=f.diagnostic.span.file,
                line=f.diagnostic.span.line,
                column=f.diagnostic.span.col,
                subject=f.diagnostic.subject,
                topics=f.topics,
                teams=f.teams,
                consumers=f.consumers,
                approved=f.approved or None,
            )
            for f in result.findings
        ],
        ownership=[
            OwnershipDocument(team=team, chat=chat_of(result, team) or None, files=paths)
            for team, paths in files_by_team(result).items()
        ],
        teams_to_notify=result.teams_to_ask,
        notify=[
            NotifyDocument(team=team, chat=chat_of(result, team) or None, github=_github(result, team))
            for team in result.teams_to_ask
        ],
    )


def _github(result: CheckResult, team: str) -> str | None:
    info = result.head.teams.get(team)
    return info.github if info else None
