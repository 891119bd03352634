"""`busctl editor-schema`: the JSON Schemas editors use accept this repo's files and reject what lint
rejects."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
import yaml

from busctl.reports.registry import REPORTS
from tests.conftest import REPO_ROOT, CliResult

Run = Callable[..., CliResult]


def _schema(run: Run, kind: str) -> dict[str, object]:
    result = run("editor-schema", kind)
    assert result.code == 0, result.err
    schema: dict[str, object] = json.loads(result.out)
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def test_this_repos_files_validate(run: Run) -> None:
    topic = jsonschema.Draft202012Validator(_schema(run, "topic"))
    files = sorted((REPO_ROOT / "topics").rglob("*.yaml"))
    assert len(files) >= 10
    for path in files:
        topic.validate(yaml.safe_load(path.read_text()))
    jsonschema.validate(yaml.safe_load((REPO_ROOT / "teams.yaml").read_text()), _schema(run, "teams"))
    jsonschema.validate(yaml.safe_load((REPO_ROOT / "bus.yaml").read_text()), _schema(run, "bus"))


@pytest.mark.parametrize(
    ("document", "complaint"),
    [
        ({"name": "a.b.v1", "owner": "a", "description": "d", "schema": "x.Y", "partitons": 3}, "partitons"),
        ({"name": "a.b.v1", "owner": "a", "description": "d"}, "'schema' is a required property"),
        ({"name": "a.b.v1", "owner": "a", "description": "d", "schema": "x.Y", "partitions": 0}, "minimum"),
        (
            {"name": "a.b.v1", "owner": "a", "description": "d", "schema": "x.Y", "lifecycle": "gone"},
            "is not one of",
        ),
    ],
)
def test_editor_flags_what_lint_rejects(run: Run, document: dict[str, object], complaint: str) -> None:
    errors = list(jsonschema.Draft202012Validator(_schema(run, "topic")).iter_errors(document))
    assert any(complaint in error.message or complaint in str(error.schema) for error in errors), errors


def test_out_writes_all_four_and_check_detects_staleness(run: Run, tmp_path: Path) -> None:
    out = tmp_path / ".busctl"
    assert run("editor-schema", "--out", str(out), "--check").code == 1
    assert run("editor-schema", "--out", str(out)).code == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "bus.schema.json",
        "connector.schema.json",
        "teams.schema.json",
        "topic.schema.json",
    ]
    assert run("editor-schema", "--out", str(out), "--check").code == 0
    (out / "topic.schema.json").write_text("{}\n")
    assert run("editor-schema", "--out", str(out), "--check").code == 1


def test_needs_a_kind_or_out(run: Run) -> None:
    result = run("editor-schema")
    assert result.code == 2
    assert "name a schema kind" in result.err


def test_an_unknown_kind_is_a_usage_error_with_did_you_mean(run: Run) -> None:
    result = run("editor-schema", "plan-reprt")
    assert result.code == 2
    assert 'did you mean "plan-report"' in result.err
    result = run("editor-schema", "lint")  # a command's name means its report
    assert result.code == 2
    assert '(did you mean "lint-report"?)' in result.err


def test_every_report_has_a_valid_published_schema(run: Run) -> None:
    listed = run("editor-schema", "--list").out
    assert max(map(len, listed.splitlines())) <= 80
    for kind in REPORTS:
        assert kind in listed
        jsonschema.Draft202012Validator.check_schema(_schema(run, kind))
    assert (
        run("editor-schema", "--reports", "--out", str(REPO_ROOT / "docs" / "reports"), "--check").code == 0
    )


def test_every_report_is_validated_by_some_test() -> None:
    """Each report kind's --format json output is checked against its schema somewhere in the suite."""
    sources = "\n".join(path.read_text("utf-8") for path in (REPO_ROOT / "tests").rglob("*.py"))
    unchecked = [kind for kind in REPORTS if f'assert_report("{kind}"' not in sources]
    assert not unchecked, f"no test validates these reports with tests.reports.assert_report: {unchecked}"


def test_this_repos_schemas_are_up_to_date(run: Run) -> None:
    assert run("editor-schema", "--out", str(REPO_ROOT / ".busctl"), "--check").code == 0


def test_bus_schema_accepts_rule_settings(run: Run) -> None:
    bus = jsonschema.Draft202012Validator(_schema(run, "bus"))
    settings = yaml.safe_load("policy:\n  rules: {BUS204: error, BUS105: off, BUS505: warning}\n")
    assert settings["policy"]["rules"]["BUS105"] is False  # YAML 1.1's off: accepted as the setting
    bus.validate(settings)
    errors = list(bus.iter_errors({"policy": {"rules": {"BUS204": "fatal"}}}))
    assert errors and "fatal" in errors[0].message
