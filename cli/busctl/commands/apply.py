"""`busctl apply`: make the cluster match the declarations, under the cluster's apply lock.

What runs is always the plan busctl makes under the lock from the current declarations and the current
cluster. An approved plan — a saved plan file, or the plan confirmed at the prompt — is only compared
with it, and refused whole at the first difference.
"""

from __future__ import annotations

import json
import re
import stat
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from busctl.adapters.kafka_lock import ApplyLock, when
from busctl.commands.common import (
    OutputFormat,
    RepoOption,
    TextJsonFormatOption,
    echo_text,
    interactive,
    progress,
    use_color,
    wants_json,
)
from busctl.commands.plan import AllowDeleteOption, ClusterOption, TimeoutOption, TopicOption
from busctl.core.diagnostics import BusctlError, printable
from busctl.core.lock import Lease
from busctl.core.plan import SYMBOLS, Plan, first_difference
from busctl.core.ports import Status
from busctl.core.topic_configs import load_catalogue
from busctl.core.units import UnitError, parse_duration_ms
from busctl.executor import ApplyReport, execute
from busctl.interrupts import graceful
from busctl.planning import Planner, planner
from busctl.render import plan as render
from busctl.render.json import as_json
from busctl.render.style import WIDTH, Tone, paint, wrap
from busctl.reports.apply import HeldLock, apply_report
from busctl.reports.plan import plan_document, plan_from_document

PlanFileArgument = Annotated[
    Path | None, typer.Argument(help="A plan saved by `busctl plan --out FILE`.", metavar="PLANFILE")
]
LockTimeoutOption = Annotated[
    str,
    typer.Option(
        "--lock-timeout",
        metavar="DURATION",
        help="How long to wait for another apply on the cluster to finish (e.g. 30s, 5m; "
        "plain numbers are seconds). Default 0: refuse at once, naming who holds the lock.",
    ),
]
MAX_PLAN_BYTES = 256 * 1024 * 1024
LABELS = {
    Status.DONE: "done",
    Status.FAILED: "failed",
    Status.UNCONFIRMED: "unconfirmed",
    Status.NOT_STARTED: "not started",
}
_TONES = {
    Status.DONE: Tone.OK,
    Status.FAILED: Tone.ERROR,
    Status.UNCONFIRMED: Tone.WARNING,
    Status.NOT_STARTED: Tone.NOTE,
}


def command(
    cluster: ClusterOption,
    plan_file: PlanFileArgument = None,
    repo: RepoOption = Path("."),
    auto_approve: bool = typer.Option(False, "--auto-approve", help="Do not ask for confirmation."),
    topic: TopicOption = None,
    allow_delete: AllowDeleteOption = False,
    timeout: TimeoutOption = 30.0,
    lock_timeout: LockTimeoutOption = "0",
    output: TextJsonFormatOption = OutputFormat.text,
) -> int:
    """Apply the plan to a cluster, under its apply lock.

    Preflight (validate-only), then batches.

    Asks for confirmation unless --auto-approve. With PLANFILE, applies only if the plan busctl makes
    now is exactly that plan. Ctrl-C, SIGTERM or SIGHUP stops after the batch in flight and reports
    every change.

    Example: busctl apply --cluster prod plan.json --lock-timeout 5m
    """
    as_document = wants_json(output, "apply")
    if as_document and not auto_approve and plan_file is None:
        raise typer.BadParameter(
            "--format json cannot ask for confirmation: pass --auto-approve, or the PLANFILE you approved",
            param_hint="'--format'",
        )
    wait = _seconds(lock_timeout)
    approved: dict[str, Any] | None = None
    if plan_file is not None:
        approved = _read_plan_file(plan_file, cluster)
        topic = _same_options(approved["options"], plan_file, topic, allow_delete)
    making = planner(repo, cluster, topic_filter=topic, allow_delete=allow_delete, timeout=timeout)
    source = str(plan_file) if plan_file is not None else "the confirmed plan"
    if not auto_approve and not as_document:  # with --format json, PLANFILE is the approval
        if not sys.stdin.isatty():
            raise BusctlError(
                "refusing to apply without confirmation: no terminal to ask on",
                "review the plan, then re-run with --auto-approve (CI) or from a terminal",
            )
        with progress(f"reading cluster {cluster}"):
            shown = making.plan()
        if approved is not None:
            _refuse_if_different(approved, shown, str(plan_file))
        _show(shown)
        if not shown.has_changes:
            return 1 if shown.blocked else 0
        question = f"\nApply {len(shown.actionable)} change(s) to cluster {cluster}?"
        if not typer.confirm(question, default=False):
            typer.echo("Nothing applied.")
            return 1
        approved = plan_document(shown)
    lock = ApplyLock(making.admin)
    try:
        with progress(f"taking the apply lock of cluster {cluster}"):
            held = lock.acquire(wait, on_wait=lambda lease: _waiting(cluster, lease))
        show = auto_approve and not as_document  # else shown at the prompt, or not text at all
        plan, report, code = _apply_locked(making, lock, approved, source, show, text=not as_document)
    finally:
        problem = lock.release()
        if problem is not None:
            typer.echo(f"warning: {problem}", err=True)
    if as_document:  # after the release, which it reports
        lease = HeldLock(held.holder, held.since_ms, problem)
        typer.echo(as_json(apply_report(plan, report, _name(plan_file), lease)), nl=False)
    return code


