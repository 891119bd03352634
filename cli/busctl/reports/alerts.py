"""The alerts document ("alerts-report"): what `busctl alerts --format json` prints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from busctl.core.generated import FileState, GeneratedFile
from busctl.render.alerts import FileKind, file_kind, item_count
from busctl.reports import Document

if TYPE_CHECKING:
    from busctl.adapters.prometheus import Verification


class AlertFile(Document):
    """One file busctl alerts owns, and what happened to it (with --check: what would)."""

    path: str
    kind: FileKind
    state: FileState
    items: int | None = Field(
        description="alerting rules in a rules file, promtool tests in a tests file, as generated "
        "(null for other kinds and for files no longer generated)"
    )


class RuleSet(Document):
    """One rule file's set: a paged team's alerts, or `_exporter` (KafkaLagExporterDown, paged to
    policy.platform_team), with its files."""

    name: str
    rules: int
    tests: int
    files: list[AlertFile]


class FileCheck(Document):
    """One check of one generated file by --verify (promtool or amtool), and what the tool said."""

    check: str = Field(description='"promtool check rules", "promtool test rules" or "amtool check-config"')
    file: str
    ok: bool
    output: str


class RouteCheck(Document):
    """--verify: the receivers an alert of `team` with `severity` reaches; ok when exactly `expected`,
    in routing order (a critical alert of a team with `pagerduty:` pages it, then reaches its chat)."""

    team: str
    severity: str = Field(description='"critical" or "warning"')
    receivers: list[str]
    expected: list[str]
    ok: bool


class ReceiverCheck(Document):
    """--verify: a receiver the routes reach, the teams whose alerts reach it, and where it delivers;
    ok when it delivers somewhere."""

    name: str
    teams: list[str]
    targets: list[str] = Field(
        description='e.g. "webhook chat.example.com", "slack #billing", "pagerduty routing_key_file" '
        "(never a secret); empty: it drops every alert"
    )
    ok: bool


class VerifyResult(Document):
    """The outcome of --verify: every file's checks, every team's route tests, every receiver reached."""

    ok: bool
    checks: list[FileCheck]
    routes: list[RouteCheck]
    receivers: list[ReceiverCheck]


class AlertsReport(Document):
    """The files `busctl alerts` wrote (or with --check compared), per rule set, and --verify's outcome."""

    format_version: Literal[2]
    check: bool = Field(description="true with --check (nothing written)")
    in_sync: bool = Field(description="alerts/ holds exactly the generated files (after writing them)")
    exporter: str = Field(description="bus.yaml alerts.exporter: the metric names the rules use")
    rule_sets: list[RuleSet]
    shared: list[AlertFile] = Field(description="files of no rule set: the Alertmanager config")
    verify: VerifyResult | None = Field(
        description="with --verify, when alerts/ is in sync (else null: nothing was run)"
    )


def alerts_report(
    files: list[GeneratedFile], check: bool, exporter: str, verification: Verification | None
) -> AlertsReport:
    """The report of one `busctl alerts` run over `files` (every file it owns)."""
    sets: dict[str, list[AlertFile]] = {}
    shared = []
    for file in files:
        kind = file_kind(file.path)
        document = AlertFile(
            path=file.path,
            kind=kind.kind,
            state=file.state,
            items=None if file.wanted is None else item_count(kind.kind, file.wanted),
        )
        if kind.rule_set is None:
            shared.append(document)
        else:
            sets.setdefault(kind.rule_set, []).append(document)
    return AlertsReport(
        format_version=2,
        check=check,
        in_sync=all(f.in_sync for f in files),
        exporter=exporter,
        rule_sets=[
            RuleSet(
                name=name,
                rules=sum(f.items or 0 for f in members if f.kind == "rules"),
                tests=sum(f.items or 0 for f in members if f.kind == "tests"),
                files=members,
            )
            for name, members in sorted(sets.items())
        ],
        shared=shared,
        verify=None if verification is None else _verify_result(verification),
    )


def _verify_result(verification: Verification) -> VerifyResult:
    return VerifyResult(
        ok=verification.ok,
        checks=[
            FileCheck(check=c.check, file=c.file, ok=c.run.ok, output=c.run.output)
            for c in verification.checks
        ],
        routes=[
            RouteCheck(team=r.team, severity=r.severity, receivers=r.receivers, expected=r.expected, ok=r.ok)
            for r in verification.routes
        ],
        receivers=[
            ReceiverCheck(name=r.receiver, teams=r.teams, targets=r.targets, ok=r.ok)
            for r in verification.receivers
        ],
    )
