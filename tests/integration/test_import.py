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
    imported = yaml.safe_load((root / "topics/billing/i1-imported.yaml").read_text())
    assert imported["owner"] == "billing" and imported["partitions"] == 5
    assert "replication_factor" not in imported  # decided by the cluster's override
    assert imported["config"]["retention.ms"] == "2d" and imported["config"]["cleanup.policy"] == "compact"
    orphan = yaml.safe_load((root / "topics/_imported/nobody.i1-orphan.yaml").read_text())
    assert orphan["owner"] == "TODO-owner" and orphan["config"]["max.message.bytes"] == "2MiB"
    assert "todo: owner" in result.out
    assert orphan["exemptions"] == [
        {"rule": "BUS101", "reason": "imported from cluster local by busctl import as it is"}
    ]

    linted = run("lint", "--repo", str(root), "--no-buf", "--format", "json")
    codes = {(d["file"].split("/")[-1], d["code"]) for d in yaml.safe_load(linted.out)["diagnostics"]}
    assert {
        ("nobody.i1-orphan.yaml", "BUS201"),
        ("nobody.i1-orphan.yaml", "BUS101"),
        ("i1-imported.yaml", "BUS302"),
    } <= codes  # the placeholders are flagged (and the name outside the policy noted: exempted)

    # fill in what import could not know; the orphan (a name outside the policy) is left to a human
    (root / "topics/_imported/nobody.i1-orphan.yaml").unlink()
    placeholder = run(
        "plan", "--cluster", "local", "--repo", str(root), "--topic", "billing.i1-*", "-f", "json"
    )
    assert placeholder.code == 0, placeholder.err  # the topic exists: its schema gates nothing
    document = json.loads(placeholder.out)
    assert document["changes"] == [] and document["blocked"] == []
    assert any("billing.i1-imported.v1" in note and "BUS302" in note for note in document["notes"])
    path = root / "topics/billing/i1-imported.yaml"
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
    there, declaration = "topics/billing/i2-there.yaml", "topics/billing/i2-declared.yaml"
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
    assert (new["file"], new["outcome"]) == ("topics/billing/i2-new.yaml", "would-write")
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


def test_import_into_a_fleet_writes_only_what_this_cluster_needs(
    run: Run, kafka_single: Broker, tmp_path: Path
) -> None:
    """A bus of two clusters: what local's overrides explain is not written, what they would beat
    goes under per_cluster.local, a legacy name is exempted, and the topics stay off prod."""
    admin = AdminClient(kafka_single.admin_config())
    topics = [
        NewTopic("legacy_i3", 2, 1, config={"retention.ms": "3600000"}),
        NewTopic("billing.i3-strict.v1", 3, 1, config={"min.insync.replicas": "2"}),  # local: 1
        NewTopic("billing.i3-plain.v1", 3, 1, config={"min.insync.replicas": "1"}),  # = local's
    ]
    create_topics_and_wait(admin, topics)
    prod = "  prod:\n    bootstrap_servers: 127.0.0.1:1\n"
    root = bus_for(kafka_single, tmp_path / "bus", prod)
    write_files(root, {"topics/billing/invoice-created.yaml": None, "topics/audit/events.yaml": None})

    result = run("import", "--cluster", "local", "--repo", str(root))
    assert result.code == 0, result.err
    legacy = yaml.safe_load((root / "topics/_imported/legacy_i3.yaml").read_text())
    assert legacy["placement"] == ["local"] and legacy["config"] == {"retention.ms": "1h"}
    assert [e["rule"] for e in legacy["exemptions"]] == ["BUS101"]
    strict = yaml.safe_load((root / "topics/billing/i3-strict.yaml").read_text())
    assert strict["per_cluster"] == {"local": {"config": {"min.insync.replicas": 2}}}
    assert "config" not in strict
    assert [e["rule"] for e in strict["exemptions"]] == ["BUS108"]  # 2 of 1 replica, as it is
    plain = yaml.safe_load((root / "topics/billing/i3-plain.yaml").read_text())
    assert not {"partitions", "replication_factor", "config", "per_cluster"} & plain.keys()

    # a human names the owner and the schemas (topics of other tests on this broker are dropped)
    for path in (root / "topics").rglob("*.yaml"):
        if "i3" not in path.name or path.parent.name == "_imported":
            path.unlink()
    for name, text in (
        ("billing/legacy-i3.yaml", yaml.safe_dump(legacy)),
        ("billing/i3-strict.yaml", None),
        ("billing/i3-plain.yaml", None),
    ):
        path = root / "topics" / name
        content = text if text is not None else path.read_text()
        path.write_text(
            content.replace("TODO-owner", "billing").replace(
                "TODO.package.v1.Message", "acme.billing.v1.InvoiceCreated"
            )
        )
    linted = run("lint", "--repo", str(root), "--no-buf", "--format", "json")
    diagnostics = [d for d in yaml.safe_load(linted.out)["diagnostics"] if "i3" in d["file"]]
    assert [d for d in diagnostics if d["severity"] == "error"] == [], diagnostics
    assert any(d["code"] == "BUS101" and d["severity"] == "note" for d in diagnostics)
    checked = run("plan", "--cluster", "local", "--repo", str(root), "--topic", "*i3*", "--detailed-exitcode")
    assert checked.code == 0, checked.out + checked.err
    listed = assert_report("topics-report", run("topics", "--repo", str(root), "--format", "json").out)
    placed = {t["name"]: t["clusters"] for t in listed["topics"]}
    assert placed["legacy_i3"] == placed["billing.i3-strict.v1"] == ["local"]  # never planned on prod
