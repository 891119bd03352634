"""apply's refusals that need no cluster: plan files that are not plans, or that would widen what apply
may do, are refused before anything is read or changed."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from busctl.core.plan import Plan
from busctl.reports.plan import plan_document
from tests.conftest import CliResult

Run = Callable[..., CliResult]


def _apply(run: Run, repo: Path, plan_file: Path, *extra: str) -> CliResult:
    return run("apply", "--cluster", "local", "--repo", str(repo), "--auto-approve", str(plan_file), *extra)


@pytest.mark.timeout(20)
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "not a regular file"),  # a named pipe: reading it would block
        ("", "is not a busctl plan file"),
        ("[]", "not a JSON object"),
        ('{"format_version": 1}', "plan format_version 1 is not 3"),
        ('{"format_version": 2, "changes": 5}', "is not a busctl plan file"),
        ("[" * 100_000, "is not a busctl plan file"),
    ],
)
def test_what_is_not_a_plan_file_is_refused(
    run: Run, bus_repo: Callable[..., Path], tmp_path: Path, content: str | None, message: str
) -> None:
    plan_file = tmp_path / "plan.json"
    if content is None:
        os.mkfifo(plan_file)
    else:
        plan_file.write_text(content)
    result = _apply(run, bus_repo(), plan_file)
    assert result.code == 1 and message in result.err, result.err
    assert "Traceback" not in result.err and "bug in busctl" not in result.err


def test_a_plan_file_never_brings_allow_delete_or_another_scope(
    run: Run, bus_repo: Callable[..., Path], tmp_path: Path
) -> None:
    plan = Plan(cluster="local", cluster_id="x", fingerprint="f", topic_filter="billing.*", allow_delete=True)
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(plan_document(plan)))
    repo = bus_repo()
    widened = _apply(run, repo, plan_file)
    assert widened.code == 1 and "was made with --allow-delete; nothing was applied" in widened.err
    rescoped = _apply(run, repo, plan_file, "--allow-delete", "--topic", "audit.*")
    assert rescoped.code == 1 and "was made for --topic billing.*, not audit.*" in rescoped.err
    other = plan_file.with_name("other.json")
    other.write_text(json.dumps(plan_document(Plan(cluster="prod", cluster_id="x", fingerprint="f"))))
    assert "was planned for cluster prod, not local" in _apply(run, repo, other).err


@pytest.mark.parametrize("value", ["soon", "-1", "-5s", "5x", "\u0661\u0660"])
def test_lock_timeout_must_be_a_duration(run: Run, bus_repo: Callable[..., Path], value: str) -> None:
    result = run("apply", "--cluster", "local", "--repo", str(bus_repo()), "--lock-timeout", value)
    assert result.code == 2 and "--lock-timeout" in result.err


def test_json_asks_nothing_and_other_formats_are_refused(run: Run, bus_repo: Callable[..., Path]) -> None:
    repo = str(bus_repo())
    asking = run("apply", "--cluster", "local", "--repo", repo, "--format", "json")
    assert asking.code == 2 and "--format json cannot ask for confirmation" in asking.err
    assert "--auto-approve" in asking.err and asking.out == ""
    for name in ("github", "markdown"):
        refused = run("apply", "--cluster", "local", "--repo", repo, "--auto-approve", "-f", name)
        assert refused.code == 2 and f"busctl apply prints text or json, not {name}" in refused.err


def test_a_report_file_that_cannot_be_written_is_refused_before_the_cluster_is_read(
    run: Run, bus_repo: Callable[..., Path], tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-dir" / "apply.json"
    result = run(
        "apply", "--cluster", "local", "--repo", str(bus_repo()), "--auto-approve", "--out", str(missing)
    )
    # a usage error (2), not the unreachable cluster's error (1): refused before the cluster is read
    assert result.code == 2 and "is not a directory" in result.err and "--out" in result.err
    assert not missing.parent.exists()
