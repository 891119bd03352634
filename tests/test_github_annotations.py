"""Workflow annotations: hostile text can neither split an annotation nor forge one.

`parse` reads output the way the Actions runner does (ActionCommand.TryParseV2 in actions/runner):
one command per line (CR, LF and CRLF end lines), leading spaces trimmed, the command info up to the
first `::` after the opening one, properties split on `,` then on the first `=`, and the escapes
undone (properties: %0D %0A %3A %2C, then %25; messages: %0D %0A, then %25).
"""

from __future__ import annotations

import ast
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from busctl.commands.generated import print_outcome
from busctl.core.diagnostics import Diagnostic, Severity, Span
from busctl.core.generated import FileState, GeneratedFile
from busctl.core.plan import Action, Change, Plan
from busctl.render import diagnostics as lint_render
from busctl.render import plan as plan_render
from busctl.render.github import annotation, inert
from tests.conftest import BASE_BUS, REPO_ROOT, CliResult

COMMANDS = {"error", "warning", "notice", "debug", "group", "endgroup", "add-mask", "stop-commands"}


@dataclass
class Command:
    name: str
    properties: dict[str, str] = field(default_factory=dict)
    data: str = ""


def _unescape(text: str, pairs: tuple[tuple[str, str], ...]) -> str:
    for escaped, char in pairs:
        text = text.replace(escaped, char)
    return text


