"""Every report model by its `busctl schema` name: `<command>-report` -> (model, title)."""

from __future__ import annotations

from busctl.reports import Document
from busctl.reports.plan import PlanReport

REPORTS: dict[str, tuple[type[Document], str]] = {
    "plan-report": (PlanReport, "busctl plan --format json, and the plan file of plan --out"),
}
