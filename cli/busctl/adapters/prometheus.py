"""Run Prometheus's promtool and Alertmanager's amtool (Debian packages prometheus and
prometheus-alertmanager) on generated alert files."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from busctl.core.diagnostics import BusctlError

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
    """Which receivers an alert of `team` reaches, and the one it must reach."""

    team: str
    receivers: list[str]
    expected: str

    @property
    def ok(self) -> bool:
        return self.receivers == [self.expected]


@dataclass(frozen=True)
class FileCheck:
    """One check of one generated file: `check` names it ("promtool test rules"), `run` is its outcome."""

    check: str
    file: str
    run: ToolRun


@dataclass(frozen=True)
class Verification:
    """promtool and amtool on generated alert files: each file's checks, then each team's route test."""

    checks: list[FileCheck]
    routes: list[RouteTest]

    @property
    def ok(self) -> bool:
        return all(c.run.ok for c in self.checks) and all(route.ok for route in self.routes)


def verify(
    cwd: Path, rules: list[str], tests: list[str], config: str, receivers: dict[str, str]
) -> Verification:
    """Check each rule file, run each test file, check the Alertmanager config, and route a critical
    alert of each team (`receivers`: team -> the receiver it must reach). One run per file, so that
    every outcome names its file."""
    checks = [FileCheck("promtool check rules", f, check_rules(cwd, [f])) for f in rules]
    checks += [FileCheck("promtool test rules", f, test_rules(cwd, [f])) for f in tests]
    checks.append(FileCheck("amtool check-config", config, check_alertmanager_config(cwd, config)))
    routes = [
        RouteTest(team, route_receivers(cwd, config, {"team": team, "severity": "critical"}), expected)
        for team, expected in receivers.items()
    ]
    return Verification(checks, routes)
