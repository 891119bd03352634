"""Run the official buf binary (PyPI buf-bin) and translate its JSON findings into Diagnostics."""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import sysconfig
import tempfile
from collections.abc import Callable
from pathlib import Path

from busctl.core.diagnostics import BusctlError, Diagnostic, Span

BUF_TIMEOUT_SECONDS = 300
_FINDINGS_EXIT = 100


def buf_binary() -> str:
    """Path of the buf executable installed next to this Python (buf-bin), else on PATH."""
    found = shutil.which("buf", path=sysconfig.get_path("scripts")) or shutil.which("buf")
    if not found:
        raise BusctlError(
            "the buf binary was not found", "install busctl's dependencies (pip install buf-bin==1.75.0)"
        )
    return found


class BufRun:
    """A buf invocation started in the background; `result()` waits and parses it."""

    def __init__(self, args: list[str], cwd: Path, schema_root: str, hint: Callable[[str], str]) -> None:
        self.schema_root = schema_root
        self.hint = hint
        self.command = [buf_binary(), *args, "--error-format", "json"]
        self.process = subprocess.Popen(
            self.command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def result(self) -> list[Diagnostic]:
        """Diagnostics for buf's findings; BusctlError if buf itself failed."""
        try:
            out, err = self.process.communicate(timeout=BUF_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            raise BusctlError(f"buf did not finish within {BUF_TIMEOUT_SECONDS}s") from None
        if self.process.returncode not in (0, _FINDINGS_EXIT):
            raise BusctlError(
                f"buf failed (exit {self.process.returncode}): {err.strip() or out.strip()}",
                f"run `{' '.join(self.command[1:])}` in {self.schema_root}/ to see why",
            )
        return [self._diagnostic(json.loads(line)) for line in out.splitlines() if line.strip()]

    def _diagnostic(self, finding: dict[str, object]) -> Diagnostic:
        rule = str(finding.get("type", "BUF"))
        path = finding.get("path")
        span = Span(
            f"{self.schema_root}/{path}" if path else self.schema_root,
            int(str(finding.get("start_line", 0))),
            int(str(finding.get("start_column", 0))),
        )
        return Diagnostic(
            code=f"buf:{rule}",
            name=rule.lower(),
            message=str(finding.get("message", "")),
            span=span,
            hint=self.hint(rule),
        )


def _lint_hint(rule: str) -> str:
    if rule == "COMPILE":
        return "fix the .proto file so it compiles"
    return f"see https://buf.build/docs/lint/rules/#{rule.lower()} (or `// buf:lint:ignore {rule}`)"


def _breaking_hint(rule: str) -> str:
    return (
        f"make the change compatible (see https://buf.build/docs/breaking/rules/), or approve it in the "
        f"topic file: approvals: [{{rule: buf:{rule}, reason: ...}}]"
    )


@functools.cache
def breaking_rules() -> frozenset[str] | None:
    """The ids of every buf breaking rule (deprecated ones too), from the buf binary itself; None when
    buf is not installed. Asked once per run (`buf config ls-breaking-rules --format json`)."""
    try:
        binary = buf_binary()
    except BusctlError:
        return None
    command = [binary, "config", "ls-breaking-rules", "--format", "json", "--include-deprecated"]
    with tempfile.TemporaryDirectory(prefix="busctl-buf-") as empty:  # no buf.yaml decides the version
        done = subprocess.run(command, cwd=empty, capture_output=True, text=True, timeout=BUF_TIMEOUT_SECONDS)
    if done.returncode != 0:
        raise BusctlError(
            f"buf failed (exit {done.returncode}): {done.stderr.strip()}", f"run `{' '.join(command)}`"
        )
    return frozenset(str(json.loads(line)["id"]) for line in done.stdout.splitlines() if line.strip())


def start_lint(repo: Path, schema_root: str) -> BufRun:
    """Start `buf lint` on the schema module (its buf.yaml decides the rules)."""
    return BufRun(["lint"], repo / schema_root, schema_root, _lint_hint)


def start_breaking(repo: Path, schema_root: str, against: Path, category: str) -> BufRun:
    """Start `buf breaking` of the schema module against a FileDescriptorSet (the base's), using the
    breaking category from bus.yaml; imports (well-known types) are excluded from the comparison."""
    config = json.dumps({"version": "v2", "breaking": {"use": [category]}})
    return BufRun(
        ["breaking", ".", "--against", str(against), "--exclude-imports", "--config", config],
        repo / schema_root,
        schema_root,
        _breaking_hint,
    )
