"""Cluster names, labels and placements that could be misread are refused when bus.yaml is loaded."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult


@pytest.mark.parametrize("name", ["../../evil", "env=dev", "prod-*", "a b", "-x", ".", "x/y"])
def test_a_cluster_name_that_is_a_path_selector_or_glob_is_refused(
    bus_repo: Callable[[dict[str, str | None]], Path], run: Callable[..., CliResult], name: str
) -> None:
    root = bus_repo({"bus.yaml": f'clusters:\n  "{name}":\n    bootstrap_servers: 127.0.0.1:9092\n'})
    result = run("lint", "--repo", str(root))
    assert result.code == 1
    assert "bus.yaml:3:5: error BUS005" in result.out, result.out
    assert "is not allowed here" in " ".join(result.out.split())


def test_an_empty_placement_says_how_to_place_everywhere(
    bus_repo: Callable[[dict[str, str | None]], Path], run: Callable[..., CliResult]
) -> None:
    topic = (
        "name: audit.events.v1\nowner: audit\ndescription: A.\nschema: acme.audit.v1.AuditEvent\n"
        "placement: []\n"
    )
    result = run("lint", "--repo", str(bus_repo({"topics/audit/events.yaml": topic})))
    assert result.code == 1
    assert "placement is empty" in result.out
    assert "remove placement: to place the topic on" in " ".join(result.out.split())
