"""A corpus of broken bus repos, one per kind of mistake users make: `busctl lint` must name each one.

Each case is a directory `cases/<NN-short-name>/` holding only the files that differ from the minimal
valid bus (tests/rules/base, overlay semantics) and an `expect.yaml`:

    code: BUS002                      # or buf:FIELD_LOWER_SNAKE_CASE
    file: topics/billing/invoice-created.yaml
    line: 8                           # 1-based; 0 = the whole file (no position)
    col: 1                            # optional
    message: duplicate key            # a substring of the message
    hint: did you mean                # optional: a substring of the hint
    also: [BUS101]                    # optional: other codes the same mistake unavoidably produces
    delete: [teams.yaml]              # optional: base files the case removes
    generate: alias_bomb              # optional: a generator below writes the (hostile) files at run time
    xfail: why busctl gets it wrong   # optional: a suspected busctl bug; the expectation above is the
                                      # correct behaviour and the case is a strict xfail until it is fixed

Each case must fail for its one intended reason: exit code 1, the diagnostic at that place, no other
finding (errors or warnings) except those listed in `also`, and never a traceback or a crash report.
Hostile inputs (alias bomb, 50 MB file, NUL bytes, symlinks out of the repo, non-UTF-8 bytes) are built
by the generators at run time so nothing huge or binary is committed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

import busctl
from tests.conftest import BASE_BUS, CliResult

CASES_DIR = Path(__file__).parent / "cases"
TOPIC = "topics/billing/invoice-created.yaml"
EXPECT_KEYS = {"code", "file", "line", "col", "message", "hint", "also", "delete", "generate", "xfail"}


# ---------------------------------------------------------------- generators of hostile inputs


def _base_topic() -> str:
    return (BASE_BUS / TOPIC).read_text("utf-8")


def _alias_bomb(root: Path) -> None:
    """Billion laughs: 9 levels of 10 aliases each expand to 10^9 strings."""
    lol = ", ".join(['"lol"'] * 10)
    lines = [_base_topic().rstrip("\n"), f"lol0: &l0 [{lol}]"]
    for level in range(1, 10):
        refs = ", ".join([f"*l{level - 1}"] * 10)
        lines.append(f"lol{level}: &l{level} [{refs}]")
    (root / TOPIC).write_text("\n".join(lines) + "\n", "utf-8")


def _huge_file(root: Path) -> None:
    """A 50 MB topic file (a valid topic followed by comment lines)."""
    padding = ("# " + "x" * 1021 + "\n").encode()
    with (root / TOPIC).open("wb") as out:
        out.write(_base_topic().encode())
        for _ in range(50 * 1024):
            out.write(padding)


def _nul_bytes(root: Path) -> None:
    """A file that is binary: a NUL byte on line 3."""
    text = _base_topic().replace("description: An invoice", "description: An\0invoice", 1)
    (root / TOPIC).write_bytes(text.encode())


def _outside(root: Path) -> Path:
    """A directory next to the repo, i.e. outside it."""
    outside = root.parent / "outside"
    outside.mkdir(exist_ok=True)
    return outside


def _symlink_escape(root: Path) -> None:
    """The topic file is a symlink to a file outside the repo (think /etc/passwd)."""
    target = _outside(root) / "invoice-created.yaml"
    target.write_text(_base_topic(), "utf-8")
    (root / TOPIC).unlink()
    (root / TOPIC).symlink_to(target)


def _symlink_dir_escape(root: Path) -> None:
    """topics/shared is a symlink to a directory outside the repo."""
    target = _outside(root) / "shared"
    target.mkdir()
    (target / "leak.yaml").write_text(_base_topic(), "utf-8")
    (root / "topics" / "shared").symlink_to(target, target_is_directory=True)


def _non_utf8(root: Path) -> None:
    """A topic file saved as Latin-1 by an old editor: 0xE9 ('é') on line 3."""
    text = _base_topic().replace("An invoice was created.", "Une facture a été créée.", 1)
    (root / TOPIC).write_bytes(text.encode("latin-1"))


GENERATORS: dict[str, Callable[[Path], None]] = {
    "alias_bomb": _alias_bomb,
    "huge_file": _huge_file,
    "nul_bytes": _nul_bytes,
    "symlink_escape": _symlink_escape,
    "symlink_dir_escape": _symlink_dir_escape,
    "non_utf8": _non_utf8,
}
SUBPROCESS_CASES = ["alias_bomb", "non_utf8", "symlink_escape"]


# ---------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    name: str
    directory: Path
    expect: dict[str, Any]

    @property
    def allowed(self) -> set[str]:
        return {self.expect["code"], *self.expect.get("also", [])}


def _load_cases() -> list[Case]:
    cases = []
    for directory in sorted(p for p in CASES_DIR.iterdir() if p.is_dir()):
        expect = yaml.safe_load((directory / "expect.yaml").read_text("utf-8"))
        cases.append(Case(directory.name, directory, expect))
    return cases


CASES = _load_cases()
CASE_PARAMS = [
    pytest.param(
        case,
        id=case.name,
        marks=[pytest.mark.xfail(strict=True, reason=case.expect["xfail"])] if "xfail" in case.expect else [],
    )
    for case in CASES
]


def build_repo(case: Case, tmp_path: Path) -> Path:
    """tests/rules/base copied to tmp, the case's files overlaid, its deletions and generator applied."""
    root = tmp_path / "bus"
    shutil.copytree(BASE_BUS, root)
    for source in sorted(case.directory.rglob("*")):
        rel = source.relative_to(case.directory)
        if source.is_dir() or rel.as_posix() == "expect.yaml":
            continue
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, root / rel)
    for rel in case.expect.get("delete", []):
        target = root / rel
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    if "generate" in case.expect:
        GENERATORS[case.expect["generate"]](root)
    return root


