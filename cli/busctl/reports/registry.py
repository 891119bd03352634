"""Every report model by its `busctl editor-schema` name: `<command>-report` -> (model, title)."""

from __future__ import annotations

from busctl.core.jsonschema import model_schema
from busctl.reports import Document
from busctl.reports.alerts import AlertsReport
from busctl.reports.apply import ApplyReport
from busctl.reports.check import CheckReport
from busctl.reports.codeowners import CodeownersReport
from busctl.reports.connectors import ConnectorsStatusReport
from busctl.reports.describe import DescribeReport
from busctl.reports.fleet import FleetApplyReport, FleetPlanReport
from busctl.reports.import_ import ImportReport
from busctl.reports.lag import LagReportDocument
from busctl.reports.lint import LintReport
from busctl.reports.owner import OwnerReport
from busctl.reports.plan import PlanReport, PlanSkippedReport
from busctl.reports.rules import RulesReport
from busctl.reports.schema import SchemaListReport, SchemaShowReport
from busctl.reports.state import ClusterStateDocument
from busctl.reports.topics import TopicsReport
from busctl.reports.verify import VerifyReportDocument

REPORTS: dict[str, tuple[type[Document], str]] = {
    "alerts-report": (AlertsReport, "busctl alerts --format json"),
    "apply-report": (ApplyReport, "busctl apply --format json"),
    "check-report": (CheckReport, "busctl check --format json, and the report of check --out"),
    "cluster-state": (ClusterStateDocument, "a cluster's state, as plan --save-state records it"),
    "codeowners-report": (CodeownersReport, "busctl codeowners --format json"),
    "connectors-status-report": (ConnectorsStatusReport, "busctl connectors status --format json"),
    "describe-report": (DescribeReport, "busctl describe TOPIC --format json"),
    "fleet-apply-report": (FleetApplyReport, "busctl apply --format json for several clusters"),
    "fleet-plan-report": (
        FleetPlanReport,
        "busctl plan --format json for several clusters, and the fleet plan file of plan --out",
    ),
    "import-report": (ImportReport, "busctl import --format json"),
    "lag-report": (LagReportDocument, "busctl lag --format json"),
    "lint-report": (LintReport, "busctl lint --format json, and the report of lint --out"),
    "owner-report": (OwnerReport, "busctl owner QUERY --format json"),
    "plan-report": (PlanReport, "busctl plan --format json, and the plan file of plan --out"),
    "plan-skipped-report": (
        PlanSkippedReport,
        "busctl plan --skip-without-credentials when no cluster has its credentials (plan --out too)",
    ),
    "rules-report": (RulesReport, "busctl rules --format json"),
    "schema-list-report": (SchemaListReport, "busctl schema list --format json"),
    "schema-show-report": (SchemaShowReport, "busctl schema show NAME --format json"),
    "topics-report": (TopicsReport, "busctl topics --format json"),
    "verify-report": (VerifyReportDocument, "busctl verify --format json"),
}


def report_schema(kind: str) -> str:
    """The JSON Schema text of one report document, as busctl writes it."""
    return model_schema(*REPORTS[kind], mode="serialization")


def report_schema_files() -> dict[str, str]:
    """File name -> schema text for every report: {"plan-report.schema.json": ...}."""
    return {f"{kind}.schema.json": report_schema(kind) for kind in sorted(REPORTS)}