def _apply_locked(
    making: Planner, lock: ApplyLock, approved: dict[str, Any] | None, source: str, show: bool, text: bool
) -> tuple[Plan, ApplyReport, int]:
    """Plan again under the lock (shown if `show`), check it against the approved plan, execute it
    (told as text when `text`); the plan, the executor's report (empty if nothing was to be done) and
    the exit code."""
    with progress(f"reading cluster {making.options.cluster}"):
        plan = making.plan()
    if approved is not None:
        _refuse_if_different(approved, plan, source)
    if show:
        _show(plan)
    if not plan.has_changes:
        return plan, ApplyReport(), 1 if plan.blocked else 0
    if text:
        typer.echo("")
    with graceful() as interrupt:
        report = execute(
            plan,
            making.admin,
            progress=_progress if interactive() else None,
            stop=lambda: interrupt.reason() or lock.lost(),
        )
    if text:
        echo_text(summary(report, plan, use_color()))
    if interrupt.signal is not None:
        return plan, report, interrupt.exit_code
    return plan, report, 0 if report.ok and not plan.blocked else 1


def _name(plan_file: Path | None) -> str | None:
    return None if plan_file is None else str(plan_file)


def _read_plan_file(plan_file: Path, cluster: str) -> dict[str, Any]:
    """The plan document as saved, checked to be one (its changes are never executed, only compared)."""
    try:
        status = plan_file.stat()
        if not stat.S_ISREG(status.st_mode):  # a pipe or device would block the read
            raise ValueError("not a regular file")
        if status.st_size > MAX_PLAN_BYTES:
            raise ValueError(
                f"{status.st_size} bytes, more than a plan of any real cluster ({MAX_PLAN_BYTES})"
            )
        document: dict[str, Any] = json.loads(plan_file.read_text("utf-8"))
        plan = plan_from_document(document)  # refuses anything but a dict of a plan's shape
    except (OSError, ValueError, RecursionError) as err:
        raise BusctlError(
            f"{plan_file} is not a busctl plan file: {err}",
            "create one with `busctl plan --cluster NAME --out FILE`",
        ) from None
    if plan.cluster != cluster:
        raise BusctlError(f"{plan_file} was planned for cluster {plan.cluster}, not {cluster}")
    return document


