"""The codeowners document ("codeowners-report"): what `busctl codeowners --format json` prints."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from busctl.core.codeowners import Codeowners
from busctl.core.generated import FileState, GeneratedFile, line_changes
from busctl.reports import Document


class EntryDocument(Document):
    """One CODEOWNERS line: the path pattern and the owners GitHub asks for a change under it."""

    pattern: str = Field(description="as written in the file (spaces escaped with a backslash)")
    owners: list[str]


class LineDifference(Document):
    """A line the file must lose (`-`, numbered in the current file) or gain (`+`, numbered in the
    generated one) to be in sync."""

    op: Literal["+", "-"]
    line: int
    text: str


class CodeownersReport(Document):
    """The generated CODEOWNERS: its entries, and how the file on disk compares."""

    format_version: Literal[1]
    path: str
    check: bool = Field(description="true with --check (nothing written)")
    state: FileState = Field(description="unchanged or written; with --check unchanged, missing or stale")
    in_sync: bool = Field(description="the file on disk is the generated one (after writing it)")
    entries: list[EntryDocument] = Field(description="in file order: GitHub uses the last matching line")
    unlisted_teams: list[str] = Field(description="teams without a github handle, so without entries")
    differences: list[LineDifference] = Field(description="with --check: what is out of sync")


def codeowners_report(generated: Codeowners, file: GeneratedFile, check: bool) -> CodeownersReport:
    """The report of one `busctl codeowners` run on `file`, generated as `generated`."""
    return CodeownersReport(
        format_version=1,
        path=file.path,
        check=check,
        state=file.state,
        in_sync=file.in_sync,
        entries=[EntryDocument(pattern=e.pattern, owners=list(e.owners)) for e in generated.entries],
        unlisted_teams=generated.unlisted_teams,
        differences=[
            LineDifference(op=c.op, line=c.line, text=c.text)
            for c in ([] if file.in_sync else line_changes(file.current, file.wanted))
        ],
    )
