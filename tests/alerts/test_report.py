"""`busctl alerts --format json`: every file with its state, rule and test counts per rule set, and
--verify's outcome per tool and route; validated against the alerts-report schema."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO_ROOT, CliResult
from tests.reports import assert_report

Run = Callable[..., CliResult]
MakeRepo = Callable[..., Path]
TEMPLATES = REPO_ROOT / "cli/busctl/templates"


def _alerts(run: Run, repo: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = run("alerts", "--repo", str(repo), "--format", "json", *args)
    assert result.err == "", result.err
    return result.code, assert_report("alerts-report", result.out)


def _states(document: dict[str, Any]) -> dict[str, str]:
    files = [f for s in document["rule_sets"] for f in s["files"]] + document["shared"]
    return {f["path"]: f["state"] for f in files}


def test_written_files_per_rule_set_with_rule_and_test_counts(run: Run, bus_repo: MakeRepo) -> None:
    repo = bus_repo()
    code, written = _alerts(run, repo)
    assert code == 0 and (written["check"], written["in_sync"], written["verify"]) == (False, True, None)
    assert written["exporter"] == "kafka_exporter"
    assert set(_states(written).values()) == {"written"}
    sets = {s["name"]: s for s in written["rule_sets"]}
    assert set(sets) == {"_exporter", "audit"}
    on_disk = yaml.safe_load((repo / "alerts/audit.rules.yml").read_text())
    assert sets["audit"]["rules"] == sum(len(g["rules"]) for g in on_disk["groups"]) == 5
    tests = yaml.safe_load((repo / "alerts/tests/audit.test.yml").read_text())["tests"]
    assert sets["audit"]["tests"] == len(tests) > 0
    assert (sets["_exporter"]["rules"], [f["kind"] for f in sets["_exporter"]["files"]]) == (
        1,
        ["rules", "tests"],
    )
    assert [(f["path"], f["kind"], f["items"]) for f in written["shared"]] == [
        ("alerts/alertmanager.yml", "alertmanager", None)
    ]

    code, again = _alerts(run, repo)
    assert code == 0 and set(_states(again).values()) == {"unchanged"}


def test_check_reports_missing_stale_and_obsolete_files(run: Run, bus_repo: MakeRepo) -> None:
    repo = bus_repo()
    code, missing = _alerts(run, repo, "--check")
    assert code == 1 and missing["in_sync"] is False
    assert set(_states(missing).values()) == {"missing"} and not (repo / "alerts").exists()
    _alerts(run, repo)
    rules = repo / "alerts/audit.rules.yml"
    rules.write_text(rules.read_text().replace("> 10000", "> 99999"))
    topic = repo / "topics/billing/invoice-created.yaml"
    topic.write_text(topic.read_text().replace("team: audit", "team: billing"))
    code, checked = _alerts(run, repo, "--check")
    assert code == 1
    states = _states(checked)
    assert states["alerts/audit.rules.yml"] == "obsolete" and states["alerts/billing.rules.yml"] == "missing"
    assert states["alerts/alertmanager.yml"] == "stale"
    audit = next(s for s in checked["rule_sets"] if s["name"] == "audit")
    assert audit["rules"] == 0 and {f["items"] for f in audit["files"]} == {None}  # no longer generated
    code, fixed = _alerts(run, repo)
    assert code == 0 and _states(fixed)["alerts/audit.rules.yml"] == "removed"
    assert not rules.exists()


@pytest.mark.prometheus
def test_verify_reports_each_tool_and_route(run: Run, bus_repo: MakeRepo) -> None:
    repo = bus_repo()
    code, verified = _alerts(run, repo, "--verify")
    assert code == 0 and verified["verify"]["ok"] is True
    checks = [(c["check"], c["file"], c["ok"]) for c in verified["verify"]["checks"]]
    assert checks == [
        ("promtool check rules", "alerts/_exporter.rules.yml", True),
        ("promtool check rules", "alerts/audit.rules.yml", True),
        ("promtool test rules", "alerts/tests/_exporter.test.yml", True),
        ("promtool test rules", "alerts/tests/audit.test.yml", True),
        ("amtool check-config", "alerts/alertmanager.yml", True),
    ]
    routes = [(r["team"], r["severity"], r["receivers"], r["ok"]) for r in verified["verify"]["routes"]]
    assert routes == [
        ("audit", "critical", ["team-audit"], True),
        ("audit", "warning", ["team-audit"], True),
        ("platform", "critical", ["team-platform"], True),
        ("platform", "warning", ["team-platform"], True),
    ]
    receivers = [(r["name"], r["teams"], r["targets"], r["ok"]) for r in verified["verify"]["receivers"]]
    assert receivers == [
        ("team-audit", ["audit"], ["webhook chat.example.com"], True),
        ("team-platform", ["platform"], ["webhook chat.example.com"], True),
    ]

    tests = repo / "alerts/tests/audit.test.yml"
    tests.write_text(tests.read_text() + "# edited by hand\n")
    code, stale = _alerts(run, repo, "--check", "--verify")
    assert code == 1 and stale["in_sync"] is False and stale["verify"] is None  # nothing was run


def test_formats_without_meaning_are_refused(run: Run, bus_repo: MakeRepo) -> None:
    repo = bus_repo()
    result = run("alerts", "--repo", str(repo), "--format", "markdown")
    assert result.code == 2 and "prints text or json, not markdown" in result.err
    assert not (repo / "alerts").exists()


@pytest.mark.prometheus
def test_verify_names_the_file_whose_tests_fail(run: Run, bus_repo: MakeRepo) -> None:
    builtin = (TEMPLATES / "alerts/rules.yml.j2").read_text()
    assert builtin.count("for: [[ r.for_ ]]") == 1
    repo = bus_repo({"templates/alerts/rules.yml.j2": builtin.replace("for: [[ r.for_ ]]", "for: 99h")})
    code, document = _alerts(run, repo, "--verify")  # the rules never fire within their tests
    assert code == 1 and document["in_sync"] is True and document["verify"]["ok"] is False
    outcomes = {(c["check"], c["file"]): c for c in document["verify"]["checks"]}
    failed = outcomes["promtool test rules", "alerts/tests/audit.test.yml"]
    assert failed["ok"] is False and "FAILED" in failed["output"]
    assert outcomes["promtool check rules", "alerts/audit.rules.yml"]["ok"] is True
    assert outcomes["amtool check-config", "alerts/alertmanager.yml"]["ok"] is True
