"""The GitHub side: workflows pass actionlint (with shellcheck on their scripts), this repo's workflows
are the ones `busctl init` writes, and the composite action is consistent with its scripts."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from busctl.commands.init import ACTION, WORKFLOWS
from busctl.render.templates import template_environment
from tests.conftest import REPO_ROOT, CliResult

Run = Callable[..., CliResult]
ACTIONLINT = REPO_ROOT / ".tools" / "bin" / "actionlint"
SHELLCHECK = Path(os.environ.get("VIRTUAL_ENV", REPO_ROOT / ".venv")) / "bin" / "shellcheck"
SCRIPTS = [
    "scripts/ci/pull-request",
    "scripts/ci/apply",
    "scripts/demo",
    "scripts/tools/install",
    "scripts/registry/registry",
    "scripts/connect/connect",
    "scripts/kafka/kafka",
]


def _tool(path: Path) -> str:
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing: `make tools` installs it")
        pytest.skip(f"{path} is missing: run `make tools`")
    return str(path)


def _actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_tool(ACTIONLINT), "-shellcheck", _tool(SHELLCHECK), "-no-color", *map(str, files)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_this_repos_workflows_pass_actionlint() -> None:
    files = sorted((REPO_ROOT / ".github/workflows").glob("*.yml"))
    assert len(files) >= 3
    done = _actionlint(*files)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: echo ${{ github.refname }}\n"
        "      - uses: actions/checkout@v4\n        with: {fetch_depht: 0}\n"
    )
    done = _actionlint(broken)
    assert done.returncode == 1
    assert "fetch_depht" in done.stdout and "refname" in done.stdout


def test_scaffolded_workflows_pass_actionlint(run: Run, tmp_path: Path) -> None:
    assert run("init", str(tmp_path / "bus")).code == 0
    files = [tmp_path / "bus/.github/workflows" / name for name in WORKFLOWS]
    assert all(f.exists() for f in files)
    assert f"uses: {ACTION}" in files[0].read_text()
    done = _actionlint(*files)
    assert done.returncode == 0, done.stdout + done.stderr


def test_this_repos_workflows_are_the_scaffold_using_the_local_action() -> None:
    env = template_environment(REPO_ROOT)
    for name in WORKFLOWS:
        expected = env.get_template(f"init/workflows/{name}.j2").render(action="./", working_directory="")
        assert (REPO_ROOT / ".github/workflows" / name).read_text() == expected, name


def test_scripts_pass_shellcheck() -> None:
    done = subprocess.run(
        [_tool(SHELLCHECK), *SCRIPTS], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout


def test_the_action_declares_what_it_uses_and_runs_scripts_that_exist() -> None:
    action = yaml.safe_load((REPO_ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    text = (REPO_ROOT / "action.yml").read_text()
    used = set(re.findall(r"inputs\.([a-z-]+)", text))
    assert used == set(action["inputs"]), used ^ set(action["inputs"])
    for script in re.findall(r"\$GITHUB_ACTION_PATH/(scripts/ci/[a-z-]+)", text):
        assert os.access(REPO_ROOT / script, os.X_OK), script
    modes = []
    for name in WORKFLOWS:
        workflow = yaml.safe_load((REPO_ROOT / ".github/workflows" / name).read_text())
        for job in workflow["jobs"].values():
            for step in job["steps"]:
                if step.get("uses") == "./":
                    assert set(step["with"]) <= set(action["inputs"])
                    modes.append(step["with"]["mode"])
    assert sorted(modes) == ["apply", "pull-request"]  # each workflow uses the action, once


def test_workflow_permissions_and_concurrency() -> None:
    pr = yaml.safe_load((REPO_ROOT / ".github/workflows/busctl-pull-request.yml").read_text())
    main = yaml.safe_load((REPO_ROOT / ".github/workflows/busctl-main.yml").read_text())
    assert pr["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert main["permissions"] == {"contents": "read"}
    assert main["concurrency"]["cancel-in-progress"] is False
    checkout = pr["jobs"]["busctl"]["steps"][0]
    assert checkout["with"]["fetch-depth"] == 0
    (apply,) = main["jobs"].values()
    assert set(main[True]) == {"push", "workflow_dispatch"}  # (YAML 1.1 reads the key `on` as True)
    assert main[True]["push"] == {"branches": ["main"]}
    # a dispatch of another ref never reaches production; the environment's reviewers and secrets apply
    assert apply["if"] == "github.ref == format('refs/heads/{0}', github.event.repository.default_branch)"
    assert apply["environment"] == "production"
    uploads = {s["with"]["name"]: s for s in apply["steps"] if s.get("uses") == "actions/upload-artifact@v4"}
    report = uploads["busctl-apply-report"]
    assert (
        report.get("if") == "always()"
        and report["with"]["path"] == "${{ steps.busctl.outputs.apply-report }}"
    )
    assert "if" not in uploads["prometheus-alerts"]  # alerts/ are published only from a successful apply
    for workflow in (pr, main):
        for job in workflow["jobs"].values():
            for step in job["steps"]:
                for value in step.get("env", {}).values():
                    assert value.startswith("${{ secrets."), value  # secrets only through env
