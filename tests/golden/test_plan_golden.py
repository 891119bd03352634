"""Golden plans: a recorded cluster state + declarations -> the exact plan.json, plan.txt and plan.md.

Each case directory holds `case.yaml` (plan's flags and files overlaid on tests/rules/base) and
`cluster.json` (a recorded ClusterState). The outputs are what `busctl plan --format json|text|markdown`
prints, through the whole pipeline (lint gate, schema gate, diff, render) with only the cluster
recorded. Expected outputs sit beside them; regenerate them with `pytest tests/golden --update-golden`
and review the diff like code.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from busctl import planning
from busctl.core.state import ClusterState, state_from_dict
from tests.conftest import BASE_BUS, CliResult, write_files

CASES = sorted(p.parent for p in (Path(__file__).parent / "plan").glob("*/case.yaml"))
FORMATS = {"plan.json": "json", "plan.txt": "text", "plan.md": "markdown"}


@dataclass
class RecordedCluster:
    """A cluster that answers every read with the state recorded in a case's cluster.json."""

    state: ClusterState

    def read_state(self, declared: Collection[str] = ()) -> ClusterState:
        return self.state


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_plan_golden(
    case: Path,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    run: Callable[..., CliResult],
) -> None:
    spec = yaml.safe_load((case / "case.yaml").read_text())
    root = tmp_path / "bus"
    shutil.copytree(BASE_BUS, root)
    write_files(root, spec.get("files", {}))
    recorded = RecordedCluster(state_from_dict(yaml.safe_load((case / "cluster.json").read_text())))
    monkeypatch.setattr(planning, "connect", lambda *_: recorded)  # the one place plan reaches a cluster
    flags = ["--allow-delete"] * bool(spec.get("allow_delete")) + (
        ["--topic", spec["topic_filter"]] if spec.get("topic_filter") else []
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
