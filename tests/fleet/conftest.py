"""The fleet of recorded clusters most fleet tests plan against."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fleet.recorded import FLEET_BUS, cluster_state, record, topic_state

AUDIT = """\
name: audit.events.v1
owner: audit
description: Audit events.
schema: acme.audit.v1.AuditEvent
placement: [env=prod]
per_cluster:
  prod-eu: {partitions: 12}
"""
BILLING_CONFIGS = {"retention.ms": "604800000", "cleanup.policy": "delete", "min.insync.replicas": "2"}


@pytest.fixture
def fleet(bus_repo: Callable[[dict[str, str | None]], Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    """staging (empty, rf 1 override), prod-eu (billing in sync), prod-us (empty)."""
    billing = topic_state("billing.invoice-created.v1", 12, 3, BILLING_CONFIGS)
    record(
        monkeypatch,
        {
            "staging": cluster_state("c-staging"),
            "prod-eu": cluster_state("c-eu", [billing]),
            "prod-us": cluster_state("c-us"),
        },
    )
    return bus_repo({"bus.yaml": FLEET_BUS, "topics/audit/events.yaml": AUDIT})
