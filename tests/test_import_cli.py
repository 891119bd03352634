"""import's refusals that need no cluster."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliResult


def test_formats_without_meaning_are_refused(
    run: Callable[..., CliResult], bus_repo: Callable[..., Path]
) -> None:
    result = run("import", "--cluster", "local", "--repo", str(bus_repo()), "--format", "github")
    assert result.code == 2 and "busctl import prints text or json, not github" in result.err
