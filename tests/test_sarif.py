"""`--format sarif` of lint and check: valid SARIF 2.1.0 (the official schema, vendored in
tests/vendor), every finding a result pointing at its rule, file, line and column."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from busctl import __version__
from busctl.rules.base import REGISTRY, entries
from tests.check.test_check_cli import _repo
from tests.conftest import CliResult, git

Run = Callable[..., CliResult]
SCHEMA = json.loads((Path(__file__).parent / "vendor/sarif-schema-2.1.0.json").read_text())


def _valid_log(text: str) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(text)
    jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(log)
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "busctl" and driver["version"] == __version__
    rules = driver["rules"]
    for result in log["runs"][0]["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    return log


def test_the_schema_rejects_what_code_scanning_would() -> None:
    """The vendored schema is the real one: a log without runs, or with a made-up level, fails."""
    validator = jsonschema.Draft7Validator(SCHEMA)
    assert not validator.is_valid({"version": "2.1.0"})
    bad_level = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": []}]}
    assert validator.is_valid(bad_level)
    bad_level["runs"][0]["results"] = [{"message": {"text": "m"}, "level": "fatal"}]  # type: ignore[index]
    assert not validator.is_valid(bad_level)


def test_lint_sarif(run: Run, bus_repo: Callable[..., Path]) -> None:
    repo = bus_repo(
        {"topics/billing/invoice created.yaml": "name: billing.x.v1\nowner: billing\npartitons: 3\n"}
    )
    result = run("lint", "--repo", str(repo), "--format", "sarif", "--no-buf")
    assert result.code == 1
    log = _valid_log(result.out)
    rules = {rule["id"]: rule for rule in log["runs"][0]["tool"]["driver"]["rules"]}
    assert [entry.id for entry in entries()] == list(rules)  # load codes, lint and check rules
    assert rules["BUS004"]["shortDescription"]["text"] == REGISTRY["BUS004"].summary()
    assert rules["BUS004"]["defaultConfiguration"] == {"level": "error"}
    assert rules["BUS305"]["defaultConfiguration"] == {"level": "error", "enabled": False}  # opt-in
    results = log["runs"][0]["results"]
    typo = next(r for r in results if r["ruleId"] == "BUS004")
    assert typo["level"] == "error" and 'did you mean "partitions"' in typo["message"]["text"]
    assert typo["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {
                    "uri": "topics/billing/invoice%20created.yaml",
                    "uriBaseId": "%SRCROOT%",
                },
                "region": {"startLine": 3, "startColumn": 1},
            }
        }
    ]
    lint_json = json.loads(run("lint", "--repo", str(repo), "--format", "json", "--no-buf").out)
    assert [r["ruleId"] for r in results] == [d["code"] for d in lint_json["diagnostics"]]


def test_in_a_monorepo_files_are_named_from_the_repositorys_root(
    run: Run, bus_repo: Callable[..., Path]
) -> None:
    """GitHub places annotations and code-scanning results by the path from the repository's root: a
    bus at services/bus/ names services/bus/topics/…; its JSON report stays relative to the bus."""
    repo = bus_repo({"topics/billing/typo.yaml": "name: billing.x.v1\nowner: billing\npartitons: 3\n"})
    nested = repo.parent / "services/bus"
    nested.parent.mkdir()
    repo.rename(nested)
    git(repo.parent, "init", "-q", "-b", "main")
    sarif = _valid_log(run("lint", "--repo", str(nested), "--format", "sarif", "--no-buf").out)
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]
    }
    assert uris == {"services/bus/topics/billing/typo.yaml"}
    github = run("lint", "--repo", str(nested), "--format", "github", "--no-buf").out
    assert "::error file=services/bus/topics/billing/typo.yaml,line=3,col=1,title=BUS004::" in github
    lint_json = json.loads(run("lint", "--repo", str(nested), "--format", "json", "--no-buf").out)
    assert {d["file"] for d in lint_json["diagnostics"]} == {"topics/billing/typo.yaml"}


def test_a_clean_repo_is_an_empty_run(run: Run, bus_repo: Callable[..., Path]) -> None:
    result = run("lint", "--repo", str(bus_repo()), "--format", "sarif", "--no-buf")
    assert result.code == 0, result.out
    assert _valid_log(result.out)["runs"][0]["results"] == []


def _check_sarif(run: Run, where: Path, case: str) -> CliResult:
    """`busctl check --against main -f sarif` on the check corpus case `case`, built at `where`."""
    return run("check", "--against", "main", "--repo", str(_repo(where, case)), "-f", "sarif")


def test_check_sarif_breaks_are_errors_and_approved_ones_suppressed(run: Run, tmp_path: Path) -> None:
    broken = _check_sarif(run, tmp_path / "a", "schema-type-changed")
    assert broken.code == 1
    (result,) = _valid_log(broken.out)["runs"][0]["results"]
    assert result["ruleId"] == "buf:FIELD_WIRE_JSON_COMPATIBLE_TYPE" and result["level"] == "error"
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "schemas/acme/billing/v1/invoice_created.proto"
    assert location["region"]["startLine"] > 0 and location["region"]["startColumn"] > 0
    approved = _check_sarif(run, tmp_path / "b", "approval-for-this-change")
    assert approved.code == 0
    (note,) = [r for r in _valid_log(approved.out)["runs"][0]["results"] if r["ruleId"] == "BUS504"]
    assert note["level"] == "note"
    assert note["suppressions"] == [
        {"kind": "inSource", "justification": "consumers read the latest value per key only; audit agreed"}
    ]


@pytest.mark.parametrize("command", [["plan", "--cluster", "local"], ["lag", "--cluster", "local"]])
def test_other_commands_refuse_sarif(run: Run, command: list[str]) -> None:
    result = run(*command, "--format", "sarif")
    assert result.code == 2 and "sarif" in result.err
