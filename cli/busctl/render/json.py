"""The one JSON writer: every `--format json` document and saved report goes through `as_json`."""

from __future__ import annotations

from pydantic import BaseModel


def as_json(document: BaseModel) -> str:
    """The document as stable, indented UTF-8 JSON (field order = model order), ending in a newline."""
    return document.model_dump_json(indent=2, by_alias=True) + "\n"
