"""Run Prometheus's promtool and Alertmanager's amtool (Debian packages prometheus and
prometheus-alertmanager) on generated alert files."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from busctl.core.diagnostics import BusctlError
from busctl.core.receivers import RouteExpectation, delivery_targets

TOOL_TIMEOUT_SECONDS = 600
INSTALL_HINT = (
    "install Prometheus's tools: `apt-get install --no-install-recommends prometheus "
    "prometheus-alertmanager` (or `make tools`)"
)


@dataclass(frozen=True)
class ToolRun:
    """What a tool said and whether it succeeded."""

    command: list[str]
    ok: bool
    output: str


def _binary(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BusctlError(f"{name} was not found on PATH", INSTALL_HINT)
    return found


def _run(tool: str, *args: str, cwd: Path) -> ToolRun:
    command = [_binary(tool), *args]
    try:
        done = subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, timeout=TOOL_TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise BusctlError(
            f"{tool} did not finish within {TOOL_TIMEOUT_SECONDS}s", "run it by hand to see why"
        ) from error
    return ToolRun(command, done.returncode == 0, (done.stdout + done.stderr).strip())


def check_rules(cwd: Path, files: list[str]) -> ToolRun:
    """`promtool check rules FILE...`: syntax, PromQL and templates."""
    return _run("promtool", "check", "rules", *files, cwd=cwd)


def test_rules(cwd: Path, files: list[str]) -> ToolRun:
    """`promtool test rules FILE...`: the unit tests."""
    return _run("promtool", "test", "rules", *files, cwd=cwd)


def check_alertmanager_config(cwd: Path, file: str) -> ToolRun:
    """`amtool check-config FILE`."""
    return _run("amtool", "check-config", file, cwd=cwd)


def route_receivers(cwd: Path, file: str, labels: dict[str, str]) -> list[str]:
    """The receivers an alert with `labels` reaches (`amtool config routes test`)."""
    pairs = [f"{key}={value}" for key, value in labels.items()]
    run = _run("amtool", "config", "routes", "test", f"--config.file={file}", *pairs, cwd=cwd)
    if not run.ok:
        raise BusctlError(f"amtool could not route {pairs}: {run.output}", "check alerts/alertmanager.yml")
    lines = [line for line in run.output.splitlines() if not line.startswith("Warning:")]
    return [name.strip() for name in ",".join(lines).split(",") if name.strip()]


@dataclass(frozen=True)
class RouteTest:
    """Which receivers an alert of `team` with `severity` reaches, and those it must reach."""

    team: str
    severity: str
    receivers: list[str]
    expected: list[str]

    @property
    def ok(self) -> bool:
        return self.receivers == self.expected


@dataclass(frozen=True)
class ReceiverCheck:
    """A receiver the teams' alerts reach, and where it delivers them (nowhere: `targets` is empty)."""

    receiver: str
    teams: list[str]
    targets: list[str]

    @property
    def ok(self) -> bool:
        return bool(self.targets)


@dataclass(frozen=True)
class FileCheck:
    """One check of one generated file: `check` names it ("promtool test rules"), `run` is its outcome."""

    check: str
    file: str
    run: ToolRun


@dataclass(frozen=True)
class Verification:
    """promtool and amtool on generated alert files: each file's checks, each team's route tests, and
    the delivery targets of every receiver they reach."""

    checks: list[FileCheck]
    routes: list[RouteTest]
    receivers: list[ReceiverCheck]

    @property
    def ok(self) -> bool:
        return (
            all(c.run.ok for c in self.checks)
            and all(route.ok for route in self.routes)
            and all(receiver.ok for receiver in self.receivers)
        )


def receiver_checks(cwd: Path, config: str, routes: list[RouteTest]) -> list[ReceiverCheck]:
    """Each receiver the routes reach (by name), the teams whose alerts reach it, and its delivery
    targets as alerts/alertmanager.yml defines them."""
    document = yaml.safe_load((cwd / config).read_text("utf-8"))
    defined = {str(r.get("name")): r for r in document.get("receivers") or [] if isinstance(r, dict)}
    defaults = document.get("global") or {}
    reached: dict[str, dict[str, None]] = {}
    for route in routes:
        for name in route.receivers:
            reached.setdefault(name, {})[route.team] = None
    return [
        ReceiverCheck(name, list(teams), delivery_targets(defined.get(name, {}), defaults))
        for name, teams in sorted(reached.items())
    ]


def verify(
    cwd: Path, rules: list[str], tests: list[str], config: str, routes: list[RouteExpectation]
) -> Verification:
    """Check each rule file, run each test file, check the Alertmanager config, route an alert of each
    team and severity in `routes` (where it must go), and find where every receiver reached delivers.
    One run per file, so that every outcome names its file."""
    checks = [FileCheck("promtool check rules", f, check_rules(cwd, [f])) for f in rules]
    checks += [FileCheck("promtool test rules", f, test_rules(cwd, [f])) for f in tests]
    checks.append(FileCheck("amtool check-config", config, check_alertmanager_config(cwd, config)))
    tested = [
        RouteTest(
            want.team,
            want.severity,
            route_receivers(cwd, config, {"team": want.team, "severity": want.severity}),
            want.receivers,
        )
        for want in routes
    ]
    return Verification(checks, tested, receiver_checks(cwd, config, tested))
