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
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from busctl.adapters.cache import open_cache
from busctl.adapters.kafka_lock import ApplyLock, when
from busctl.commands.common import (
    CacheDirOption,
    NoCacheOption,
    OutputFormat,
    RepoOption,
    ReportOutOption,
    TextJsonFormatOption,
    echo_text,
    interactive,
    progress,
    use_color,
    wants_json,
    write_file,
)
from busctl.commands.plan import (
    AllClustersOption,
    AllowDeleteOption,
    ClustersOption,
    TimeoutOption,
    TopicOption,
    is_fleet,
    require_clusters,
)
from busctl.core.diagnostics import BusctlError, printable
from busctl.core.lock import Lease
from busctl.core.plan import SYMBOLS, Plan, Skipped, first_difference
from busctl.core.ports import Status
from busctl.core.topic_configs import load_catalogue
from busctl.core.units import UnitError, parse_duration_ms
from busctl.executor import ApplyReport, execute
from busctl.interrupts import exit_code_of, graceful
from busctl.planning import Planner, plan_fleet, planners
from busctl.render import fleet as fleet_render
from busctl.render import plan as render
from busctl.render.json import as_json
from busctl.render.style import WIDTH, Tone, error_text, paint, wrap
from busctl.reports.apply import HeldLock, apply_report
from busctl.reports.fleet import (
    ClusterApplied,
    fleet_apply_report,
    fleet_from_document,
    is_fleet_document,
    part_documents,
)
from busctl.reports.plan import is_skipped_document, plan_document, plan_from_document

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
    clusters: ClustersOption = None,
    plan_file: PlanFileArgument = None,
    all_clusters: AllClustersOption = False,
    repo: RepoOption = Path("."),
    auto_approve: bool = typer.Option(False, "--auto-approve", help="Do not ask for confirmation."),
    topic: TopicOption = None,
    allow_delete: AllowDeleteOption = False,
    timeout: TimeoutOption = 30.0,
    lock_timeout: LockTimeoutOption = "0",
    output: TextJsonFormatOption = OutputFormat.text,
    out: ReportOutOption = None,
    no_cache: NoCacheOption = False,
    cache_dir: CacheDirOption = None,
) -> int:
    """Apply the plan to clusters, each under its own lock.

    Preflight (validate-only), then batches; several clusters one after the other, in bus.yaml order.
    A cluster's schema registry subjects come after its topics: levels, then schemas, imports first.

    Asks for confirmation unless --auto-approve. With PLANFILE, applies only if the plan busctl makes
    now is exactly that plan (a fleet plan: each cluster's part, on its own). Ctrl-C, SIGTERM or SIGHUP
    stops after the batch in flight and reports every change (--out saves that report too).

    Example: busctl apply --cluster prod plan.json --lock-timeout 5m
    """
    as_document = wants_json(output, "apply")
    if out is not None and not out.parent.is_dir():  # found before anything is applied, not after
        raise typer.BadParameter(f"{out.parent} is not a directory", param_hint="'--out'")
    if as_document and not auto_approve and plan_file is None:
        raise typer.BadParameter(
            "--format json cannot ask for confirmation: pass --auto-approve, or the PLANFILE you approved",
            param_hint="'--format'",
        )
    wait = _seconds(lock_timeout)
    selectors = list(clusters or [])
    if plan_file is None:
        require_clusters(selectors, all_clusters)
        fleet = is_fleet(selectors, all_clusters)
        approved_parts: dict[str, dict[str, Any]] | None = None
        unread: list[str] = []
    else:
        document = _read_plan_file(plan_file)
        fleet = is_fleet_document(document)
        approved_parts = part_documents(document) if fleet else {document["cluster"]: document}
        unread = [u["cluster"] for u in document.get("unread", [])]
        options = next(
            iter(approved_parts.values()), {"options": {"topic_filter": None, "allow_delete": False}}
        )
        topic = _same_options(options["options"], plan_file, topic, allow_delete)
    making = planners(
        repo,
        selectors or [*(approved_parts or {}), *unread],
        every=all_clusters,
        topic_filter=topic,
        allow_delete=allow_delete,
        timeout=timeout,
        untouched="nothing was applied",
        cache=open_cache(repo.resolve(), cache_dir, enabled=not no_cache),
    )
    if approved_parts is not None:
        _in_plan_file(making, approved_parts, unread, plan_file)
    run = Run(auto_approve, as_document, wait, plan_file, out)
    if not fleet:
        approved = approved_parts[making[0].options.cluster] if approved_parts else None
        return _apply_one(making[0], approved, run)
    return _apply_fleet(making, approved_parts, unread, run)


