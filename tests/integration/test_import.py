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
from tests.reports import assert_report

pytestmark = pytest.mark.kafka
Run = Callable[..., CliResult]
HAND_WRITTEN = (
    "name: billing.i2-other.v1\nowner: billing\ndescription: d\nschema: acme.billing.v1.InvoiceCreated\n"
)


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


def test_import_json_accounts_for_every_topic(run: Run, kafka_single: Broker, tmp_path: Path) -> None:
    admin = AdminClient(kafka_single.admin_config())
    names = ("billing.i2-new.v1", "billing.i2-there.v1", "billing.i2-declared.v1", "_schemas")
    create_topics_and_wait(admin, [NewTopic(name, 2, 1) for name in names])
    root = bus_for(kafka_single, tmp_path / "bus")
    there, declaration = "topics/billing/billing.i2-there.v1.yaml", "topics/billing/i2-declared.yaml"
    write_files(
        root,
        {
            "topics/audit/events.yaml": None,
            there: HAND_WRITTEN,  # declares another topic: the name is taken, the file is not rewritten
            declaration: "name: billing.i2-declared.v1\nowner: billing\ndescription: d\n"
            "schema: acme.billing.v1.InvoiceCreated\npartitions: 2\n",
        },
    )
    args = ("import", "--cluster", "local", "--repo", str(root), "--format", "json")

    dry = run(*args, "--dry-run")
    assert dry.code == 0 and dry.err == "", dry.err
    document = assert_report("import-report", dry.out)
    topics = {t["topic"]: t for t in document["topics"]}
    new = topics["billing.i2-new.v1"]
    assert (new["file"], new["outcome"]) == ("topics/billing/billing.i2-new.v1.yaml", "would-write")
    assert yaml.safe_load(new["content"])["partitions"] == 2
    assert new["todo"] == ["schema: name the protobuf message this topic carries"]
    assert topics["billing.i2-there.v1"]["outcome"] == "exists"
    assert not (root / new["file"]).exists()
    skipped = {s["topic"]: (s["reason"], s["file"]) for s in document["skipped"]}
    assert skipped["billing.i2-declared.v1"] == ("declared", declaration)
    assert skipped["_schemas"] == ("protected", None)
    listed = set(kafka_single.tool("topics", "--list").split())
    assert set(topics) | set(skipped) == listed  # every topic of the cluster is accounted for

    done = assert_report("import-report", run(*args).out)
    outcomes = {t["topic"]: t["outcome"] for t in done["topics"]}
    assert outcomes["billing.i2-new.v1"] == "written" and outcomes["billing.i2-there.v1"] == "exists"
    assert (root / new["file"]).read_text() == new["content"]
    assert (root / there).read_text() == HAND_WRITTEN  # never overwritten
    summary = done["summary"]
    assert summary["written"] == list(outcomes.values()).count("written") >= 1
    assert summary["exists"] == list(outcomes.values()).count("exists") >= 1
    assert summary["skipped"] == len(done["skipped"]) and summary["would_write"] == 0