@dataclass
class TextFinding:
    where: str
    severity: str
    code: str
    message: str
    hint: str


_TEXT_LINE = re.compile(r"^(?P<where>\S.*?): (?P<severity>error|warning) (?P<code>\S+) (?P<message>.*)$")


def parse_text(out: str) -> list[TextFinding]:
    """The findings of `busctl lint` text output: `file:line:col: severity CODE message` + `    hint: ...`,
    each wrapped at 80 columns onto indented lines (joined again here)."""
    paragraphs: list[list[str]] = []  # [the finding's line, its hint], continuation lines joined
    for line in out.splitlines():
        if not line.startswith(" "):
            paragraphs.append([line, ""])
        elif paragraphs and line.startswith("    hint: "):
            paragraphs[-1][1] = line.removeprefix("    hint: ")
        elif paragraphs:
            paragraphs[-1][1 if paragraphs[-1][1] else 0] += " " + line.strip()
    findings: list[TextFinding] = []
    for head, hint in paragraphs:
        match = _TEXT_LINE.match(head)
        if match:
            findings.append(TextFinding(**match.groupdict(), hint=hint))
    return findings


def expected_where(expect: dict[str, Any]) -> re.Pattern[str]:
    file, line = re.escape(expect["file"]), expect["line"]
    if line == 0:
        return re.compile(file)
    col = expect.get("col")
    return re.compile(f"{file}:{line}:{col if col is not None else '[0-9]+'}")


def assert_no_crash(result: CliResult) -> None:
    both = result.out + result.err
    assert "Traceback" not in both, both
    assert "unexpected error" not in both, both  # app.py's crash boundary


# ---------------------------------------------------------------- tests


def test_corpus_is_well_formed() -> None:
    assert len(CASES) >= 45
    names = [c.name for c in CASES]
    assert all(re.fullmatch(r"[0-9]{2}-[a-z0-9-]+", n) for n in names), names
    assert len({n[:2] for n in names}) == len(names), "case numbers must be unique"
    for case in CASES:
        assert set(case.expect) <= EXPECT_KEYS, (case.name, set(case.expect) - EXPECT_KEYS)
        assert {"code", "file", "line", "message"} <= set(case.expect), case.name
        if "generate" in case.expect:
            assert case.expect["generate"] in GENERATORS, case.name
        else:
            overlaid = [p for p in case.directory.rglob("*") if p.is_file() and p.name != "expect.yaml"]
            assert overlaid or case.expect.get("delete"), f"{case.name} changes nothing"
    assert set(SUBPROCESS_CASES) <= {c.expect.get("generate") for c in CASES}


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_bad_input_text(case: Case, tmp_path: Path, run: Callable[..., CliResult]) -> None:
    root = build_repo(case, tmp_path)
    result = run("lint", "--repo", str(root))
    assert_no_crash(result)
    assert result.code == 1, result.out + result.err
    expect = case.expect
    findings = parse_text(result.out)
    where = expected_where(expect)
    hits = [f for f in findings if f.code == expect["code"] and where.fullmatch(f.where)]
    assert hits, f"no {expect['code']} at {where.pattern} in:\n{result.out}"
    hit = next((f for f in hits if expect["message"] in f.message), None)
    assert hit is not None, f"message {expect['message']!r} not in {[f.message for f in hits]}"
    assert hit.severity == "error"
    if "hint" in expect:
        assert expect["hint"] in hit.hint, hit.hint
    stray = [f"{f.where} {f.code} {f.message}" for f in findings if f.code not in case.allowed]
    assert not stray, f"{case.name} fails for other reasons too: {stray}"


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_bad_input_json(case: Case, tmp_path: Path, run: Callable[..., CliResult]) -> None:
    root = build_repo(case, tmp_path)
    result = run("lint", "--repo", str(root), "--format", "json")
    assert_no_crash(result)
    assert result.code == 1, result.out + result.err
    document = json.loads(result.out)
    assert document["format_version"] == 1
    expect = case.expect
    hits = [
        d
        for d in document["diagnostics"]
        if d["code"] == expect["code"]
        and d["file"] == expect["file"]
        and d["line"] == expect["line"]
        and ("col" not in expect or d["column"] == expect["col"])
        and expect["message"] in d["message"]
        and expect.get("hint", "") in d["hint"]
    ]
    assert hits, json.dumps(document["diagnostics"], indent=1)
    assert hits[0]["severity"] == "error"
    assert document["summary"]["errors"] >= 1
    stray = [d for d in document["diagnostics"] if d["code"] not in case.allowed]
    assert not stray, stray


def _package_path() -> str:
    """The directory holding the busctl package, for PYTHONPATH (works from a checkout or an install)."""
    return str(Path(busctl.__file__).resolve().parent.parent)


@pytest.mark.parametrize("generator", SUBPROCESS_CASES)
def test_hostile_input_in_a_real_process(generator: str, tmp_path: Path) -> None:
    """What a terminal shows: a real `python -m busctl` process, no traceback on stdout or stderr."""
    case = next(c for c in CASES if c.expect.get("generate") == generator)
    root = build_repo(case, tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("BUSCTL_DEBUG", "PYTHONPATH")}
    env["PYTHONPATH"] = _package_path()
    done = subprocess.run(
        [sys.executable, "-m", "busctl", "lint", "--repo", str(root)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert_no_crash(CliResult(done.returncode, done.stdout, done.stderr))
    assert done.returncode == 1, done.stdout + done.stderr
    findings = parse_text(done.stdout)
    assert any(f.code == case.expect["code"] and case.expect["message"] in f.message for f in findings), (
        done.stdout
    )
