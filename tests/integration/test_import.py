"""busctl import: undeclared topics become topic files, and plan right after shows no changes."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


PROD = "  prod:\n    bootstrap_servers: 127.0.0.1:1\n"  # a second cluster: never contacted


def _fill_in(root: Path, moves: dict[str, str]) -> None:
    """What a human does after import: name the owner and the schema, move the file to the owner's
    directory; the files of other tests' topics on this broker are dropped."""
    kept = {root / "topics" / old: root / "topics" / new for old, new in moves.items()}
    for path in list((root / "topics").rglob("*.yaml")):
        if path not in kept:
            path.unlink()
    for old, new in kept.items():
        text = old.read_text().replace("TODO-owner", "billing")
        old.unlink()
        new.parent.mkdir(parents=True, exist_ok=True)
        new.write_text(text.replace("TODO.package.v1.Message", "acme.billing.v1.InvoiceCreated"))


def _lints_and_plans_clean(run: Run, root: Path, topics: str) -> list[dict[str, Any]]:
    """The lint notes on the files and topics named `*topics*`, once lint finds no error there and plan
    no changes."""
    linted = run("lint", "--repo", str(root), "--no-buf", "--format", "json")
    found = [d for d in json.loads(linted.out)["diagnostics"] if fnmatch.fnmatch(d["file"], f"*{topics}*")]
    assert [d for d in found if d["severity"] == "error"] == [], found
    checked = run(
        "plan", "--cluster", "local", "--repo", str(root), "--topic", f"*{topics}*", "--detailed-exitcode"
    )
    assert checked.code == 0, checked.out + checked.err
    return [d for d in found if d["severity"] == "note"]


def test_import_of_a_legacy_name_exempts_it_and_plans_clean(
    run: Run, kafka_single: Broker, tmp_path: Path
) -> None:
    create_topics_and_wait(
        AdminClient(kafka_single.admin_config()),
        [NewTopic("legacy_i3", 2, 1, config={"retention.ms": "3600000"})],
    )
    root = bus_for(kafka_single, tmp_path / "bus", PROD)
    write_files(root, {"topics/billing/invoice-created.yaml": None, "topics/audit/events.yaml": None})

    result = run("import", "--cluster", "local", "--repo", str(root))
    assert result.code == 0, result.err
    legacy = yaml.safe_load((root / "topics/_imported/legacy_i3.yaml").read_text())
    assert legacy["placement"] == ["local"] and legacy["config"] == {"retention.ms": "1h"}
    assert legacy["exemptions"] == [
        {"rule": "BUS101", "reason": "imported from cluster local by busctl import as it is"}
    ]
    _fill_in(root, {"_imported/legacy_i3.yaml": "billing/legacy_i3.yaml"})
    found = _lints_and_plans_clean(run, root, "legacy_i3")
    assert [(d["code"], d["severity"]) for d in found] == [("BUS101", "note")]  # shown, exempted
    listed = assert_report("topics-report", run("topics", "--repo", str(root), "--format", "json").out)
    assert {t["name"]: t["clusters"] for t in listed["topics"]}["legacy_i3"] == ["local"]  # not on prod


def test_import_from_a_cluster_with_overrides_writes_only_what_they_do_not_explain(
    run: Run, kafka_single: Broker, tmp_path: Path
) -> None:
    """local overrides min.insync.replicas to 1: a topic at 1 needs nothing written, one at 2 needs
    per_cluster.local (a topic-level value would lose to the override) and an exemption (BUS108)."""
    topics = [
        NewTopic("billing.i4-strict.v1", 3, 1, config={"min.insync.replicas": "2"}),
        NewTopic("billing.i4-plain.v1", 3, 1, config={"min.insync.replicas": "1"}),
    ]
    create_topics_and_wait(AdminClient(kafka_single.admin_config()), topics)
    root = bus_for(kafka_single, tmp_path / "bus", PROD)
    write_files(root, {"topics/billing/invoice-created.yaml": None, "topics/audit/events.yaml": None})

    result = run("import", "--cluster", "local", "--repo", str(root))
    assert result.code == 0, result.err
    strict = yaml.safe_load((root / "topics/billing/i4-strict.yaml").read_text())
    assert strict["per_cluster"] == {"local": {"config": {"min.insync.replicas": 2}}}
    assert "config" not in strict
    assert [e["rule"] for e in strict["exemptions"]] == ["BUS108"]  # 2 of 1 replica, as it is
    plain = yaml.safe_load((root / "topics/billing/i4-plain.yaml").read_text())
    assert not {"partitions", "replication_factor", "config", "per_cluster", "exemptions"} & plain.keys()
    _fill_in(
        root,
        {
            "billing/i4-strict.yaml": "billing/i4-strict.yaml",
            "billing/i4-plain.yaml": "billing/i4-plain.yaml",
        },
    )
    found = _lints_and_plans_clean(run, root, "i4-")
    assert [(d["code"], d["severity"]) for d in found] == [("BUS108", "note")]