@dataclass(frozen=True)
class Run:
    """How this apply runs: confirmation, output, lock wait, the approved plan file and where the
    JSON report is also saved."""

    auto_approve: bool
    as_document: bool
    wait: float
    plan_file: Path | None
    out: Path | None

    def emit(self, document: str) -> None:
        """The JSON report: printed with --format json, saved with --out."""
        if self.as_document:
            typer.echo(document, nl=False)
        if self.out is not None:
            write_file(self.out, document)

    @property
    def source(self) -> str:
        return str(self.plan_file) if self.plan_file is not None else "the confirmed plan"


def _in_plan_file(
    making: list[Planner], parts: dict[str, dict[str, Any]], unread: list[str], plan_file: Path | None
) -> None:
    """Every cluster chosen must have a part in the plan file (a narrower choice applies those parts)."""
    held = [*parts, *unread]
    for planner_ in making:
        cluster = planner_.options.cluster
        if cluster not in held:
            raise BusctlError(
                f"{plan_file} was planned for cluster{'s' * (len(held) != 1)} {', '.join(held)}, not "
                f"{cluster}; nothing was applied",
                "apply it without --cluster (or with one of those), or make a plan for that cluster",
            )


def _apply_one(making: Planner, approved: dict[str, Any] | None, run: Run) -> int:
    """Apply to one cluster: confirm (unless approved), lock, plan again, compare, execute, report."""
    cluster = making.options.cluster
    if not run.auto_approve and not run.as_document:  # with --format json, PLANFILE is the approval
        _need_terminal()
        with progress(f"reading cluster {cluster}"):
            shown = making.plan()
        if approved is not None:
            _refuse_if_different(approved, shown, run.source)
        _show(shown)
        if not shown.has_changes:
            return 1 if shown.blocked or shown.not_planned else 0
        question = f"\nApply {len(shown.actionable)} change(s) to cluster {cluster}?"
        if not typer.confirm(question, default=False):
            typer.echo("Nothing applied.")
            return 1
        approved = plan_document(shown)
    plan, report, code, lease = _locked(making, approved, run, show=run.auto_approve and not run.as_document)
    run.emit(as_json(apply_report(plan, report, _name(run.plan_file), lease)))  # after the release
    return code


def _locked(
    making: Planner, approved: dict[str, Any] | None, run: Run, show: bool
) -> tuple[Plan, ApplyReport, int, HeldLock]:
    """Take the cluster's apply lock, apply under it (`_apply_locked`), release it: the plan, the
    report, the exit code and how the lock was held."""
    cluster = making.options.cluster
    lock = ApplyLock(making.admin)
    try:
        with progress(f"taking the apply lock of cluster {cluster}"):
            held = lock.acquire(run.wait, on_wait=lambda lease: _waiting(cluster, lease))
        plan, report, code = _apply_locked(making, lock, approved, run.source, show, text=not run.as_document)
    finally:
        problem = lock.release()
        if problem is not None:
            typer.echo(f"warning: {problem}", err=True)
    return plan, report, code, HeldLock(held.holder, held.since_ms, problem)


def _need_terminal() -> None:
    if not sys.stdin.isatty():
        raise BusctlError(
            "refusing to apply without confirmation: no terminal to ask on",
            "review the plan, then re-run with --auto-approve (CI) or from a terminal",
        )


