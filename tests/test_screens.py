"""Screens people read: every text output fits 80 columns with long names, and one palette
(render/style.py) gives the same meaning the same colour in lint, check, plan and apply."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.text import Text

from busctl.adapters.kafka_lock import LockHeld
from busctl.check import CheckResult, FileOwner, Finding
from busctl.commands.apply import summary
from busctl.commands.common import use_color
from busctl.core.diagnostics import Diagnostic, Severity, Span
from busctl.core.lock import Lease
from busctl.core.plan import Action, Change, ConfigChange, Plan
from busctl.core.ports import Status
from busctl.core.state import AclBinding
from busctl.core.topic_configs import load_catalogue
from busctl.executor import ApplyReport, Outcome
from busctl.loading.bus import load_bus
from busctl.render import check, diagnostics
from busctl.render import plan as plan_render
from busctl.render.style import WIDTH, Tone, error_text, paint, wrap
from tests.conftest import BASE_BUS, CliResult
from tests.test_cli import COMMANDS, SUBCOMMANDS

NAME_34 = "billing.invoice-payment-failed.v12"  # the width of plan's topic column
NAME_60 = "billing.invoice-payment-reminder-sent-to-customer-by-email.v1"
NAME_120 = "billing." + "-".join(["overdue-invoice-reminder"] * 4) + ".v1" + "x" * 15
PRINCIPAL = "User:CN=billing-invoice-service.payments.prod.eu-west-1.svc.cluster.local"
HOLDER = "deploy-bot@ci-runner-0a1b2c3d4e5f.build.internal (pid 123456, busctl 1.4.0)"
REASON = "brokers down: replication factor 3 needs 3 live brokers, 2 of 3 are up (down: 3)"
REMEDY = "bring the brokers back, then plan again (do not lower replication_factor for an outage)"
KEYED = "keyed topic: adding partitions changes which partition a key goes to; per-key ordering breaks"


def plain(text: str) -> str:
    return "\n".join(Text.from_ansi(line).plain for line in text.splitlines())


def assert_fits(text: str) -> None:
    wide = [line for line in plain(text).splitlines() if cell_len(line) > WIDTH]
    assert not wide, "wider than 80 columns:\n" + "\n".join(wide)


def _acl(topic: str) -> AclBinding:
    return AclBinding("TOPIC", topic, "LITERAL", PRINCIPAL, "*", "DESCRIBE", "ALLOW")


def long_plan() -> Plan:
    changes = [
        Change(
            Action.CREATE_TOPIC,
            NAME_60,
            partitions=12,
            replication_factor=3,
            configs=(
                ConfigChange("retention.ms", None, "604800000"),
                ConfigChange("cleanup.policy", None, "delete"),
            ),
        ),
        Change(Action.CREATE_TOPIC, NAME_34, partitions=6, replication_factor=3),
        Change(
            Action.UPDATE_CONFIG,
            NAME_120,
            configs=(ConfigChange("max.message.bytes", "1048576", "10485760"),),
        ),
        Change(
            Action.ADD_PARTITIONS, "billing.a.v1", partitions=24, previous_partitions=12, warnings=(KEYED,)
        ),
        Change(Action.CREATE_ACL, NAME_60, acl=_acl(NAME_60)),
        Change(Action.DELETE_ACL, NAME_120, acl=_acl(NAME_120)),
        Change(Action.BLOCKED, NAME_60, reason=REASON, remedy=REMEDY),
    ]
    return Plan(
        cluster="production-eu-west-1",
        cluster_id="wXGKFv8R9IuGNos4dajqzw",
        fingerprint="f",
        changes=changes,
        unmanaged=[f"legacy.{NAME_60}", NAME_120],
        notes=[f"3 partition(s) under-replicated in 2 topic(s): {NAME_60}, {NAME_120}"],
        topic_filter="billing.invoice-*",
    )


def long_diagnostics() -> list[Diagnostic]:
    path = f"topics/billing/{NAME_60.removeprefix('billing.')}.yaml"
    return [
        Diagnostic(
            "BUS101",
            f'topic name "{NAME_120}" does not match policy.topic_name: it has no .vN suffix',
            Span(path, 1, 7),
            hint=f"rename it to {NAME_60} and keep the file name in step with the topic name",
        ),
        Diagnostic("BUS204", "team audit has no github handle", Span("teams.yaml", 12, 3), Severity.WARNING),
        Diagnostic(
            "BUS007", "cannot read file", Span(f"schemas/{'deeply/' * 12}nested.proto"), hint="chmod +r"
        ),
    ]


def long_check(approved: str = "") -> CheckResult:
    breaking = Diagnostic(
        "BUS501",
        f"partitions of {NAME_60} decreased 12 → 6: Kafka cannot remove partitions",
        Span(f"topics/billing/{NAME_60}.yaml", 6, 13),
        hint="declare partitions: 12 again, or create a new topic version and migrate its consumers",
    )
    warning = Diagnostic(
        "BUS509", f"consumer group of {NAME_34} removed", Span("topics/a.yaml", 3, 1), Severity.WARNING
    )
    return CheckResult(
        ref="origin/main",
        base_sha="0123456789abcdef" * 2,
        findings=[
            Finding(
                breaking, [NAME_60, NAME_120], ["billing", "audit"], [f"{NAME_60}-consumer (audit)"], approved
            ),
            Finding(warning, [NAME_34]),
        ],
        changed=[
            FileOwner(f"topics/billing/{NAME_60}.yaml", "billing"),
            FileOwner(f"schemas/{'x/' * 40}a.proto", ""),
        ],
        head=load_bus(BASE_BUS)[0],
    )


def long_apply() -> tuple[ApplyReport, Plan]:
    plan = long_plan()
    failed = "InvalidConfigurationException: Invalid value 10485760 for configuration max.message.bytes"
    outcomes = [
        Outcome(plan.changes[0], Status.DONE),
        Outcome(plan.changes[2], Status.FAILED, failed),
        Outcome(plan.changes[4], Status.UNCONFIRMED, "no answer within 30s"),
        Outcome(plan.changes[5], Status.NOT_STARTED, "the run stopped before this batch"),
    ]
    return ApplyReport(outcomes, stopped="interrupted by SIGINT (Ctrl-C)"), plan


def test_plan_fits_80_columns_and_keeps_names_whole() -> None:
    text = plan_render.as_text(long_plan(), load_catalogue())
    assert_fits(text)
    assert f"+ {NAME_60}\n" in text and f"{NAME_34}\n" in text  # a long name gets a line of its own
    assert not re.search(re.escape(NAME_34) + r"\S", text)  # never run into the next column
    assert REASON.split()[-1] in text and "reason: brokers down" in text


def test_lint_fits_80_columns() -> None:
    assert_fits(diagnostics.as_text(long_diagnostics(), 7))


@pytest.mark.parametrize("approved", ["", "consumers were told in #billing and moved to the new version"])
def test_check_fits_80_columns(approved: str) -> None:
    assert_fits(check.as_text(long_check(approved)))


def test_apply_summary_fits_80_columns() -> None:
    text = summary(*long_apply())
    assert_fits(text)
    assert f"done        + create\n              {NAME_60}\n" in text  # a long name keeps a line of its own
    assert "failed      ~ update-config billing." in text  # status and change start one line
    assert "stopped: interrupted by SIGINT (Ctrl-C)" in text


def test_lock_held_error_fits_80_columns_on_a_terminal() -> None:
    lease = Lease("claim", HOLDER, since_ms=1_764_630_000_000, expires_ms=1_764_630_030_000)
    err = LockHeld.of("production-eu-west-1", lease, 30_000)
    wrapped = error_text(err, wrapped=True)
    assert_fits(wrapped)
    assert " ".join(wrapped.split()) == " ".join(error_text(err, wrapped=False).split())  # nothing lost
    assert error_text(err, wrapped=False).count("\n") == 2  # logs: one line for the error, one for the hint


@pytest.mark.parametrize("name", ["", *COMMANDS, *SUBCOMMANDS])
def test_help_fits_80_columns(
    name: str, run: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    result = run(*name.split(), "--help")
    assert result.code == 0
    assert_fits(result.out)


@pytest.mark.parametrize(
    "render",
    [
        lambda color: plan_render.as_text(long_plan(), load_catalogue(), color=color),
        lambda color: diagnostics.as_text(long_diagnostics(), 7, color=color),
        lambda color: check.as_text(long_check(), color=color),
        lambda color: summary(*long_apply(), color=color),
    ],
    ids=["plan", "lint", "check", "apply"],
)
def test_colour_changes_no_text(render: Callable[[bool], str]) -> None:
    coloured, uncoloured = render(True), render(False)
    assert "\x1b[" in coloured and "\x1b[" not in uncoloured
    assert plain(coloured) == uncoloured.rstrip("\n")


def test_one_meaning_one_colour_across_screens() -> None:
    red, yellow, green = (
        paint("x", tone, True).removesuffix("x\x1b[0m") for tone in (Tone.ERROR, Tone.WARNING, Tone.OK)
    )
    assert red == "\x1b[31m" and yellow == "\x1b[33m" and green == "\x1b[32m"
    lint = diagnostics.as_text(long_diagnostics(), 7, color=True)
    assert f"{red}error" in lint and f"{yellow}warning" in lint
    breaking = check.as_text(long_check(), color=True)
    assert f"{red}✗ BUS501" in breaking and f"{yellow}! BUS509" in breaking
    assert f"{green}✓ BUS501" in check.as_text(long_check(approved="agreed"), color=True)
    plan = plan_render.as_text(long_plan(), load_catalogue(), color=True)
    assert f"{red}! {NAME_60}" in plan and f"{green}+ {NAME_60}" in plan and f"{yellow}~ billing.a.v1" in plan
    applied = summary(*long_apply(), color=True)
    assert f"{red}failed" in applied and f"{green}done" in applied and f"{yellow}unconfirmed" in applied


@dataclass
class _Stdout:
    terminal: bool

    def isatty(self) -> bool:
        return self.terminal


def test_colour_only_on_a_terminal_without_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(sys, "stdout", _Stdout(terminal=False))
    assert not use_color()
    monkeypatch.setattr(sys, "stdout", _Stdout(terminal=True))
    assert use_color()
    monkeypatch.setenv("NO_COLOR", "")
    assert use_color()  # no-color.org: set to a value
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color()


WIDE = "請求書が作成されたときに送られるイベント。経理チームが読みます。" * 3 + " 🧾 receipts"


def test_wrap_measures_cells_so_wide_characters_fit() -> None:
    lines = wrap(WIDE, "  description  ", " " * 15)
    assert len(lines) > 1 and all(cell_len(line) <= WIDTH for line in lines)
    assert "".join(lines).removeprefix("  description").replace(" ", "") == WIDE.replace(" ", "")


def test_describe_with_a_cjk_description_fits_80_columns(
    run: Callable[..., CliResult], bus_repo: Callable[..., Path]
) -> None:
    root = bus_repo({})
    topic = root / "topics/billing/invoice-created.yaml"
    topic.write_text(
        topic.read_text().replace("description: An invoice was created.", f"description: {WIDE}")
    )
    result = run("describe", "billing.invoice-created.v1", "--repo", str(root))
    assert result.code == 0, result.err
    assert "🧾" in result.out
    assert_fits(result.out)