_DATA = (("%0D", "\r"), ("%0A", "\n"), ("%25", "%"))
_PROPERTY = (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%"))


def parse(output: str) -> list[Command]:
    """Every workflow command the runner would see in `output`."""
    found = []
    for line in re.split(r"\r\n|\r|\n", output):
        line = line.lstrip()
        end = line.find("::", 2)
        if not line.startswith("::") or end < 0:
            continue
        info = line[2:end]
        name, _, props = info.partition(" ")
        if name not in COMMANDS:
            continue
        command = Command(name, data=_unescape(line[end + 2 :], _DATA))
        for prop in filter(None, props.strip().split(",")):
            key, sep, value = prop.partition("=")
            if sep and key and value:
                command.properties[key] = _unescape(value, _PROPERTY)
        found.append(command)
    return found


HOSTILE = [
    "two\nlines",
    "crlf\r\n::error::forged",
    "cr only\r::warning file=x::forged",
    "100% sure, 50%0A of the time %25",
    "a::b::c",
    "::error::at the start",
    "trailing newline\n",
    "unicode \u2028 separator and é",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_message_title_and_file_come_through_whole(text: str) -> None:
    line = annotation(
        "warning", text, file=f"topics/{text}, line=9:x.yaml", line=3, col=7, end_line=4, title=text
    )
    assert "\n" not in line and "\r" not in line
    (command,) = parse(line)
    assert command.name == "warning" and command.data == text
    assert command.properties == {
        "file": f"topics/{text}, line=9:x.yaml",
        "line": "3",
        "col": "7",
        "endLine": "4",
        "title": text,
    }


def test_properties_are_left_out_when_empty_or_zero() -> None:
    assert annotation("notice", "m") == "::notice::m"
    assert annotation("error", "m", file="a.yaml") == "::error file=a.yaml::m"
    assert annotation("error", "m", file="a.yaml", line=2) == "::error file=a.yaml,line=2::m"


def test_exact_escapes() -> None:
    line = annotation("error", "50%\r\n:,", file="a:b,c%.yaml", title="T: x")
    assert line == "::error file=a%3Ab%2Cc%25.yaml,title=T%3A x::50%25%0D%0A:,"


def test_an_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="not an annotation level"):
        annotation("fatal", "m")  # type: ignore[arg-type]


def test_lint_output_has_exactly_one_annotation_per_finding() -> None:
    evil = Diagnostic(
        code="BUS001",
        message="bad\n::error file=bus.yaml,line=1::forged\r\n::add-mask::x",
        span=Span("topics/a,b:c.yaml", 2, 5),
        hint="100%\nhint",
    )
    whole_file = Diagnostic(code="buf:X", message="m", span=Span("s.proto"), severity=Severity.WARNING)
    note = Diagnostic(code="BUS105", message="off", span=Span("bus.yaml", 4, 3), severity=Severity.NOTE)
    commands = parse(lint_render.as_github([evil, whole_file, note], 3))
    assert [c.name for c in commands] == ["error", "warning", "notice"]
    assert commands[0].data == f"{evil.message}\n{evil.hint}"
    assert commands[0].properties == {"file": "topics/a,b:c.yaml", "line": "2", "col": "5", "title": "BUS001"}
    assert commands[1].properties == {"file": "s.proto", "title": "buf:X"}


def test_plan_annotations_keep_hostile_topics_and_reasons_whole() -> None:
    evil = "billing.x.v1\n::error file=bus.yaml::forged"
    plan = Plan(
        cluster="prod",
        cluster_id="c",
        fingerprint="f",
        changes=[
            Change(Action.BLOCKED, evil, reason="100%, really:\r\nno"),
            Change(Action.DELETE_TOPIC, evil, risk="high"),
        ],
    )
    commands = parse(plan_render.as_github(plan))
    assert [c.name for c in commands] == ["error", "warning"]
    assert commands[0].data == f"{evil}: 100%, really:\r\nno"
    assert commands[0].properties == {"title": "busctl plan: blocked"}
    assert commands[1].data.startswith(evil) and commands[1].properties == {"title": "busctl plan: high risk"}


def _code_strings(path: Path) -> list[str]:
    """The string literals of a module, docstrings left out."""
    tree = ast.parse(path.read_text("utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_annotations_are_built_only_by_render_github() -> None:
    package = REPO_ROOT / "cli" / "busctl"
    builders = [
        path.relative_to(package).as_posix()
        for path in sorted(package.rglob("*.py"))
        if any(re.search(r"^::|::(error|warning|notice)\b", text) for text in _code_strings(path))
    ]
    assert builders == ["render/github.py"], "build annotations with busctl.render.github.annotation"


def runs(output: str) -> list[Command]:
    """The commands the runner would carry out, line by line: `parse`, except that after
    `::stop-commands::TOKEN` nothing runs until the line `::TOKEN::`."""
    carried: list[Command] = []
    stopped_by = ""
    for line in re.split(r"\r\n|\r|\n", output):
        if stopped_by:
            stopped_by = "" if line.strip() == f"::{stopped_by}::" else stopped_by
            continue
        for command in parse(line):
            if command.name == "stop-commands":
                stopped_by = command.data
            else:
                carried.append(command)
    return carried


QUOTED = "  ::error title=forged::this came from a file in the repo\n"


def test_inert_frames_text_with_a_fresh_token_only_in_github_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    assert inert(QUOTED) == QUOTED and [c.name for c in runs(QUOTED)] == ["error"]  # the threat
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    framed, again = inert(QUOTED), inert(QUOTED)
    assert framed != again and QUOTED in framed
    first, *_, last = framed.splitlines()
    assert first.startswith("::stop-commands::") and last == f"::{first.removeprefix('::stop-commands::')}::"
    assert runs(framed) == [] and [c.name for c in runs(framed + "::notice::after\n")] == ["notice"]


def test_a_stale_generated_files_diff_runs_no_command_it_quotes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    current, wanted = f"a\n{QUOTED}b\n", f"a\n{QUOTED}c\n"
    stale = GeneratedFile(".github/CODEOWNERS", FileState.STALE, current, wanted)
    print_outcome([stale], {stale.path: wanted}, "busctl codeowners")
    out = capsys.readouterr().out
    assert f" {QUOTED}" in out  # the quoted line is a context line of the diff
    assert runs(out) == []


def test_an_error_quoting_a_hostile_topic_name_runs_no_command(
    run: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`busctl topics` refuses declarations with lint errors, quoting them on stderr, which a workflow
    log shows too: a topic name holding a newline and `::error::` must not forge an annotation there."""
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    shutil.copytree(BASE_BUS, tmp_path, dirs_exist_ok=True)
    (tmp_path / "topics" / "billing" / "forged.yaml").write_text(
        'name: "billing.forged\\n::error title=forged::x.v1"\nowner: billing\n'
        "description: Forged.\nschema: acme.billing.v1.InvoiceCreated\n"
    )
    result = run("topics", "--repo", str(tmp_path))
    assert result.code == 1
    assert "error title=forged" in result.err  # the threat is quoted ...
    assert runs(result.err) == []  # ... and inert
