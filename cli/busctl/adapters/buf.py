"""Run the official buf binary (PyPI buf-bin) and translate its JSON findings into Diagnostics.

`buf lint` runs on groups of files (`--path`), at most `BATCH_FILES` per buf process, one after the
other in the background: buf's memory grows with the files it lints (3.5 GB for 10,000 files at once,
~450 MB per 1,000). A group holds every file buf's cross-file rules compare: files of one directory
(DIRECTORY_SAME_PACKAGE), of one package (PACKAGE_SAME_*), of packages importing each other in a cycle
(PACKAGE_NO_IMPORT_CYCLE). Each group's findings are cached under a digest of its files, the files
they import (transitively), buf.yaml and the buf version: an unchanged group is not linted again.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import sysconfig
import tempfile
import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from busctl.adapters.cache import Cache, digest
from busctl.adapters.protoc import ProtoSource
from busctl.core.diagnostics import BusctlError, Diagnostic, Span
from busctl.core.schemas import SchemaSet

BUF_TIMEOUT_SECONDS = 300
BATCH_FILES = 1000  # files linted by one buf process (memory: ~450 MB per 1,000 files)
_FINDINGS_EXIT = 100
_CACHE_KIND = "buf-lint"
_RULES_KIND = "buf-rules"
_CONFIG_FILES = ("buf.yaml", "buf.lock", "buf.work.yaml")


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

    def findings(self) -> list[dict[str, Any]]:
        """buf's findings as it prints them (JSON objects); BusctlError if buf itself failed."""
        try:
            out, err = self.process.communicate(timeout=BUF_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            raise BusctlError(f"buf did not finish within {BUF_TIMEOUT_SECONDS}s") from None
        if self.process.returncode not in (0, _FINDINGS_EXIT):
            args = self.command[1:] if len(self.command) <= 12 else [*self.command[1:3], "…"]
            raise BusctlError(
                f"buf failed (exit {self.process.returncode}): {err.strip() or out.strip()}",
                f"run `{' '.join(args)}` in {self.schema_root}/ to see why",
            )
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def result(self) -> list[Diagnostic]:
        """Diagnostics for buf's findings; BusctlError if buf itself failed."""
        return [_finding(f, self.schema_root, self.hint) for f in self.findings()]


def _finding(finding: Mapping[str, object], schema_root: str, hint: Callable[[str], str]) -> Diagnostic:
    """One of buf's JSON findings as a Diagnostic, its path made repo-relative."""
    rule = str(finding.get("type", "BUF"))
    path = finding.get("path")
    span = Span(
        f"{schema_root}/{path}" if path else schema_root,
        int(str(finding.get("start_line", 0))),
        int(str(finding.get("start_column", 0))),
    )
    return Diagnostic(
        code=f"buf:{rule}",
        name=rule.lower(),
        message=str(finding.get("message", "")),
        span=span,
        hint=hint(rule),
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


def breaking_rules(cache: Cache | None = None) -> frozenset[str] | None:
    """The ids of every buf breaking rule (deprecated ones too), from the buf binary itself; None when
    buf is not installed. Asked once per run (`buf config ls-breaking-rules --format json`), or read
    from `cache` for the same `buf --version`."""
    try:
        binary = buf_binary()
    except BusctlError:
        return None
    version = _buf_version() if cache is not None else ""
    key = cache.key(_RULES_KIND, [version]) if cache is not None and version else ""
    stored = cache.get(_RULES_KIND, key) if cache is not None and key else None
    if isinstance(stored, list) and all(isinstance(rule, str) for rule in stored):
        return frozenset(stored)
    rules = _ask_breaking_rules(binary)
    if cache is not None and key:
        cache.put(_RULES_KIND, key, sorted(rules))
    return rules


@functools.cache
def _ask_breaking_rules(binary: str) -> frozenset[str]:
    command = [binary, "config", "ls-breaking-rules", "--format", "json", "--include-deprecated"]
    with tempfile.TemporaryDirectory(prefix="busctl-buf-") as empty:  # no buf.yaml decides the version
        done = subprocess.run(command, cwd=empty, capture_output=True, text=True, timeout=BUF_TIMEOUT_SECONDS)
    if done.returncode != 0:
        raise BusctlError(
            f"buf failed (exit {done.returncode}): {done.stderr.strip()}", f"run `{' '.join(command)}`"
        )
    return frozenset(str(json.loads(line)["id"]) for line in done.stdout.splitlines() if line.strip())


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


def lint_groups(files: Mapping[str, tuple[str, Collection[str]]]) -> list[list[str]]:
    """Files (path -> (package, imports)) in the groups buf must lint together, each sorted, in order."""
    parent = {name: name for name in files}

    def find(name: str) -> str:
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    def union(names: Collection[str]) -> None:
        first, *rest = names
        for name in rest:
            parent[find(name)] = find(first)

    by_directory: dict[str, list[str]] = {}
    by_package: dict[str, list[str]] = {}
    for name, (package, _) in files.items():
        by_directory.setdefault(name.rpartition("/")[0], []).append(name)
        if package:
            by_package.setdefault(package, []).append(name)
    for members in (*by_directory.values(), *by_package.values()):
        union(members)
    imports = {
        package: {files[i][0] for f in members for i in files[f][1] if i in files and files[i][0]}
        for package, members in by_package.items()
    }
    for cycle in _cycles(imports):
        union([f for package in cycle for f in by_package[package]])
    groups: dict[str, list[str]] = {}
    for name in sorted(files):
        groups.setdefault(find(name), []).append(name)
    return list(groups.values())


def _cycles(graph: Mapping[str, Collection[str]]) -> list[list[str]]:
    """The strongly connected components of `graph` with more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in graph:
                    continue
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph[successor]))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(component)
    return found


@dataclass
class _Group:
    files: list[str]
    key: str = ""
    cached: list[dict[str, Any]] | None = None  # buf's findings, from the cache


@dataclass
class LintRun:
    """`buf lint` of a module, group by group, running in a background thread; `result()` waits."""

    module: Path
    schema_root: str
    cache: Cache | None
    sources: dict[str, ProtoSource]
    groups: list[_Group] = field(default_factory=list, init=False)
    _outcome: list[tuple[list[_Group], list[dict[str, Any]]]] = field(default_factory=list, init=False)
    _failure: list[Exception] = field(default_factory=list, init=False)
    _thread: threading.Thread | None = field(default=None, init=False)

    def start(self, groups: list[list[str]]) -> None:
        """In the background: look every group up in the cache, lint the others."""
        self.groups = [_Group(files) for files in groups]
        self._thread = threading.Thread(target=self._lint, daemon=True)
        self._thread.start()

    def _look_up(self) -> None:
        config = self._config_digest()
        for group in self.groups:
            if self.cache is not None and config:
                group.key = self.cache.key(_CACHE_KIND, [config, *self._key_parts(group.files)])
                stored = self.cache.get(_CACHE_KIND, group.key)
                if isinstance(stored, list) and all(isinstance(f, dict) for f in stored):
                    group.cached = stored

    def _config_digest(self) -> str:
        """buf's version and configuration files; "" (no caching) when they cannot be read."""
        version = _buf_version()
        try:
            return digest([version, *(self._read(name) for name in _CONFIG_FILES)]) if version else ""
        except OSError:
            return ""

    def _read(self, name: str) -> bytes:
        path = self.module / name
        return path.read_bytes() if path.is_file() else b"-"

    def _key_parts(self, files: list[str]) -> list[str]:
        """Each file of the group and of its transitive imports in the module, with its digest."""
        seen = set(files)
        frontier = list(files)
        while frontier:
            for name in self.sources[frontier.pop()].imports:
                if name in self.sources and name not in seen:
                    seen.add(name)
                    frontier.append(name)
        targets = set(files)
        return [f"{'lint' if n in targets else 'import'}:{n}:{self.sources[n].digest}" for n in sorted(seen)]

    def _lint(self) -> None:
        """The thread: cache lookups, then buf on the groups missed, in batches; any failure is kept
        for `result()` to raise (a lost one would look like a clean module)."""
        try:
            self._look_up()
            batch: list[_Group] = []
            for group in [*(g for g in self.groups if g.cached is None), None]:
                if group is not None:
                    batch.append(group)
                if batch and (group is None or sum(len(g.files) for g in batch) >= BATCH_FILES):
                    self._outcome.append((batch, self._run([f for g in batch for f in g.files])))
                    batch = []
        except Exception as err:  # re-raised in the caller's thread by result()
            self._failure.append(err)

    def _run(self, files: list[str]) -> list[dict[str, Any]]:
        paths = [arg for name in files for arg in ("--path", name)]
        return BufRun(["lint", *paths], self.module, self.schema_root, _lint_hint).findings()

    def result(self, schemas: SchemaSet | None = None) -> list[Diagnostic]:
        """Diagnostics for buf's findings; BusctlError if buf itself failed.

        With the compiled `schemas`, the groups are checked against protoc's packages and imports; if
        busctl's reading of a file missed one, the whole module is linted again, grouped by protoc's
        view, and nothing is cached. Without them (protoc failed), nothing new is cached."""
        assert self._thread is not None, "start() first"
        self._thread.join()
        if self._failure:
            raise self._failure[0]
        if schemas is not None and schemas.compiled and not self._read_right(schemas):
            retry = LintRun(self.module, self.schema_root, None, self.sources)
            retry.start(lint_groups(_compiled_view(schemas)))
            return retry.result()
        found = [f for g in self.groups if g.cached is not None for f in g.cached]
        for batch, findings in self._outcome:
            found += findings
            storable = self.cache is not None and schemas is not None and schemas.compiled
            if storable and not any(f.get("type") == "COMPILE" for f in findings):
                self._store(batch, findings)
        return [_finding(f, self.schema_root, _lint_hint) for f in found]

    def _store(self, batch: list[_Group], findings: list[dict[str, Any]]) -> None:
        """Cache each group's share of a batch's findings (a finding on no file of the batch: none)."""
        owner = {name: group for group in batch for name in group.files}
        share: dict[int, list[dict[str, Any]]] = {id(g): [] for g in batch}
        for finding in findings:
            group = owner.get(str(finding.get("path", "")))
            if group is None:
                return
            share[id(group)].append(finding)
        assert self.cache is not None
        for group in batch:
            if group.key:
                self.cache.put(_CACHE_KIND, group.key, share[id(group)])

    def _read_right(self, schemas: SchemaSet) -> bool:
        """Whether every file's package and imports, as protoc compiled them, are what the grouping used."""
        prefix = f"{self.schema_root}/"
        for proto in schemas.files.values():
            source = self.sources.get(proto.path.removeprefix(prefix))
            if source is None or source.package != proto.package or not set(proto.imports) <= source.imports:
                return False
        return len(schemas.files) == len(self.sources)


def _compiled_view(schemas: SchemaSet) -> dict[str, tuple[str, Collection[str]]]:
    prefix = f"{schemas.root}/"
    return {p.path.removeprefix(prefix): (p.package, p.imports) for p in schemas.files.values()}


@functools.cache
def _buf_version() -> str:
    """`buf --version`; "" when buf cannot say (then nothing buf decides is cached)."""
    try:
        done = subprocess.run(
            [buf_binary(), "--version"], capture_output=True, text=True, timeout=BUF_TIMEOUT_SECONDS
        )
    except (OSError, subprocess.SubprocessError, BusctlError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def start_lint(
    repo: Path, schema_root: str, sources: dict[str, ProtoSource], cache: Cache | None = None
) -> LintRun:
    """Start `buf lint` on the module's files (`sources`; its buf.yaml decides the rules), in groups,
    skipping those whose findings `cache` holds."""
    run = LintRun(repo / schema_root, schema_root, cache, sources)
    run.start(lint_groups({name: (s.package, s.imports) for name, s in sources.items()}))
    return run
