"""Golden plans: a recorded cluster state + declarations -> the exact plan.json, plan.txt and plan.md.

Each case directory holds `case.yaml` (plan's flags and files overlaid on tests/rules/base) and
`cluster.json` (a recorded ClusterState). The outputs are what `busctl plan --format json|text|markdown`
prints, through the whole pipeline (lint gate, schema gate, diff, render), with the cluster read from
its recorded state (`plan --state DIR`, as a reviewer reads it offline). Expected outputs sit beside
them; regenerate them with `pytest tests/golden --update-golden` and review the diff like code.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import BASE_BUS, CliResult, write_files

CASES = sorted(p.parent for p in (Path(__file__).parent / "plan").glob("*/case.yaml"))
FORMATS = {"plan.json": "json", "plan.txt": "text", "plan.md": "markdown"}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_plan_golden(
    case: Path,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    run: Callable[..., CliResult],
) -> None:
    spec = yaml.safe_load((case / "case.yaml").read_text())
    root = tmp_path / "bus"
    shutil.copytree(BASE_BUS, root)
    write_files(root, spec.get("files", {}))
    states = tmp_path / "states"  # plan reads the recorded state through --state, as a reviewer would
    states.mkdir()
    shutil.copy(case / "cluster.json", states / "local.json")
    flags = (
        ["--state", str(states)]
        + ["--allow-delete"] * bool(spec.get("allow_delete"))
        + (["--topic", spec["topic_filter"]] if spec.get("topic_filter") else [])
    )
    for name, output in FORMATS.items():
        result = run("plan", "--cluster", "local", "--repo", str(root), "--format", output, *flags)
        assert result.code == 0, result.err
        golden = case / name
        if request.config.getoption("--update-golden"):
            golden.write_text(result.out)
        assert golden.exists(), f"{golden} missing: run pytest --update-golden and review it"
        assert result.out == golden.read_text(), f"{case.name}/{name} differs from the reviewed golden file"


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 10
