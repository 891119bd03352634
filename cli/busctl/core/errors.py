"""Exceptions that carry a Diagnostic: raised where a file cannot be read any further."""

from __future__ import annotations

from busctl.core.diagnostics import Diagnostic, Span


class LoadError(Exception):
    """A file-level problem that stops reading that file (bad YAML, binary, too large...)."""

    def __init__(self, code: str, message: str, span: Span, hint: str = "") -> None:
        super().__init__(message)
        self.diagnostic = Diagnostic(code=code, message=message, span=span, hint=hint)
