""".pre-commit-hooks.yaml: valid hook definitions whose entries are real busctl commands."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable

import yaml

from tests.conftest import REPO_ROOT, CliResult

Run = Callable[..., CliResult]


def test_hooks_run_real_busctl_commands_on_bus_files(run: Run) -> None:
    hooks = yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text())
    assert [hook["id"] for hook in hooks] == ["busctl-lint", "busctl-codeowners", "busctl-alerts"]
    for hook in hooks:
        assert {"id", "name", "entry", "language"} <= set(hook)
        assert hook["language"] == "python" and hook["pass_filenames"] is False
        program, *args = shlex.split(hook["entry"])
        assert program == "busctl"
        assert run(*args, "--help").code == 0, hook["entry"]
        assert re.search(hook["files"], "topics/billing/invoice-created.yaml")
        assert re.search(hook["files"], "connectors/billing/ledger-archive-sink.yaml")
        assert not re.search(hook["files"], "cli/busctl/app.py")
    assert run("lint", "--repo", str(REPO_ROOT)).code == 0
