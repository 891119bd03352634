"""The lint document ("lint-report"): what `busctl lint --format json` prints and `--out` saves."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from busctl.core.diagnostics import Diagnostic, Severity
from busctl.reports import Document

LINT_FORMAT_VERSION = 1


class LintSummary(Document):
    """Counts of the findings, and how many files were linted."""

    errors: int
    warnings: int
    files: int


class DiagnosticDocument(Document):
    """One finding, at a 1-based line and column of a repo-relative file (0 and 0: the whole file)."""

    code: str = Field(description="rule id: BUSnnn, or buf:RULE for buf's findings")
    name: str = Field(description="the rule's name (empty for buf's findings)")
    severity: Severity
    message: str
    hint: str = Field(description="how to fix it (empty when there is no hint)")
    file: str
    line: int
    column: int


class LintReport(Document):
    """Every finding of `busctl lint`, in file, line, column order."""

    format_version: Literal[1]
    summary: LintSummary
    diagnostics: list[DiagnosticDocument]


def lint_report(diagnostics: list[Diagnostic], files: int) -> LintReport:
    """The lint document for `diagnostics` found in `files` files."""
    return LintReport(
        format_version=LINT_FORMAT_VERSION,
        summary=LintSummary(
            errors=sum(d.severity is Severity.ERROR for d in diagnostics),
            warnings=sum(d.severity is Severity.WARNING for d in diagnostics),
            files=files,
        ),
        diagnostics=[
            DiagnosticDocument(
                code=d.code,
                name=d.name,
                severity=d.severity,
                message=d.message,
                hint=d.hint,
                file=d.span.file,
                line=d.span.line,
                column=d.span.col,
            )
            for d in diagnostics
        ],
    )
