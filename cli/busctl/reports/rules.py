"""The `busctl rules` document: every registered code with its family, severity and settings."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import Field

from busctl.core.diagnostics import Severity
from busctl.reports import Document
from busctl.rules.base import Entry, Family

RULES_FORMAT_VERSION = 1


class RuleEntry(Document):
    """One code busctl reports."""

    id: str = Field(description='The code, e.g. "BUS101".')
    family: Family = Field(
        description="load: reading the repo; lint: one bus; check: the bus before and after a change."
    )
    name: str
    severity: Severity = Field(description="The severity it reports at, unless bus.yaml sets another.")
    opt_in: bool = Field(description="Off unless bus.yaml policy.rules sets its severity.")
    summary: str = Field(description="What the rule requires, in one sentence.")
    configurable: bool = Field(description="Whether bus.yaml policy.rules may change or turn it off.")
    locked: str = Field(description='Why it cannot be changed; "" when configurable.')
    doc: str = Field(description="The full description, with Bad and Good examples.")


class RulesReport(Document):
    """`busctl rules --format json`."""

    format_version: int = RULES_FORMAT_VERSION
    rules: list[RuleEntry]


def from_entries(entries: Iterable[type[Entry]]) -> RulesReport:
    """The report of registry entries, in the order given."""
    return RulesReport(
        rules=[
            RuleEntry(
                id=e.id,
                family=e.family,
                name=e.name,
                severity=e.severity,
                opt_in=e.opt_in,
                summary=e.summary(),
                configurable=not e.locked,
                locked=e.locked,
                doc=e.doc(),
            )
            for e in entries
        ]
    )
