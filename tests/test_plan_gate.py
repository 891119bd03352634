"""plan and apply gate on the same rules as lint (buf aside), before they connect to any cluster."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_a_topic_whose_schema_names_no_message_is_never_planned(
    run: Callable[..., CliResult], bus_repo: Callable[..., Path], command: str
) -> None:
    repo = bus_repo()
    topic = repo / "topics" / "billing" / "invoice-created.yaml"
    topic.write_text(
        topic.read_text().replace("acme.billing.v1.InvoiceCreated", "acme.billing.v1.NoSuchMessage")
    )
    result = run(
        command,
        "--cluster",
        "local",
        "--repo",
        str(repo),
        *(["--auto-approve"] if command == "apply" else []),
    )
    assert result.code == 1
    assert "topics/billing/invoice-created.yaml:4:9: BUS302" in result.err
    assert (
        "nothing was read from or changed on the cluster" in result.err and "cannot reach" not in result.err
    )