def _apply_fleet(
    making: list[Planner], approved: dict[str, dict[str, Any]] | None, unread: list[str], run: Run
) -> int:
    """Apply to each cluster in turn, each part on its own (a failure on one does not stop the next;
    an interrupt stops before the next); then what happened on every cluster."""
    refused: list[ClusterApplied] = []  # parts of the plan file that differ from what busctl plans now
    if not run.auto_approve and not run.as_document:
        _need_terminal()
        with progress(f"reading clusters {', '.join(p.options.cluster for p in making)}"):
            shown = plan_fleet(making)
        for shown_plan in shown.plans:
            if approved is not None and shown_plan.cluster in approved:
                try:
                    _refuse_if_different(approved[shown_plan.cluster], shown_plan, run.source)
                except BusctlError as err:  # that part only, as with --auto-approve
                    refused.append(
                        ClusterApplied(
                            cluster=shown_plan.cluster, status="failed", error=err.message, hint=err.hint
                        )
                    )
        shown.plans = [p for p in shown.plans if p.cluster not in {r.cluster for r in refused}]
        echo_text(fleet_render.as_text(shown, load_catalogue(), color=use_color()))
        for result in refused:
            echo_text(
                error_text(BusctlError(f"cluster {result.cluster}: {result.error}", result.hint or ""), True)
            )
        changing = [p for p in shown.plans if p.has_changes]
        if shown.unread:
            unread_names = ", ".join(u.cluster for u in shown.unread)
            raise BusctlError(
                f"cluster(s) {unread_names} could not be read; nothing was applied",
                "fix the connection (see above), or apply to the others with --cluster",
            )
        if not changing:
            return 1 if refused or any(p.blocked or p.not_planned for p in shown.plans) else 0
        total = sum(len(p.actionable) for p in changing)
        names = ", ".join(p.cluster for p in changing)
        if not typer.confirm(f"\nApply {total} change(s) to clusters {names}?", default=False):
            typer.echo("Nothing applied.")
            return 1
        approved = {p.cluster: plan_document(p) for p in shown.plans}
    chosen = [p.options.cluster for p in making]
    results = refused + [
        ClusterApplied(cluster=c, status="not-read", error="it could not be read when it was planned")
        for c in unread
        if c in chosen
    ]
    interrupted: KeyboardInterrupt | None = None
    for index, planner_ in enumerate(making):
        cluster = planner_.options.cluster
        if approved is not None and cluster not in approved:  # unread when planned: nothing approved
            continue
        if not run.as_document:
            typer.echo(("\n" if index else "") + fleet_render.section(cluster, use_color()))
        try:
            approved_part = approved.get(cluster) if approved is not None else None
            plan, report, code, lease = _locked(
                planner_, approved_part, run, show=run.auto_approve and not run.as_document
            )
        except BusctlError as err:
            results.append(ClusterApplied(cluster=cluster, status="failed", error=err.message, hint=err.hint))
            if not run.as_document:
                echo_text(error_text(err, wrapped=True))
            continue
        except KeyboardInterrupt as stop:
            code = exit_code_of(stop)
            results.append(
                ClusterApplied(
                    cluster=cluster,
                    status="interrupted",
                    error="interrupted before it sent any change",
                    exit_code=code,
                )
            )
            interrupted = stop
            break
        results.append(
            ClusterApplied.of(cluster, code, apply_report(plan, report, _name(run.plan_file), lease))
        )
        if code > 1:  # a signal: stop after this cluster
            break
    done = {r.cluster for r in results}
    results += [
        ClusterApplied(cluster=p.options.cluster, status="not-started", error="apply stopped before it")
        for p in making
        if p.options.cluster not in done
    ]
    results.sort(key=lambda r: chosen.index(r.cluster))
    if not run.as_document:
        echo_text(fleet_summary(results, use_color()))
    run.emit(as_json(fleet_apply_report(results, _name(run.plan_file))))
    if interrupted is not None:
        raise interrupted
    codes = [r.exit_code for r in results]
    return max(codes) if any(c > 1 for c in codes) else (1 if any(codes) else 0)


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
        return plan, ApplyReport(), 1 if plan.blocked or plan.not_planned else 0
    if text:
        typer.echo("")
    with graceful() as interrupt:
        report = execute(
            plan,
            making.admin,
            progress=_progress if interactive() else None,
            stop=lambda: interrupt.reason() or lock.lost(),
            subjects=making.subject_writer,
            connectors=making.connector_writer,
        )
    if text:
        echo_text(summary(report, plan, use_color()))
    if interrupt.signal is not None:
        return plan, report, interrupt.exit_code
    return plan, report, 0 if report.ok and not plan.blocked and not plan.not_planned else 1


