"""`busctl alerts`: write alerts/ (Prometheus rules, promtool tests, Alertmanager routes)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer

from busctl.adapters import prometheus
from busctl.commands.common import OutputFormat, RepoOption, TextJsonFormatOption, progress, wants_json
from busctl.commands.generated import print_outcome, reconcile
from busctl.core.receivers import route_expectations
from busctl.planning import valid_bus
from busctl.render.alerts import ALERTS_DIR, generated_files, render_alerts, routed_teams
from busctl.render.json import as_json
from busctl.render.style import wrap
from busctl.reports.alerts import alerts_report


def command(
    repo: RepoOption = Path("."),
    check: bool = typer.Option(
        False, "--check", help="Do not write; exit 1 if alerts/ is missing, stale or has obsolete files."
    ),
    verify: bool = typer.Option(
        False,
        "--verify",
        help="Then run promtool check/test rules and amtool check-config, test each team's routes "
        "and prove every receiver they reach delivers somewhere (needs Debian's prometheus and "
        "prometheus-alertmanager).",
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
                routes=route_expectations({team: bus.teams[team] for team in routed_teams(bus)}),
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
            _echo_wrapped(
                f"FAILED: {route.severity} alerts of team {route.team} reach "
                f"{', '.join(route.receivers) or 'no receiver'}, not {', '.join(route.expected)}"
            )
    teams = {route.team for route in verification.routes}
    ok = all(route.ok for route in verification.routes)
    typer.echo(f"{'ok' if ok else 'FAILED'}: routes of {len(teams)} team(s)")
    for receiver in verification.receivers:
        if not receiver.ok:
            _echo_wrapped(
                f"FAILED: receiver {receiver.receiver} (alerts of team {', '.join(receiver.teams)}) "
                "delivers nowhere: it has no webhook url, Slack channel with an API URL, or PagerDuty key"
            )
    delivering = [receiver for receiver in verification.receivers if receiver.ok]
    kinds = Counter(target.split()[0] for receiver in delivering for target in receiver.targets)
    typer.echo(
        f"{'ok' if len(delivering) == len(verification.receivers) else 'FAILED'}: "
        f"{len(delivering)} of {len(verification.receivers)} receiver(s) deliver"
        + (f" ({', '.join(f'{kind} {count}' for kind, count in sorted(kinds.items()))})" if kinds else "")
    )


def _echo_wrapped(text: str) -> None:
    typer.echo("\n".join(wrap(text, hang="    ")))
