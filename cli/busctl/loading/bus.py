"""Load a bus repo (bus.yaml, teams.yaml, topics/**/*.yaml) into a Bus, collecting every problem."""

from __future__ import annotations

import contextlib
import gc
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from busctl.core.bus import Bus, TopicDecl
from busctl.core.diagnostics import BusctlError, Diagnostic, Report, Span
from busctl.core.errors import LoadError
from busctl.core.model import BusConfig, TeamsFile, Topic
from busctl.core.source import SourceMap
from busctl.loading.validate import validate
from busctl.loading.yamlfile import YamlDocument, load_yaml_file

BUS_FILE = "bus.yaml"
TEAMS_FILE = "teams.yaml"
TOPICS_DIR = "topics"
_ENV_REFERENCE = re.compile(r"\$\{[^}]*\}")
M = TypeVar("M", BusConfig, TeamsFile, Topic)


def find_topic_files(repo: Path, report: Report) -> list[str]:
    """Repo-relative paths of every topic file, sorted; reports symlinked directories leaving the repo."""
    base = repo / TOPICS_DIR
    found: list[str] = []
    root = repo.resolve()
    for directory, dirs, files in os.walk(base):
        for name in list(dirs):
            full = Path(directory) / name
            if full.is_symlink() and not full.resolve().is_relative_to(root):
                report.add(
                    Diagnostic(
                        "BUS009",
                        f"symlinked directory points outside the repository ({full.resolve()})",
                        Span(full.relative_to(repo).as_posix()),
                        name="symlink-escape",
                        hint="busctl never reads outside the repo; copy the files in instead",
                    )
                )
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(
            (Path(directory) / f).relative_to(repo).as_posix() for f in files if f.endswith((".yaml", ".yml"))
        )
    return sorted(found)


def load_bus(repo: Path, on_config: Callable[[BusConfig], None] | None = None) -> tuple[Bus, Report]:
    """The bus declared in `repo` and the problems found while loading it.

    `on_config` is called with bus.yaml's settings before the topics are read (to start slow work early).
    """
    if not (repo / BUS_FILE).is_file():
        raise BusctlError(
            f"{repo} is not a bus repo: {BUS_FILE} not found",
            "run busctl from the repo's top directory, pass --repo DIR, or create one with busctl init",
        )
    report = Report()
    config, config_source = _load_one(repo, BUS_FILE, BusConfig, report, env_allowed=("clusters",))
    if on_config is not None:
        on_config(config or BusConfig())
    teams_file, teams_source = (None, None)
    if (repo / TEAMS_FILE).is_file():
        teams_file, teams_source = _load_one(repo, TEAMS_FILE, TeamsFile, report)
    else:
        report.add(
            Diagnostic(
                "BUS012",
                f"{TEAMS_FILE} not found",
                Span(TEAMS_FILE),
                name="missing-file",
                hint="every topic needs an owner team: declare teams in teams.yaml",
            )
        )
    topics: list[TopicDecl] = []
    topic_files = find_topic_files(repo, report)
    with _no_gc_pauses():
        for rel in topic_files:
            topic, source = _load_one(repo, rel, Topic, report)
            if topic is not None and source is not None:
                topics.append(TopicDecl(topic=topic, file=rel, source=source))
    bus = Bus(
        root=repo,
        config=config or BusConfig(),
        config_source=config_source or SourceMap(BUS_FILE),
        teams=dict(teams_file.teams) if teams_file else {},
        teams_ok=teams_file is not None,
        teams_source=teams_source or SourceMap(TEAMS_FILE),
        topics=topics,
        files=[BUS_FILE, *([TEAMS_FILE] if (repo / TEAMS_FILE).is_file() else []), *topic_files],
    )
    return bus, report


@contextlib.contextmanager
def _no_gc_pauses() -> Iterator[None]:
    """Loading builds millions of small acyclic objects; the cycle collector only slows it down."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()  # what was loaded lives as long as the command: keep it out of later collections
            gc.enable()


def _load_one(
    repo: Path,
    rel: str,
    model: type[M],
    report: Report,
    env_allowed: tuple[str, ...] = (),
) -> tuple[M | None, SourceMap | None]:
    try:
        doc = load_yaml_file(repo, rel)
    except LoadError as err:
        report.add(err.diagnostic)
        return None, None
    except OSError as err:
        report.add(Diagnostic("BUS007", f"cannot read file: {err.strerror}", Span(rel), name="unreadable"))
        return None, None
    data = {} if doc.data is None and model is BusConfig else doc.data
    report.extend(_env_references(doc, env_allowed))
    value, problems = validate(model, data, doc.source)
    report.extend(problems)
    return value, doc.source


def _env_references(doc: YamlDocument, allowed: tuple[str, ...]) -> list[Diagnostic]:
    """${VAR} is only for cluster connection settings in bus.yaml; anywhere else it would be a literal."""
    problems = []
    for path, value in doc.env_references:
        reference = _ENV_REFERENCE.search(value)
        if reference and not (path and path[0] in allowed):
            problems.append(
                Diagnostic(
                    "BUS006",
                    f"{reference.group(0)} is not expanded here",
                    doc.source.at(*path),
                    name="env-outside-cluster",
                    hint="${VAR} works only in bus.yaml clusters.* (connection settings): write the value",
                )
            )
    return problems
