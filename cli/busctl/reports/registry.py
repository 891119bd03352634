"""Every report model by its `busctl schema` name: `<command>-report` -> (model, title)."""

from __future__ import annotations

from busctl.reports import Document

REPORTS: dict[str, tuple[type[Document], str]] = {}
