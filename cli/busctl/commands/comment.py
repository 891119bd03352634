"""`busctl comment`: the one pull-request comment, from the reports the workflow saved."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from busctl import __version__
from busctl.adapters import github
from busctl.core.diagnostics import BusctlError
from busctl.core.plan import Plan
from busctl.core.topic_configs import load_catalogue
from busctl.render.comment import MARKER, CommentInputs, render_comment
from busctl.reports.plan import plan_from_document


def command(
    lint: Annotated[
        Path | None, typer.Option("--lint", metavar="FILE", help="`busctl lint --format json` output.")
    ] = None,
    check: Annotated[
        Path | None, typer.Option("--check", metavar="FILE", help="`busctl check --format json` output.")
    ] = None,
    plans: Annotated[
        list[Path] | None,
        typer.Option("--plan", metavar="FILE", help="A plan saved with `busctl plan --out` (repeatable)."),
    ] = None,
    post: bool = typer.Option(
        False,
        "--post",
        help="Create or update the comment on the pull request (GITHUB_TOKEN, GITHUB_REPOSITORY, and "
        "GITHUB_EVENT_PATH or --pr) instead of printing it.",
    ),
    pr: int | None = typer.Option(None, "--pr", help="Pull request number (default: from the event)."),
) -> int:
    """Render the pull-request comment: lint, check and plan results, and the owners and chat rooms to
    notify. A report whose file is missing or empty (its step failed) is shown as "no result". With
    --post, one comment per pull request is created and then updated on every push."""
    if lint is None and check is None and not plans:
        raise typer.BadParameter(
            "pass the reports to render: --lint FILE, --check FILE and/or --plan FILE "
            "(saved with `busctl lint --out`, `busctl check --out`, `busctl plan --out`)",
            param_hint="--lint/--check/--plan",
        )
    missing: list[str] = []
    lint_doc, check_doc = _document(lint, "lint", missing), _document(check, "check", missing)
    plan_docs: dict[str, Plan | None] = {}
    for path in plans or []:
        document = _document(path, "plan", missing)
        plan = _plan(path, document) if document is not None else None
        plan_docs[plan.cluster if plan is not None else path.name] = plan
    inputs = CommentInputs(lint_doc, check_doc, plan_docs, __version__, tuple(missing))
    body = render_comment(inputs, load_catalogue())
    if not post:
        typer.echo(body, nl=False)
        return 0
    how, url = github.upsert_comment(github.pull_request_from_env(os.environ, pr), body, MARKER)
    typer.echo(f"{how} the pull-request comment: {url}")
    return 0


def _document(path: Path | None, step: str, missing: list[str]) -> dict[str, Any] | None:
    """The JSON report at `path`; None (and `step` noted as missing) if its step left none behind."""
    if path is None:
        return None
    text = path.read_text("utf-8") if path.is_file() else ""
    if not text.strip():
        missing.append(step)
        return None
    hint = (
        f"save it with `busctl plan --cluster NAME --out {path}`"
        if step == "plan"
        else f"write it with `busctl {step} --format json > {path}`"
    )
    try:
        document = json.loads(text)
    except ValueError as err:
        raise BusctlError(f"{path} is not a JSON report: {err}", hint) from None
    if not isinstance(document, dict) or "format_version" not in document:
        raise BusctlError(f"{path} is not a busctl {step} report", hint)
    kind = report_kind(document)
    if kind is None:
        raise BusctlError(f"{path} is not a busctl {step} {'file' if step == 'plan' else 'report'}", hint)
    if kind != step:
        raise BusctlError(f"{path} is a busctl {kind} report, not a {step} report (given as --{step})", hint)
    return document


# The keys (and, for summaries, sub-keys) each kind of saved report has; what the comment reads.
_SHAPES: dict[str, tuple[tuple[str, type, tuple[str, ...]], ...]] = {
    "lint": (("summary", dict, ("errors", "warnings")), ("diagnostics", list, ())),
    "check": (
        ("summary", dict, ("breaking", "approved")),
        ("findings", list, ()),
        ("ownership", list, ()),
        ("notify", list, ()),
    ),
    "plan": (("cluster", str, ()), ("changes", list, ()), ("blocked", list, ()), ("options", dict, ())),
}


def report_kind(document: dict[str, Any]) -> str | None:
    """Which busctl report `document` is ("lint", "check" or "plan"), judged by its keys; None if none."""
    for kind, shape in _SHAPES.items():
        if all(
            isinstance(document.get(key), typ) and all(sub in document[key] for sub in subs)
            for key, typ, subs in shape
        ):
            return kind
    return None


def _plan(path: Path, document: dict[str, Any]) -> Plan:
    try:
        return plan_from_document(document)
    except ValueError as err:
        raise BusctlError(
            f"{path} is not a busctl plan file: {err}", f"save it with `busctl plan --out {path}`"
        ) from None
