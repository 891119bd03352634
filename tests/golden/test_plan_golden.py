"""Golden plans: a recorded cluster state + declarations -> the exact plan.json, plan.txt and plan.md.

Each case directory holds `case.yaml` (diff options and files overlaid on tests/rules/base) and
`cluster.json` (a recorded ClusterState). Expected outputs sit beside them; regenerate them with
`pytest tests/golden --update-golden` and review the diff like code.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from busctl.core.desired import declared_groups, desired_topics
from busctl.core.diff import DiffOptions, diff
from busctl.core.state import state_from_dict
from busctl.core.topic_configs import load_catalogue
from busctl.loading.bus import load_bus
from busctl.render import plan as render
from tests.conftest import BASE_BUS, write_files

CASES = sorted(p.parent for p in (Path(__file__).parent / "plan").glob("*/case.yaml"))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_plan_golden(case: Path, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    spec = yaml.safe_load((case / "case.yaml").read_text())
    root = tmp_path / "bus"
    shutil.copytree(BASE_BUS, root)
    write_files(root, spec.get("files", {}))
    bus, report = load_bus(root)
    assert not report.errors, [str(d.span) + " " + d.message for d in report.errors]
    catalogue = load_catalogue()
    state = state_from_dict(yaml.safe_load((case / "cluster.json").read_text()))
    options = DiffOptions(
        cluster="local",
        protected=tuple(bus.config.policy.protected_topics),
        allow_delete=spec.get("allow_delete", False),
        topic_filter=spec.get("topic_filter"),
    )
    plan = diff(desired_topics(bus, "local", catalogue), declared_groups(bus), state, catalogue, options)
    outputs = {
        "plan.json": render.as_json(plan),
        "plan.txt": render.as_text(plan, catalogue),
        "plan.md": render.as_markdown(plan, catalogue),
    }
    for name, text in outputs.items():
        golden = case / name
        if request.config.getoption("--update-golden"):
            golden.write_text(text)
        assert golden.exists(), f"{golden} missing: run pytest --update-golden and review it"
        assert text == golden.read_text(), f"{case.name}/{name} differs from the reviewed golden file"


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 10