def _same_options(
    options: dict[str, Any], plan_file: Path, topic: str | None, allow_delete: bool
) -> str | None:
    """The --topic glob of the saved plan (narrowing needs no repeating); --allow-delete must be given
    here too: a plan file never widens what apply may do on its own."""
    if options["allow_delete"] and not allow_delete:
        raise BusctlError(
            f"{plan_file} was made with --allow-delete; nothing was applied",
            "pass --allow-delete to apply it, or make a plan without it",
        )
    if topic is not None and topic != options["topic_filter"]:
        raise BusctlError(
            f"{plan_file} was made for --topic {options['topic_filter'] or '(all topics)'}, not {topic}",
            "apply it without --topic, or make a plan with the same --topic",
        )
    return options["topic_filter"] if isinstance(options["topic_filter"], str) else None


def _refuse_if_different(approved: dict[str, Any], plan: Plan, source: str) -> None:
    difference = first_difference(approved, plan_document(plan))
    if difference is not None:
        raise BusctlError(
            f"refusing to apply {source}: it is not what busctl plans now: {difference}; nothing was applied",
            "run busctl plan again (--out FILE), review it, and apply that",
        )


def _seconds(value: str) -> float:
    text = value.strip()
    try:
        if re.fullmatch(r"[0-9]+(\.[0-9]+)?", text):
            return float(text)
        if text.startswith("-"):
            raise UnitError(f'"{value}" is negative: use 0 to refuse at once, or a duration such as 5m')
        return parse_duration_ms(text) / 1000
    except UnitError as err:
        raise typer.BadParameter(str(err), param_hint="--lock-timeout") from None


def _waiting(cluster: str, lease: Lease) -> None:
    waiting = (
        f"waiting for the apply lock of cluster {cluster}: held by {printable(lease.holder)} "
        f"since {when(lease.since_ms)}"
    )
    typer.echo("\n".join(wrap(waiting, hang="  ")) if interactive() else waiting, err=True)


def _show(plan: Plan) -> None:
    echo_text(render.as_text(plan, load_catalogue(), color=use_color()))


def _progress(what: str, done: int, total: int) -> None:
    typer.echo(f"  {what}: {done}/{total}", err=True)


def summary(report: ApplyReport, plan: Plan, color: bool = False) -> str:
    """Every change with its outcome, then the counts and what to do next; every line within WIDTH."""
    lines = []
    for outcome in report.outcomes:
        change = outcome.change
        target = change.acl.describe() if change.acl else change.topic
        label = paint(f"{LABELS[outcome.status]:<12}", _TONES[outcome.status], color)
        head = f"{SYMBOLS[change.action]} {change.action.value} {target}"
        if len(head) + len(outcome.error) + 14 <= WIDTH:  # `label head: error` on one line
            head += f": {outcome.error}" if outcome.error else ""
            lines.append(label + head)
        else:  # the target stays on the first line, the error wraps below it
            first, *rest = wrap(head, hang="  ", width=WIDTH - 12)
            lines += [label + first, *(" " * 12 + line for line in rest)]
            lines += wrap(outcome.error, indent=" " * 14) if outcome.error else []
    counts = {status: report.count(status) for status in Status}
    total = len(report.outcomes)
    if report.preflight_only and not report.stopped:
        failed = counts[Status.FAILED]
        ending = [f"preflight failed for {failed} of {total} change(s); nothing was applied."]
    elif report.ok:
        ending = [f"applied {counts[Status.DONE]} change(s)."]
    else:
        ending = [
            f"applied {counts[Status.DONE]} of {total} change(s): {counts[Status.FAILED]} failed, "
            f"{counts[Status.UNCONFIRMED]} sent but not confirmed, {counts[Status.NOT_STARTED]} not started.",
            *([f"stopped: {report.stopped}"] if report.stopped else []),
            "Run `busctl plan` to see what is left.",
        ]
    if plan.blocked:
        ending.append(f"{len(plan.blocked)} blocked change(s) were not applied (see the plan above).")
    lines.append("")
    tone = Tone.OK if report.ok else Tone.ERROR
    for index, text in enumerate(ending):
        lines += [paint(line, tone, color and index == 0) for line in wrap(text, hang="  ")]
    return "\n".join(lines) + "\n"
