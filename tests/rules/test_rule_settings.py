"""bus.yaml `policy.rules`: severities changed or turned off wherever rules run (lint, the plan gate,
check), and shown by lint as one note."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from busctl.core.diagnostics import BusctlError
from busctl.planning import valid_bus
from tests.conftest import BASE_BUS, CliResult, git, write_files

Run = Callable[..., CliResult]
MakeBus = Callable[[dict[str, str | None]], Path]


@pytest.fixture
def fresh_bus(tmp_path: Path) -> MakeBus:
    """A fresh copy of the base bus with `files` overlaid, as often as a test asks."""
    made: list[Path] = []

    def make(files: dict[str, str | None]) -> Path:
        made.append(tmp_path / f"bus{len(made)}")
        shutil.copytree(BASE_BUS, made[-1])
        write_files(made[-1], files)
        return made[-1]

    return make


def _bus_yaml(rules: dict[str, str] | None) -> str:
    config = yaml.safe_load((BASE_BUS / "bus.yaml").read_text("utf-8"))
    if rules is not None:
        config["policy"]["rules"] = rules
    return yaml.safe_dump(config, sort_keys=False)


def _teams(**changes: dict[str, str | None]) -> str:
    """The base teams.yaml with some fields of some teams changed (None removes the field)."""
    teams = yaml.safe_load((BASE_BUS / "teams.yaml").read_text("utf-8"))
    for team, fields in changes.items():
        for key, value in fields.items():
            if value is None:
                teams["teams"][team].pop(key)
            else:
                teams["teams"][team][key] = value
    return yaml.safe_dump(teams, sort_keys=False)


NO_GITHUB = {"teams.yaml": _teams(billing={"github": None})}  # BUS204, a warning by default
NO_CHAT = {"teams.yaml": _teams(billing={"chat": None})}  # BUS203, an error by default


def test_lint_raises_a_warning_to_error_and_notes_the_settings(run: Run, fresh_bus: MakeBus) -> None:
    plain = run("lint", "--no-buf", "--repo", str(fresh_bus(NO_GITHUB)))
    assert plain.code == 0 and "warning BUS204" in plain.out and "BUS117" not in plain.out
    raised = fresh_bus({**NO_GITHUB, "bus.yaml": _bus_yaml({"BUS204": "error", "BUS105": "off"})})
    result = run("lint", "--no-buf", "--repo", str(raised))
    assert result.code == 1
    assert "error BUS204" in result.out
    text = " ".join(result.out.split())
    assert len(re.findall("BUS117", text)) == 1
    assert re.search(
        r"bus\.yaml:\d+:\d+: note BUS117 rule settings in effect: BUS105 off \(default warning\), "
        r"BUS204 error \(default warning\)",
        text,
    )
    assert re.search(r"1 error, 1 note in \d+ files$", text)


def test_lint_turns_a_rule_off(run: Run, fresh_bus: MakeBus) -> None:
    assert run("lint", "--no-buf", "--repo", str(fresh_bus(NO_CHAT))).code == 1
    turned_off = fresh_bus({**NO_CHAT, "bus.yaml": _bus_yaml({"BUS203": "off"})})
    result = run("lint", "--no-buf", "--repo", str(turned_off))
    assert result.code == 0, result.out
    assert "BUS203 off (default error)" in " ".join(result.out.split())
    assert "error BUS203" not in result.out


TWO_MESSAGES = {  # BUS305 (opt-in): the topic's file also defines InvoiceLine at top level
    "schemas/acme/billing/v1/invoice_created.proto": (
        BASE_BUS / "schemas/acme/billing/v1/invoice_created.proto"
    )
    .read_text("utf-8")
    .replace("  int64 amount_cents = 2;\n}", "  repeated InvoiceLine lines = 2;\n}")
    + "\n// One line.\nmessage InvoiceLine {\n  // What was sold.\n  string sku = 1;\n}\n"
}


def test_an_opt_in_rule_runs_only_once_a_severity_is_set(run: Run, fresh_bus: MakeBus) -> None:
    plain = run("lint", "--no-buf", "--repo", str(fresh_bus(TWO_MESSAGES)))
    assert plain.code == 0 and "BUS305" not in plain.out, plain.out
    for setting, code in (("error", 1), ("warning", 0)):
        result = run(
            "lint",
            "--no-buf",
            "--repo",
            str(fresh_bus({**TWO_MESSAGES, "bus.yaml": _bus_yaml({"BUS305": setting})})),
        )
        text = " ".join(result.out.split())
        assert result.code == code, result.out
        assert f"{setting} BUS305 schemas/acme/billing/v1/invoice_created.proto holds topic" in text
        assert f"BUS305 {setting} (default off)" in text


def test_plain_yaml_off_is_the_off_setting(fresh_bus: MakeBus) -> None:
    """YAML 1.1 reads an unquoted `off` as false: it still means off."""
    root = fresh_bus({**NO_CHAT, "bus.yaml": _bus_yaml(None) + "  rules: {BUS203: off}\n"})
    assert valid_bus(root).config.policy.rules == {"BUS203": "off"}


def test_the_plan_gate_follows_the_settings(fresh_bus: MakeBus) -> None:
    with pytest.raises(BusctlError, match="BUS203"):
        valid_bus(fresh_bus(NO_CHAT))
    valid_bus(fresh_bus({**NO_CHAT, "bus.yaml": _bus_yaml({"BUS203": "off"})}))  # an error turned off
    valid_bus(fresh_bus(NO_GITHUB))  # a warning does not block
    with pytest.raises(BusctlError, match="BUS204"):
        valid_bus(fresh_bus({**NO_GITHUB, "bus.yaml": _bus_yaml({"BUS204": "error"})}))


def test_a_bad_setting_blocks_plan_with_its_place(fresh_bus: MakeBus) -> None:
    with pytest.raises(BusctlError, match=r"bus\.yaml:\d+:\d+: BUS116 policy\.rules names no rule"):
        valid_bus(fresh_bus({"bus.yaml": _bus_yaml({"BUS2O4": "error"})}))


def _check_repo(root: Path, base_rules: dict[str, str] | None, head_rules: dict[str, str] | None) -> Path:
    """main: the base bus with `base_rules`; the working tree cuts billing's retention (BUS505, a
    warning by default) and sets `head_rules`."""
    shutil.copytree(BASE_BUS, root)
    write_files(root, {"bus.yaml": _bus_yaml(base_rules)})
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    topic = root / "topics/billing/invoice-created.yaml"
    topic.write_text(topic.read_text().replace("retention.ms: 7d", "retention.ms: 3d"))
    write_files(root, {"bus.yaml": _bus_yaml(head_rules)})
    return root


@pytest.mark.parametrize(
    ("base_rules", "head_rules", "code"),
    [
        (None, None, 0),  # BUS505 is a warning
        ({"BUS505": "error"}, {"BUS505": "error"}, 1),  # raised on main: a break
        (None, {"BUS505": "error"}, 0),  # raised by the change itself: applies once merged
        ({"BUS505": "error"}, {"BUS505": "off"}, 1),  # a change cannot waive its own finding
    ],
)
def test_check_takes_the_settings_of_the_merge_base(
    run: Run,
    tmp_path: Path,
    base_rules: dict[str, str] | None,
    head_rules: dict[str, str] | None,
    code: int,
) -> None:
    root = _check_repo(tmp_path / "repo", base_rules, head_rules)
    result = run("check", "--against", "main", "--repo", str(root))
    assert result.code == code, result.out + result.err
    assert "BUS505" in result.out


def test_check_drops_a_finding_turned_off_on_main(run: Run, tmp_path: Path) -> None:
    root = _check_repo(tmp_path / "repo", {"BUS505": "off"}, {"BUS505": "off"})
    result = run("check", "--against", "main", "--repo", str(root))
    assert result.code == 0 and "BUS505" not in result.out, result.out
