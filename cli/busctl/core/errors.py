"""Exceptions that carry a Diagnostic: raised where a file cannot be read any further."""

from __future__ import annotations

from busctl.core.diagnostics import Diagnostic, Span

LOAD_ERROR_NAMES = {
    "BUS001": "yaml-syntax",
    "BUS002": "duplicate-key",
    "BUS004": "unknown-field",
    "BUS007": "not-text",
    "BUS008": "file-too-large",
    "BUS009": "symlink-escape",
    "BUS010": "document-too-large",
    "BUS011": "unsupported-yaml",
    "BUS013": "not-a-regular-file",
    "BUS014": "symlink-unfollowable",
}


class LoadError(Exception):
    """A file-level problem that stops reading that file (bad YAML, binary, too large...)."""

    def __init__(self, code: str, message: str, span: Span, hint: str = "", name: str = "") -> None:
        super().__init__(message)
        self.diagnostic = Diagnostic(
            code=code, message=message, span=span, hint=hint, name=name or LOAD_ERROR_NAMES.get(code, "")
        )
