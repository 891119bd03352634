"""`busctl alerts`: write alerts/ (Prometheus rules, promtool tests, Alertmanager routes)."""

from __future__ import annotations

from pathlib import Path

import typer

from busctl.adapters import prometheus
from busctl.commands.common import OutputFormat, RepoOption, TextJsonFormatOption, progress, wants_json
from busctl.commands.generated import print_outcome, reconcile
from busctl.core.receivers import chat_receiver
from busctl.planning import valid_bus
from busctl.render.alerts import ALERTS_DIR, generated_files, render_alerts, routed_teams
from busctl.render.json import as_json
from busctl.reports.alerts import alerts_report


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
    output: TextJsonFormatOption = OutputFormat.text,
) -> int:
    """Generate each team's lag alerts and their tests.

    Generate lag alerts for every declared consumer group: a Prometheus rule file per team
    (lag in messages and seconds, stuck, missing, no members, offset out of retention), a promtool
    test file for each, and an Alertmanager config routing each team's alerts to its chat room.

    Templates: the built-in ones (busctl/templates/alerts/) unless the repo's templates/ has a file
    of the same path. Metric names follow bus.yaml alerts.exporter. --format json lists every file
    with its state and rule/test count per team, and --verify's outcome per tool and route.

    Example: busctl alerts --check
    """
    as_document = wants_json(output, "alerts")
    root = repo.resolve()
    bus = valid_bus(root, "alerts/ was not written")
    wanted = render_alerts(root, bus)
    files = reconcile(root, wanted, check, owned=generated_files(root))
    in_sync = all(f.in_sync for f in files)
    verification = None
    if verify and in_sync:
        config = f"{ALERTS_DIR}/alertmanager.yml"
        with progress("running promtool and amtool"):
            verification = prometheus.verify(
                root,
                rules=[f for f in sorted(wanted) if f.endswith(".rules.yml")],
                tests=[f for f in sorted(wanted) if f.startswith(f"{ALERTS_DIR}/tests/")],
                config=config,
                receivers={team: chat_receiver(team) for team in routed_teams(bus)},
            )
    if as_document:
        report = alerts_report(files, check, bus.config.alerts.exporter, verification)
        typer.echo(as_json(report), nl=False)
    else:
        print_outcome(files, wanted, "busctl alerts")
        if verification is not None:
            _print_verification(verification)
    return 0 if in_sync and (verification is None or verification.ok) else 1


def _print_verification(verification: prometheus.Verification) -> None:
    for check in verification.checks:
        typer.echo(f"{'ok' if check.run.ok else 'FAILED'}: {check.check} {check.file}")
        if not check.run.ok:
            typer.echo(check.run.output)
    for route in verification.routes:
        if not route.ok:
            typer.echo(f"FAILED: alerts of team {route.team} reach {route.receivers}, not {route.expected}")
    ok = all(route.ok for route in verification.routes)
    typer.echo(f"{'ok' if ok else 'FAILED'}: routes of {len(verification.routes)} team(s)")