def _name(plan_file: Path | None) -> str | None:
    return None if plan_file is None else str(plan_file)


def _read_plan_file(plan_file: Path) -> dict[str, Any]:
    """The plan document as saved (one cluster's, or a fleet's), checked to be one (its changes are
    never executed, only compared)."""
    try:
        status = plan_file.stat()
        if not stat.S_ISREG(status.st_mode):  # a pipe or device would block the read
            raise ValueError("not a regular file")
        if status.st_size > MAX_PLAN_BYTES:
            raise ValueError(
                f"{status.st_size} bytes, more than a plan of any real cluster ({MAX_PLAN_BYTES})"
            )
        document: dict[str, Any] = json.loads(plan_file.read_text("utf-8"))
        if is_skipped_document(document):
            raise ValueError(f"it records a skipped plan, {Skipped.reason}: there is nothing to apply")
        # refuses anything but a dict of a plan's (or a fleet plan's) shape
        fleet_from_document(document) if is_fleet_document(document) else plan_from_document(document)
    except (OSError, ValueError, RecursionError) as err:
        raise BusctlError(
            f"{plan_file} is not a busctl plan file: {err}",
            "create one with `busctl plan --cluster NAME --out FILE`",
        ) from None
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


def fleet_summary(results: list[ClusterApplied], color: bool = False) -> str:
    """One line per cluster (what happened there), then which succeeded; every line within WIDTH."""
    count = f"{len(results)} cluster{'s' * (len(results) != 1)}"
    lines = ["", paint(f"fleet apply · {count}", Tone.HEADER, color)]
    column = min(max((len(r.cluster) for r in results), default=0), 24)
    for result in results:
        tone = Tone.OK if result.succeeded else Tone.ERROR
        what = result.status + (f": {result.error}" if result.error else "")
        counted = result.apply.summary if result.apply is not None else None
        if counted is not None and (counted.blocked or counted.not_planned):
            held = [f"{counted.blocked} blocked"] * bool(counted.blocked)
            held += [f"{counted.not_planned} not planned: lint errors"] * bool(counted.not_planned)
            what += f" ({', '.join(held)})"
        first, *rest = wrap(f"  {result.cluster:<{column}}  {what}", hang=" " * (column + 4))
        lines += [paint(first, tone, color), *rest]
    ok = [r.cluster for r in results if r.succeeded]
    failed = [r.cluster for r in results if not r.succeeded]
    ending = f"succeeded: {', '.join(ok) or 'none'}; not completed: {', '.join(failed) or 'none'}"
    lines += ["", *wrap(ending, hang="  ")]
    return "\n".join(lines) + "\n"


def summary(report: ApplyReport, plan: Plan, color: bool = False) -> str:
    """Every change with its outcome, then the counts and what to do next; every line within WIDTH."""
    lines = []
    for outcome in report.outcomes:
        change = outcome.change
        target = change.target
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
    if plan.not_planned:
        ending.append(f"{len(plan.not_planned)} topic(s) were not planned: their files have lint errors.")
    lines.append("")
    tone = Tone.OK if report.ok else Tone.ERROR
    for index, text in enumerate(ending):
        lines += [paint(line, tone, color and index == 0) for line in wrap(text, hang="  ")]
    return "\n".join(lines) + "\n"
