"""The registry holds every code busctl emits and nothing else; `busctl rules` and the README show it."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path

from busctl import workspace
from busctl.render import rules as render
from busctl.render.style import WIDTH
from busctl.rules.base import BaseRule, entries
from tests.conftest import REPO_ROOT, CliResult
from tests.reports import assert_report

Run = Callable[..., CliResult]
PACKAGE = REPO_ROOT / "cli" / "busctl"
CODE = re.compile(r"^BUS\d{3}$")
README_BLOCK = re.compile(
    r"<!-- BEGIN busctl rules --format markdown -->\n(.*?)<!-- END busctl rules --format markdown -->", re.S
)


def _emitted() -> dict[str, str]:
    """Every code the source emits -> a file emitting it: a "BUSnnn" string anywhere but a registry
    entry's `id = ...`, an `Entry.finding(...)` call on a registry class, or a rule's own check."""
    classes = {entry.__name__: entry.id for entry in entries()}
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(REPO_ROOT).as_posix()
        tree = ast.parse(path.read_text("utf-8"))
        ids = {
            id(node.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign) and [getattr(t, "id", "") for t in node.targets] == ["id"]
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE.match(node.value):
                if id(node) not in ids:
                    found.setdefault(node.value, rel)
            elif (
                isinstance(node, ast.Attribute)
                and node.attr == "finding"
                and isinstance(node.value, ast.Name)
                and node.value.id in classes
            ):
                found.setdefault(classes[node.value.id], rel)
    for entry in entries():
        if issubclass(entry, BaseRule) and "check" in vars(entry):
            found.setdefault(entry.id, entry.__module__)
    return found


def test_every_emitted_code_is_registered() -> None:
    registered = {entry.id for entry in entries()}
    unlisted = {code: where for code, where in _emitted().items() if code not in registered}
    assert not unlisted, f"codes emitted but missing from the registry (add an entry): {unlisted}"


def test_every_registered_code_is_emitted() -> None:
    emitted = _emitted()
    unused = [entry.id for entry in entries() if entry.id not in emitted]
    assert not unused, f"registry entries nothing emits (remove them, or retire the id): {unused}"


def test_the_scan_sees_each_way_of_emitting() -> None:
    emitted = _emitted()
    assert emitted["BUS001"] == "cli/busctl/loading/yamlfile.py"  # a literal in a loader
    assert emitted["BUS512"] == "cli/busctl/check.py"  # ApprovalUnused.finding(...)
    assert emitted["BUS204"] == "busctl.rules.teams"  # a rule's check


def test_readme_rule_tables_are_generated_from_the_registry() -> None:
    block = README_BLOCK.search((REPO_ROOT / "README.md").read_text("utf-8"))
    assert block is not None, "README.md lost its generated rules block markers"
    assert block.group(1) == render.as_markdown(entries()), (
        "README.md's rule tables differ from the registry: replace the block between the markers "
        "with the output of `busctl rules --format markdown`"
    )


def test_listing_fits_80_columns_and_names_every_code(run: Run) -> None:
    result = run("rules")
    assert result.code == 0
    lines = result.out.splitlines()
    assert max(len(line) for line in lines) <= WIDTH, [line for line in lines if len(line) > WIDTH]
    listed = {line.split()[0] for line in lines if CODE.match(line.split(" ")[0])}
    assert listed == {entry.id for entry in entries()}
    assert re.search(r"^BUS001  error    yaml-syntax$", result.out, re.M)  # load errors: locked, unmarked
    assert re.search(r"^BUS104  error    topic\.protected +locked$", result.out, re.M)
    assert re.search(r"^BUS204  warning  team\.github-handle$", result.out, re.M)
    assert re.search(r"^BUS305  off      schema\.one-message-per-file$", result.out, re.M)  # opt-in


def test_one_rule_in_full(run: Run) -> None:
    result = run("rules", "bus204")
    assert result.code == 0
    assert result.out.startswith("BUS204 team.github-handle (lint rule, default warning)\n")
    assert "policy: {rules: {BUS204: error|warning|off}}" in result.out
    assert "\nBad:" in result.out and "\nGood:" in result.out and "**" not in result.out
    opt_in = run("rules", "BUS305")
    assert opt_in.out.startswith("BUS305 schema.one-message-per-file (lint rule, default off; error when")
    locked = run("rules", "BUS501")
    assert "locked: Kafka cannot remove partitions" in locked.out
    assert max(len(line) for line in locked.out.splitlines()) <= WIDTH


def test_unknown_rule_is_an_error_with_did_you_mean(run: Run) -> None:
    result = run("rules", "BUS2O4")
    assert result.code == 1
    assert 'no rule "BUS2O4"' in result.err and '"BUS204"' in result.err
    assert "Traceback" not in result.err


def test_json_is_the_rules_report(run: Run) -> None:
    result = run("rules", "--format", "json")
    document = assert_report("rules-report", result.out)
    rules = {r["id"]: r for r in document["rules"]}
    assert rules.keys() == {entry.id for entry in entries()}
    assert rules["BUS001"]["family"] == "load" and not rules["BUS001"]["configurable"]
    assert rules["BUS204"]["configurable"] and rules["BUS204"]["locked"] == ""
    assert rules["BUS512"] == {**rules["BUS512"], "family": "check", "severity": "warning"}
    assert rules["BUS305"]["opt_in"] and rules["BUS305"]["severity"] == "error"
    assert not rules["BUS204"]["opt_in"]
    assert "**Bad**" in rules["BUS204"]["doc"]


def test_markdown_is_the_readme_block(run: Run, tmp_path: Path) -> None:
    result = run("rules", "--format", "markdown")
    assert result.out == render.as_markdown(entries())
    assert "| BUS104 | topic.protected | error | locked: " in result.out
    assert "| BUS204 | team.github-handle | warning | yes |" in result.out
    assert "| BUS305 | schema.one-message-per-file | off | yes |" in result.out


def test_findings_carry_their_entry_name(bus_repo: Callable[[dict[str, str | None]], Path]) -> None:
    """Loaders and protoc set only the code; the name comes from the registry (one source)."""
    root = bus_repo(
        {
            "topics/billing/invoice-created.yaml": "name: a\nname: b\n",  # BUS002
            "topics/audit/events.yaml": "owner: [audit\n",  # BUS001
            "schemas/acme/audit/v1/audit_event.proto": 'syntax = "proto3";\nmessage X { string id = 1 }\n',
        }
    )
    found = workspace.lint(root, run_buf=False).report.items
    names = {entry.id: entry.name for entry in entries()}
    assert {"BUS001", "BUS002", "BUS301"} <= {d.code for d in found}
    assert all(d.name == names[d.code] for d in found if d.code in names), [(d.code, d.name) for d in found]


def test_github_format_is_a_usage_error(run: Run) -> None:
    result = run("rules", "--format", "github")
    assert result.code == 2 and "not github" in result.err


def test_every_rule_in_full_fits_80_columns() -> None:
    for entry in entries():
        lines = render.as_detail(entry).splitlines()
        assert max(len(line) for line in lines) <= WIDTH, entry.id
        assert {"Bad:", "Good:"} <= {line.split(" ")[0] for line in lines}, entry.id
