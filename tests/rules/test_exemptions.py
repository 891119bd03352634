"""Exemptions as users meet them: exempted findings stay visible as notes, in lint and in the gate."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliResult

LEGACY = """\
name: legacy_orders
owner: billing
description: Orders, from before the naming policy.
schema: acme.billing.v1.InvoiceCreated
exemptions:
  - rule: BUS101
    reason: "imported from cluster local as it is: renaming it would move every consumer"
"""


def test_an_exempted_finding_is_a_note_with_its_reason(
    run: Callable[..., CliResult], bus_repo: Callable[[dict[str, str | None]], Path]
) -> None:
    repo = bus_repo({"topics/billing/legacy-orders.yaml": LEGACY})
    result = run("lint", "--repo", str(repo), "--no-buf")
    assert result.code == 0, result.out
    lines = result.out.splitlines()
    assert max(len(line) for line in lines) <= 80
    text = " ".join(result.out.split())
    assert 'topics/billing/legacy-orders.yaml:1:7: note BUS101 exempted: topic name "legacy_orders"' in text
    assert "hint: exempted at topics/billing/legacy-orders.yaml:6:5: imported from cluster local" in text
    # the gate of alerts (as of plan and apply) lets it through too
    assert run("alerts", "--repo", str(repo)).code == 0


def test_without_the_exemption_the_name_is_an_error(
    run: Callable[..., CliResult], bus_repo: Callable[[dict[str, str | None]], Path]
) -> None:
    repo = bus_repo({"topics/billing/legacy-orders.yaml": LEGACY.split("exemptions:")[0]})
    result = run("lint", "--repo", str(repo), "--no-buf")
    assert result.code == 1 and "error BUS101 topic name" in result.out
