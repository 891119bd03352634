"""The import document ("import-report"): what `busctl import --format json` prints."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from busctl.core.importer import Import, Imported, SkipReason
from busctl.reports import Document

FileOutcome = Literal["written", "would-write", "exists"]


class ImportedTopic(Document):
    """One undeclared topic and its file: written, to be written (--dry-run), or already there (left
    untouched, in either mode)."""

    topic: str
    file: str = Field(
        description="repo-relative: topics/<owner>/<topic>.yaml (topics/_imported/ if no owner)"
    )
    outcome: FileOutcome
    todo: list[str] = Field(description="what a human must still fill in (placeholders busctl lint flags)")
    content: str = Field(description="the file's YAML, as written or as it would be")


class SkippedTopic(Document):
    """A topic of the cluster that gets no file: declared already (`file` declares it), matched by
    policy.protected_topics, or busctl's own apply lock topic."""

    topic: str
    reason: SkipReason
    file: str | None


class ImportSummary(Document):
    """Counts: files written (or, with --dry-run, to be written), left as they were, topics skipped."""

    written: int
    would_write: int
    exists: int
    skipped: int


class ImportReport(Document):
    """Every topic of the cluster: imported (with its file) or skipped (with the reason)."""

    format_version: Literal[1]
    cluster: str
    dry_run: bool
    summary: ImportSummary
    topics: list[ImportedTopic]
    skipped: list[SkippedTopic]


def import_report(
    cluster: str, dry_run: bool, found: Import, files: list[tuple[Imported, str, FileOutcome]]
) -> ImportReport:
    """The report of one import: `files` holds each imported topic's YAML and what became of its file."""
    topics = [
        ImportedTopic(topic=item.topic, file=item.path, outcome=outcome, todo=item.todo, content=text)
        for item, text, outcome in files
    ]
    outcomes = [t.outcome for t in topics]
    return ImportReport(
        format_version=1,
        cluster=cluster,
        dry_run=dry_run,
        summary=ImportSummary(
            written=outcomes.count("written"),
            would_write=outcomes.count("would-write"),
            exists=outcomes.count("exists"),
            skipped=len(found.skipped),
        ),
        topics=topics,
        skipped=[SkippedTopic(topic=s.topic, reason=s.reason, file=s.file) for s in found.skipped],
    )
