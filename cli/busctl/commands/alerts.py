"""`busctl alerts`: write alerts/ (Prometheus rules, promtool tests, Alertmanager routes)."""

from __future__ import annotations

from pathlib import Path

import typer

from busctl.adapters import prometheus
from busctl.commands.common import RepoOption, progress
from busctl.commands.generated import sync
from busctl.planning import valid_bus
from busctl.render.alerts import ALERTS_DIR, generated_files, render_alerts, routed_teams


def command(
    repo: RepoOption = Path("."),
    check: bool = typer.Option(
        False, "--check", help="Do not write; exit 1 if alerts/ is missing, stale or has obsolete files."
    ),
    verify: bool = typer.Option(
        False,
        "--verify",
        help="Then run promtool check/test rules and amtool check-config plus a route test per team "
        "(needs Debian's prometheus and prometheus-alertmanager).",
    ),
) -> int:
    """Generate lag alerts for every declared consumer group: a Prometheus rule file per team
    (lag in messages and seconds, stuck, missing, no members, offset out of retention), a promtool
    test file for each, and an Alertmanager config routing each team's alerts to its chat room.

    Templates: the built-in ones (busctl/templates/alerts/) unless the repo's templates/ has a file
    of the same path. Metric names follow bus.yaml alerts.exporter."""
    root = repo.resolve()
    bus = valid_bus(root, "alerts/ was not written")
    wanted = render_alerts(root, bus)
    code = sync(root, wanted, "busctl alerts", check, owned=generated_files(root))
    if verify and code == 0:
        return _verify(root, sorted(wanted), routed_teams(bus))
    return code


def _verify(root: Path, files: list[str], teams: list[str]) -> int:
    """Run promtool and amtool on the written files; every team's alerts must reach its receiver."""
    rules = [f for f in files if f.endswith(".rules.yml")]
    tests = [f for f in files if f.startswith(f"{ALERTS_DIR}/tests/")]
    config = f"{ALERTS_DIR}/alertmanager.yml"
    failed = 0
    with progress("running promtool and amtool"):
        runs = (
            prometheus.check_rules(root, rules),
            prometheus.test_rules(root, tests),
            prometheus.check_alertmanager_config(root, config),
        )
    for run in runs:
        typer.echo(
            f"{'ok' if run.ok else 'FAILED'}: {' '.join([Path(run.command[0]).name, *run.command[1:3]])}"
        )
        if not run.ok:
            failed += 1
            typer.echo(run.output)
    for team in teams:
        receivers = prometheus.route_receivers(root, config, {"team": team, "severity": "critical"})
        if receivers != [f"team-{team}"]:
            failed += 1
            typer.echo(f"FAILED: alerts of team {team} reach {receivers}, not team-{team}")
    typer.echo(f"{'ok' if not failed else 'FAILED'}: routes of {len(teams)} team(s)")
    return 1 if failed else 0
