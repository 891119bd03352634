"""`busctl comment`: the one pull-request comment, from the reports the workflow saved."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal, TypeVar

import typer

from busctl import __version__
from busctl.adapters import github
from busctl.core.diagnostics import BusctlError
from busctl.core.plan import FleetPlan, Plan, Skipped, Unread
from busctl.core.topic_configs import load_catalogue
from busctl.render.comment import MARKER, CommentInputs, render_comment
from busctl.reports import validated
from busctl.reports.check import CheckReport
from busctl.reports.fleet import fleet_from_document, is_fleet_document
from busctl.reports.lint import LintReport
from busctl.reports.plan import is_skipped_document, plan_from_document, skipped_from_document
from busctl.reports.registry import REPORTS

Step = Literal["lint", "check", "plan"]
R = TypeVar("R")


def command(
    lint: Annotated[
        Path | None, typer.Option("--lint", metavar="FILE", help="`busctl lint --format json` output.")
    ] = None,
    check: Annotated[
        Path | None, typer.Option("--check", metavar="FILE", help="`busctl check --format json` output.")
    ] = None,
    plans: Annotated[
        list[Path] | None,
        typer.Option(
            "--plan",
            metavar="FILE",
            help="A plan (or fleet plan) saved with `busctl plan --out`; repeatable.",
        ),
    ] = None,
    post: bool = typer.Option(
        False,
        "--post",
        help="Create or update the comment on the pull request (GITHUB_TOKEN, GITHUB_REPOSITORY, and "
        "GITHUB_EVENT_PATH or --pr) instead of printing it.",
    ),
    pr: int | None = typer.Option(
        None, "--pr", metavar="NUMBER", help="Pull request number (default: from the event)."
    ),
) -> int:
    """Render or post the pull-request comment.

    Render the pull-request comment: lint, check and plan results, and the owners and chat rooms to
    notify. A report whose file is missing or empty (its step failed) is shown as "no result". With
    --post, one comment per pull request is created and then updated on every push.

    Example: busctl comment --lint lint.json --check check.json --post
    """
    if lint is None and check is None and not plans:
        raise typer.BadParameter(
            "pass the reports to render: --lint FILE, --check FILE and/or --plan FILE "
            "(saved with `busctl lint --out`, `busctl check --out`, `busctl plan --out`)",
            param_hint="--lint/--check/--plan",
        )
    missing: list[str] = []
    lint_report = _read(lint, "lint", _lint, missing)
    check_report = _read(check, "check", _check, missing)
    plan_docs: dict[str, Plan | Unread | Skipped | None] = {}
    for path in plans or []:
        fleet = _read(path, "plan", _plans, missing)
        if fleet is None:
            plan_docs[path.name] = None
            continue
        if isinstance(fleet, Skipped):
            plan_docs |= dict.fromkeys(fleet.clusters, fleet)
            continue
        plan_docs |= {part.cluster: part for part in fleet.parts}
    inputs = CommentInputs(lint_report, check_report, plan_docs, __version__, tuple(missing))
    body = render_comment(inputs, load_catalogue())
    if not post:
        typer.echo(body, nl=False)
        return 0
    how, url = github.upsert_comment(github.pull_request_from_env(os.environ, pr), body, MARKER)
    typer.echo(f"{how} the pull-request comment: {url}")
    return 0


def _read(path: Path | None, step: Step, read: Callable[[object], R], missing: list[str]) -> R | None:
    """The report at `path`, as `read` makes it; None (and `step` noted as missing) if its step left
    none behind. A file that is not such a report is an error naming it and what is wrong."""
    if path is None:
        return None
    hint = (
        f"save it with `busctl plan --cluster NAME --out {path}`"
        if step == "plan"
        else f"write it with `busctl {step} --out {path}` (or --format json > {path})"
    )
    try:
        text = path.read_text("utf-8") if path.is_file() else ""
    except (OSError, UnicodeDecodeError) as err:
        raise BusctlError(f"{path} cannot be read as a JSON report: {err}", hint) from None
    if not text.strip():
        missing.append(step)
        return None
    try:
        data = json.loads(text)
    except ValueError as err:
        raise BusctlError(f"{path} is not a JSON report: {err}", hint) from None
    try:
        return read(data)
    except ValueError as wrong:
        kind = report_kind(data)
        if kind is not None:
            raise BusctlError(
                f"{path} is a busctl {kind} report, not a {step} report (given as --{step})", hint
            ) from None
        what = "plan file" if step == "plan" else f"{step} report"
        raise BusctlError(f"{path} is not a busctl {what}: {wrong}", hint) from None


def _plans(data: object) -> FleetPlan | Skipped:
    """A saved plan file, one cluster's or a fleet's, as a fleet; or the record of a skipped plan."""
    if is_skipped_document(data):
        return skipped_from_document(data)
    return fleet_from_document(data) if is_fleet_document(data) else FleetPlan([plan_from_document(data)])


def _lint(data: object) -> LintReport:
    return validated(LintReport, data)


def _check(data: object) -> CheckReport:
    return validated(CheckReport, data)


def report_kind(data: object) -> str | None:
    """Which busctl report `data` is ("lint", "apply", ...), judged by the registry's models; None if
    none."""
    for kind, (model, _) in REPORTS.items():
        try:
            validated(model, data)
        except ValueError:
            continue
        return kind.removesuffix("-report")
    return None
