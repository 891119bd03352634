"""Load a whole bus repo (declarations + compiled schemas) and lint it: the shared first step of commands."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from busctl.adapters import buf, protoc
from busctl.adapters.cache import Cache
from busctl.core.bus import Bus
from busctl.core.diagnostics import Report
from busctl.core.model import BusConfig
from busctl.core.schemas import SchemaSet
from busctl.core.topic_configs import load_catalogue
from busctl.loading.bus import load_bus
from busctl.loading.parsed import ParsedFiles
from busctl.rules.base import LintContext, named, run_rules
from busctl.rules.policy import settings_note


@dataclass
class Workspace:
    """A loaded bus repo: the declarations, the compiled schemas and the problems found on the way."""

    bus: Bus
    schemas: SchemaSet
    report: Report


def load_workspace(
    repo: Path, *, run_buf: bool = False, cache: Cache | None = None
) -> tuple[Workspace, buf.LintRun | None]:
    """Load declarations and compile schemas; with run_buf, `buf lint` runs meanwhile in the background.
    With `cache`, protoc's and buf's results for unchanged schemas, and unchanged files parsed, are
    read from it.

    Neither protoc nor buf sees a schema tree the loader found unsafe (pipes, devices, symlink loops)."""
    started: list[buf.LintRun] = []
    sources: dict[str, protoc.ProtoSource] = {}

    def start_schemas(config: BusConfig) -> None:  # once the tree is vetted, before the topics load
        root = config.schemas.root
        if run_buf or cache is not None:  # what buf groups by and both caches are keyed by
            sources.update(protoc.read_sources(repo, root))
        if run_buf and sources:
            started.append(buf.start_lint(repo, root, sources, cache))

    parsed = ParsedFiles(cache) if cache is not None else None
    bus, report = load_bus(repo, on_schemas=start_schemas, parsed=parsed)
    if bus.schemas_ok:
        root = bus.config.schemas.root
        schemas, problems = protoc.compile_schemas(repo, root, cache=cache, sources=sources or None)
        report.extend(named(p) for p in problems)
    else:  # a pipe, device or symlink loop in the tree (reported): protoc and buf could hang on it
        schemas = SchemaSet(root=bus.config.schemas.root, compiled=False)
    return Workspace(bus=bus, schemas=schemas, report=report), (started[0] if started else None)


def lint(repo: Path, *, run_buf: bool = True, cache: Cache | None = None) -> Workspace:
    """Everything `busctl lint` checks: loading, every registered rule, and `buf lint` on the schemas
    (with `cache`, protoc's and buf's results for unchanged schemas come from it)."""
    workspace, buf_run = load_workspace(repo.resolve(), run_buf=run_buf, cache=cache)
    context = LintContext(
        bus=workspace.bus,
        schemas=workspace.schemas,
        catalogue=load_catalogue(),
        buf_rules=buf.breaking_rules(cache),
    )
    workspace.report.extend(run_rules(context))
    workspace.report.extend(settings_note(workspace.bus))
    if buf_run is not None:
        findings = buf_run.result(workspace.schemas)
        if not workspace.schemas.compiled:  # protoc already reported the syntax errors
            findings = [f for f in findings if f.code != "buf:COMPILE"]
        workspace.report.extend(findings)
    if cache is not None:
        cache.prune()
    return workspace
