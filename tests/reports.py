"""Validate a command's `--format json` output against its published report schema."""

from __future__ import annotations

import json
from typing import Any

import jsonschema

from busctl.reports.registry import REPORTS, report_schema


def assert_report(kind: str, text: str) -> dict[str, Any]:
    """Parse `text` and validate it against REPORTS[kind]'s JSON Schema; return the document."""
    model, _ = REPORTS[kind]
    schema = json.loads(report_schema(kind))
    document: dict[str, Any] = json.loads(text)
    jsonschema.Draft202012Validator(schema).validate(document)
    model.model_validate(document)
    return document
