"""Fleet apply refuses what no reviewed plan covers before touching any cluster (no broker needed)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult


def _fleet_file(run: Callable[..., CliResult], root: Path, tmp_path: Path, *clusters: str) -> Path:
    out = tmp_path / "fleet.json"
    args = [a for c in clusters for a in ("--cluster", c)]
    assert run("plan", *args, "--repo", str(root), "--out", str(out)).code == 0
    return out


def test_a_cluster_the_plan_file_does_not_hold_is_refused(
    fleet: Path,
    run: Callable[..., CliResult],
    tmp_path: Path,
) -> None:
    plan_file = _fleet_file(run, fleet, tmp_path, "prod-eu", "prod-us")
    result = run("apply", str(plan_file), "--cluster", "staging", "--auto-approve", "--repo", str(fleet))
    assert result.code == 1
    assert "was planned for clusters prod-eu, prod-us, not staging; nothing was applied" in result.err


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda d: d["clusters"].append(d["clusters"][0]), id="a-cluster-listed-twice"),
        pytest.param(lambda d: d.update(clusters=[], plans=[], unread=[]), id="no-cluster"),
        pytest.param(lambda d: d["plans"].append(d["plans"][0]), id="a-part-twice"),
        pytest.param(lambda d: d["plans"][0].pop("fingerprint"), id="a-part-not-a-plan"),
        pytest.param(lambda d: d.update(format_version=9), id="unknown-version"),
    ],
)
def test_a_fleet_plan_file_that_is_not_one_is_refused(
    fleet: Path,
    run: Callable[..., CliResult],
    tmp_path: Path,
    tamper: Callable[[dict[str, Any]], None],
) -> None:
    plan_file = _fleet_file(run, fleet, tmp_path, "prod-eu", "prod-us")
    document = json.loads(plan_file.read_text())
    tamper(document)
    plan_file.write_text(json.dumps(document))
    result = run("apply", str(plan_file), "--auto-approve", "--repo", str(fleet))
    assert result.code == 1
    assert f"{plan_file} is not a busctl plan file" in result.err
    assert "Traceback" not in result.err


def test_json_needs_an_approval(fleet: Path, run: Callable[..., CliResult]) -> None:
    result = run("apply", "--all-clusters", "--format", "json", "--repo", str(fleet))
    assert result.code == 2
    assert "--format json cannot ask for confirmation" in result.err
