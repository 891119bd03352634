"""busctl import: undeclared topics become topic files, and plan right after shows no changes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from confluent_kafka.admin import AdminClient, NewTopic

from tests.conftest import CliResult, write_files
from tests.integration.conftest import Broker, bus_for, create_topics_and_wait

pytestmark = pytest.mark.kafka
Run = Callable[..., CliResult]


def test_import_then_plan_is_clean(run: Run, kafka_single: Broker, tmp_path: Path) -> None:
    admin = AdminClient(kafka_single.admin_config())
    topics = [
        NewTopic(
            "billing.i1-imported.v1", 5, 1, config={"retention.ms": "172800000", "cleanup.policy": "compact"}
        ),
        NewTopic("nobody.i1-orphan", 2, 1, config={"max.message.bytes": "2097152"}),
    ]
    create_topics_and_wait(admin, topics)
    root = bus_for(kafka_single, tmp_path / "bus")
    write_files(root, {"topics/billing/invoice-created.yaml": None, "topics/audit/events.yaml": None})

    result = run("import", "--cluster", "local", "--repo", str(root))
    assert result.code == 0, result.err
    imported = yaml.safe_load((root / "topics/billing/billing.i1-imported.v1.yaml").read_text())
    assert imported["owner"] == "billing" and imported["partitions"] == 5
    assert "replication_factor" not in imported  # decided by the cluster's override
    assert imported["config"]["retention.ms"] == "2d" and imported["config"]["cleanup.policy"] == "compact"
    orphan = yaml.safe_load((root / "topics/_imported/nobody.i1-orphan.yaml").read_text())
    assert orphan["owner"] == "TODO-owner" and orphan["config"]["max.message.bytes"] == "2MiB"
    assert "todo: owner" in result.out

    linted = run("lint", "--repo", str(root), "--no-buf", "--format", "json")
    codes = {(d["file"].split("/")[-1], d["code"]) for d in yaml.safe_load(linted.out)["diagnostics"]}
    assert {
        ("nobody.i1-orphan.yaml", "BUS201"),
        ("nobody.i1-orphan.yaml", "BUS101"),
        ("billing.i1-imported.v1.yaml", "BUS302"),
    } <= codes  # the placeholders are flagged

    # fill in what import could not know; the orphan (a name outside the policy) is left to a human
    (root / "topics/_imported/nobody.i1-orphan.yaml").unlink()
    placeholder = run(
        "plan", "--cluster", "local", "--repo", str(root), "--topic", "billing.i1-*", "-f", "json"
    )
    assert placeholder.code == 0, placeholder.err  # the topic exists: its schema gates nothing
    document = json.loads(placeholder.out)
    assert document["changes"] == [] and document["blocked"] == []
    assert any("billing.i1-imported.v1" in note and "BUS302" in note for note in document["notes"])
    path = root / "topics/billing/billing.i1-imported.v1.yaml"
    path.write_text(path.read_text().replace("TODO.package.v1.Message", "acme.billing.v1.InvoiceCreated"))
    checked = run(
        "plan", "--cluster", "local", "--repo", str(root), "--topic", "billing.i1-*", "--detailed-exitcode"
    )
    assert checked.code == 0, checked.out + checked.err
    again = run("import", "--cluster", "local", "--repo", str(root), "--dry-run")
    assert "billing.i1-imported.v1" not in again.out and "nobody.i1-orphan" in again.out
