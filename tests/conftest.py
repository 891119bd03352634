"""Shared test helpers: run busctl in-process, build bus repos in temporary directories."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from busctl.app import main

pytest_plugins = ["tests.github_stub", "tests.registry_server"]  # `github`, `workflow_env`, `registry`

TESTS = Path(__file__).parent
REPO_ROOT = TESTS.parent
BASE_BUS = TESTS / "rules" / "base"


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture(autouse=True)
def _outside_github_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see busctl's output as a terminal or a pipe would, even when the suite runs in GitHub
    Actions (there, text reports are framed by ::stop-commands::; tests that want that set it)."""
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run `busctl ARGS...` in-process; returns exit code, stdout and stderr."""

    def invoke(*args: str) -> CliResult:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return invoke


def write_files(root: Path, files: dict[str, str | None]) -> None:
    """Overlay files on a repo: a string writes the file, None deletes it."""
    for rel, content in files.items():
        target = root / rel
        if content is None:
            if target.is_dir():
                shutil.rmtree(target)
            else:
                target.unlink(missing_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, "utf-8")


@pytest.fixture
def bus_repo(tmp_path: Path) -> Callable[[dict[str, str | None]], Path]:
    """A copy of the minimal valid bus (tests/rules/base) with the given files overlaid."""

    def make(files: dict[str, str | None] | None = None) -> Path:
        root = tmp_path / "bus"
        shutil.copytree(BASE_BUS, root)
        write_files(root, files or {})
        return root

    return make


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite golden files instead of comparing")


def git(root: Path, *args: str) -> str:
    """Run git in `root` as a fixed test author; return its stdout (a failure fails the test)."""
    return subprocess.run(
        ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", *args],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
