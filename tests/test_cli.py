"""The command line as a user meets it: help, exit codes, formats, the error boundary."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer

from busctl import workspace
from busctl.app import app
from busctl.commands.common import interactive, progress
from tests.conftest import REPO_ROOT, CliResult
from tests.reports import assert_report

Run = Callable[..., CliResult]
COMMANDS = [  # the README's command reference, in `busctl --help` order
    "lint",
    "check",
    "plan",
    "apply",
    "import",
    "owner",
    "topics",
    "describe",
    "codeowners",
    "comment",
    "lag",
    "connectors",
    "verify",
    "alerts",
    "rules",
    "schema",
    "editor-schema",
    "init",
]
SUBCOMMANDS = [
    "schema show",
    "schema list",
    "connectors status",
]  # commands of a command, each with its own help


def _listed(help_text: str) -> dict[str, str]:
    """The commands of `busctl --help`'s Commands section, each with its summary."""
    section = help_text.split("\nCommands:\n", 1)[1]
    return dict(line.split(maxsplit=1) for line in section.splitlines() if line.startswith("  "))


def test_help_lists_exactly_the_documented_commands(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    result = run("--help")
    assert result.code == 0
    listed = _listed(result.out)
    assert list(listed) == COMMANDS
    cut = [name for name, summary in listed.items() if summary.endswith("...")]
    assert not cut, f"summaries cut short at 80 columns (shorten the docstring's first line): {cut}"
    assert run("-h").out == result.out


def test_readme_documents_every_command() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    assert sorted(set(re.findall(r"^### `busctl ([a-z-]+)", readme, re.MULTILINE))) == sorted(COMMANDS)


@pytest.mark.parametrize("name", [*COMMANDS, *SUBCOMMANDS])
def test_each_command_has_help_with_one_example(run: Run, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    words = name.split()
    result = run(*words, "-h")
    assert result.code == 0 and result.out.startswith(f"Usage: busctl {name} ")
    assert run(*words, "--help").out == result.out
    # these read no repo (schema's subcommands do)
    assert "--repo DIR" in result.out or name in {
        "rules",
        "schema",
        "connectors",
        "editor-schema",
        "init",
        "comment",
    }
    typed = re.findall(r"^ +(?:-\w, )?--[\w-]+ <.*?>", result.out, re.MULTILINE)
    assert not typed, f"options shown with typer's type name, not a metavar (DIR, FILE, ...): {typed}"
    command: Any = typer.main.get_command(app)
    for word in words:
        command = command.get_command(typer.Context(command), word)
    docstring = command.help or ""
    written = [line.strip() for line in docstring.splitlines() if line.strip().startswith("Example: ")]
    shown = [line.strip() for line in result.out.splitlines() if line.strip().startswith("Example: ")]
    assert len(written) == 1 and written[0].startswith(f"Example: busctl {name} ")
    assert shown == written  # on one line: not rewrapped into something that cannot be pasted


def test_version(run: Run) -> None:
    result = run("--version")
    assert result.code == 0 and result.out.startswith("busctl ")


def test_usage_error_exits_2(run: Run) -> None:
    assert run("lint", "--no-such-flag").code == 2
    assert run("lint", "--format", "yaml").code == 2


@pytest.mark.parametrize(
    ("command", "option", "value"),
    [
        (command, "--timeout", value)
        for command in ("plan", "apply", "import", "lag", "topics", "describe")
        for value in ("0", "0.5", "inf", "1e12")
    ]
    + [("lag", "--interval", value) for value in ("inf", "1e12")],
)
def test_seconds_out_of_range_are_usage_errors(run: Run, command: str, option: str, value: str) -> None:
    """librdkafka refuses a timeout under 1 s (and overflows past 2^31 ms), sleep() an endless
    interval: each is a usage error before anything connects, not a bus.yaml error or a crash."""
    args = ["billing.invoice-paid.v1"] if command == "describe" else ["--cluster", "local"]
    result = run(command, *args, option, value, "--repo", str(REPO_ROOT))
    assert result.code == 2, result.err
    assert f"Invalid value for '{option}'" in result.err


def test_an_out_file_that_cannot_be_written_is_an_error(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "missing" / "lint.json"
    result = run("lint", "--repo", str(REPO_ROOT), "--out", str(out))
    assert result.code == 1 and "unexpected error" not in result.err
    assert f"error: cannot write {out}: No such file or directory" in result.err


def test_a_generated_file_that_cannot_be_written_is_an_error(run: Run, tmp_path: Path) -> None:
    for name in ("bus.yaml", "teams.yaml", "topics", "schemas"):
        copy = shutil.copytree if (REPO_ROOT / name).is_dir() else shutil.copy
        copy(REPO_ROOT / name, tmp_path / name)
    (tmp_path / ".github").write_text("a file where the directory should be\n")
    result = run("codeowners", "--repo", str(tmp_path))
    assert result.code == 1 and "unexpected error" not in result.err
    assert "cannot write " in result.err and ".github: File exists" in result.err


def test_this_repo_is_lint_clean(run: Run) -> None:
    result = run("lint", "--repo", str(REPO_ROOT))
    assert result.code == 0, result.out
    assert "no problems" in result.out


def test_lint_json_is_versioned(run: Run, bus_repo: Callable[..., Path]) -> None:
    repo = bus_repo({"topics/billing/invoice-created.yaml": "name: billing.x.v1\nowner: billing\n"})
    result = run("lint", "--repo", str(repo), "--format", "json", "--no-buf")
    assert result.code == 1
    document = assert_report("lint-report", result.out)
    assert document["format_version"] == 1
    missing = [d for d in document["diagnostics"] if d["code"] == "BUS003"]
    assert {d["file"] for d in missing} == {"topics/billing/invoice-created.yaml"}
    assert document["summary"]["errors"] == len(missing) == 2


def test_lint_github_annotations(run: Run, bus_repo: Callable[..., Path]) -> None:
    repo = bus_repo(
        {"topics/billing/invoice-created.yaml": "name: billing.x.v1\nowner: billing\npartitons: 3\n"}
    )
    result = run("lint", "--repo", str(repo), "--format", "github", "--no-buf")
    assert result.code == 1
    line = next(x for x in result.out.splitlines() if "BUS004" in x)
    assert line.startswith("::error file=topics/billing/invoice-created.yaml,line=3,col=1,title=BUS004::")
    assert 'did you mean "partitions"' in line
    saved = repo.parent / "lint.json"
    again = run("lint", "--repo", str(repo), "--format", "github", "--no-buf", "--out", str(saved))
    assert again.out == result.out  # --out adds the JSON report without changing what is printed
    json_run = run("lint", "--repo", str(repo), "--format", "json", "--no-buf")
    assert saved.read_text() == json_run.out


def test_warnings_alone_pass(run: Run, bus_repo: Callable[..., Path]) -> None:
    repo = bus_repo(
        {
            "teams.yaml": (REPO_ROOT / "tests/rules/base/teams.yaml")
            .read_text()
            .replace('    github: "@acme/audit"\n', "")
        }
    )
    result = run("lint", "--repo", str(repo), "--no-buf")
    assert result.code == 0
    assert "warning BUS204" in result.out


def test_not_a_bus_repo(run: Run, tmp_path: Path) -> None:
    result = run("lint", "--repo", str(tmp_path))
    assert result.code == 1
    assert "not a bus repo" in result.err and "hint:" in result.err
    assert "Traceback" not in result.out + result.err


def test_crash_is_reported_without_traceback(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*_: Any, **__: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(workspace, "lint", explode)
    monkeypatch.delenv("BUSCTL_DEBUG", raising=False)
    result = run("lint", "--repo", str(REPO_ROOT))
    assert result.code == 1
    assert "unexpected error (RuntimeError: boom)" in result.err and "please report" in result.err
    assert "Traceback" not in result.err
    log = Path(result.err.split("the details are in ")[1].split(";")[0])
    assert "Traceback" in log.read_text()
    log.unlink()


def test_console_script_runs_as_a_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "busctl", "lint", "--repo", str(REPO_ROOT), "--no-buf"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_rules_listing(run: Run) -> None:
    result = run("rules", "--format", "json")
    rules = json.loads(result.out)["rules"]
    assert {"BUS101", "BUS201", "BUS302", "BUS401"} <= {r["id"] for r in rules if r["family"] == "lint"}
    assert {"BUS501", "BUS511"} <= {r["id"] for r in rules if r["family"] == "check"}


def test_progress_shows_on_a_terminal_and_stays_quiet_in_ci_and_pipes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CI", raising=False)
    with progress("reading cluster prod"):
        pass
    assert capsys.readouterr().err == ""  # stderr is a pipe here
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert interactive()
    with progress("reading cluster prod"):
        time.sleep(0.3)
    assert "reading cluster prod" in capsys.readouterr().err
    monkeypatch.setenv("CI", "true")
    assert not interactive()
    with progress("reading cluster prod"):
        pass
    assert capsys.readouterr().err == ""


def test_a_command_imports_only_its_own_dependencies() -> None:
    """Start-up pays for the command that runs: plan needs Kafka and protoc, not git or jinja2."""
    probe = (
        "import sys, typer, busctl.app as app\n"
        "group = typer.main.get_command(app.app)\n"
        "group.get_command(typer.Context(group), 'plan')\n"
        "print(' '.join(m for m in ('git', 'jinja2', 'confluent_kafka') if m in sys.modules))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.split() == ["confluent_kafka"]
