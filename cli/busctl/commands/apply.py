"""`busctl apply`: make the cluster match the declarations (or execute a saved plan)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from busctl.commands.common import RepoOption, interactive, progress, use_color
from busctl.commands.plan import AllowDeleteOption, ClusterOption, TimeoutOption, TopicOption
from busctl.core.diagnostics import BusctlError
from busctl.core.plan import SYMBOLS, Plan, plan_from_dict
from busctl.core.topic_configs import load_catalogue
from busctl.executor import ApplyReport, execute
from busctl.planning import Planned, connect, make_plan, valid_bus
from busctl.render import plan as render

PlanFileArgument = Annotated[Path | None, typer.Argument(help="A plan saved by `busctl plan --out FILE`.")]


def command(
    cluster: ClusterOption,
    plan_file: PlanFileArgument = None,
    repo: RepoOption = Path("."),
    auto_approve: bool = typer.Option(False, "--auto-approve", help="Do not ask for confirmation."),
    topic: TopicOption = None,
    allow_delete: AllowDeleteOption = False,
    timeout: TimeoutOption = 30.0,
) -> int:
    """Apply the plan: validated by the broker first (validate-only), then executed in batches.
    Asks for confirmation unless --auto-approve; refuses a saved plan if the cluster changed since."""
    catalogue = load_catalogue()
    with progress(f"reading cluster {cluster}"):
        if plan_file is not None:
            planned = _saved_plan(repo, cluster, plan_file, timeout)
        else:
            planned = make_plan(repo, cluster, topic_filter=topic, allow_delete=allow_delete, timeout=timeout)
    plan = planned.plan
    typer.echo(render.as_text(plan, catalogue, color=use_color()), nl=False)
    if not plan.has_changes:
        return 1 if plan.blocked else 0
    if not auto_approve:
        if not sys.stdin.isatty():
            raise BusctlError(
                "refusing to apply without confirmation: no terminal to ask on",
                "review the plan, then re-run with --auto-approve (CI) or from a terminal",
            )
        if not typer.confirm(
            f"\nApply {len(plan.actionable)} change(s) to cluster {cluster}?", default=False
        ):
            typer.echo("Nothing applied.")
            return 1
    typer.echo("")
    report = execute(plan, planned.admin, progress=_progress if interactive() else None)
    typer.echo(_summary(report, plan), nl=False)
    return 0 if report.ok and not plan.blocked else 1


def _saved_plan(repo: Path, cluster: str, plan_file: Path, timeout: float) -> Planned:
    try:
        plan = plan_from_dict(json.loads(plan_file.read_text("utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise BusctlError(
            f"{plan_file} is not a busctl plan file: {err}",
            "create one with `busctl plan --cluster NAME --out FILE`",
        ) from None
    if plan.cluster != cluster:
        raise BusctlError(f"{plan_file} was planned for cluster {plan.cluster}, not {cluster}")
    bus = valid_bus(repo)
    admin = connect(bus, cluster, timeout)
    state = admin.read_state()
    if state.cluster_id != plan.cluster_id:
        raise BusctlError(
            f"{plan_file} was made for cluster id {plan.cluster_id}, but {cluster} is now {state.cluster_id}",
            "re-run busctl plan",
        )
    if state.fingerprint(plan.topic_filter) != plan.fingerprint:
        raise BusctlError(
            f"the cluster changed since {plan_file} was made; nothing was applied",
            "re-run busctl plan --out FILE, review it, and apply the new plan",
        )
    return Planned(admin=admin, plan=plan)


def _progress(what: str, done: int, total: int) -> None:
    typer.echo(f"  {what}: {done}/{total}", err=True)


def _summary(report: ApplyReport, plan: Plan) -> str:
    lines = []
    for outcome in report.outcomes:
        change = outcome.change
        target = change.acl.describe() if change.acl else change.topic
        line = f"{outcome.status:<8}{SYMBOLS[change.action]} {change.action.value} {target}"
        lines.append(line + (f": {outcome.error}" if outcome.error else ""))
    done, failed, skipped = report.count("done"), report.count("failed"), report.count("skipped")
    total = len(report.outcomes)
    if report.preflight_only:
        lines.append(f"\npreflight failed for {failed} of {total} change(s); nothing was applied.")
    elif failed or skipped:
        lines.append(
            f"\napplied {done} of {total} change(s); {failed} failed, {skipped} not attempted. "
            "Run `busctl plan` to see what is left."
        )
    else:
        lines.append(f"\napplied {done} change(s).")
    if plan.blocked:
        lines.append(f"{len(plan.blocked)} blocked change(s) were not applied (see the plan above).")
    return "\n".join(lines) + "\n"
