"""Load a bus repo (bus.yaml, teams.yaml, topics/**/*.yaml, connectors/**/*.yaml) into a Bus, collecting
every problem."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import TypeVar

from busctl import collector
from busctl.core.bus import Bus, ConnectorDecl, TopicDecl
from busctl.core.diagnostics import BusctlError, Diagnostic, Report, Span
from busctl.core.errors import LoadError
from busctl.core.model import REFERENCE, BusConfig, Connector, TeamsFile, Topic
from busctl.core.source import SourceMap
from busctl.loading import files
from busctl.loading.parsed import ParsedFiles
from busctl.loading.validate import validate
from busctl.loading.yamlfile import YamlDocument, load_yaml_file
from busctl.rules.base import named

BUS_FILE = "bus.yaml"
TEAMS_FILE = "teams.yaml"
TOPICS_DIR = "topics"
CONNECTORS_DIR = "connectors"
M = TypeVar("M", BusConfig, TeamsFile, Topic, Connector)


def find_declaration_files(repo: Path, report: Report, directory: str = TOPICS_DIR) -> list[str]:
    """Repo-relative paths of every topic file (or connector file, under connectors/), sorted; reports
    what under the directory must not be read (pipes, devices, broken or looping symlinks, symlinks
    leaving the repo)."""
    tree = files.scan(
        repo, directory, wanted=_is_yaml, follow_dir_links=False, skip_hidden_dirs=True, check_readable=False
    )
    report.extend(tree.problems)
    return tree.files


def _is_yaml(name: str) -> bool:
    return name.endswith((".yaml", ".yml"))


def vet_schema_tree(repo: Path, config: BusConfig, source: SourceMap) -> list[Diagnostic]:
    """Problems that make the schema module unsafe to hand to protoc or buf: a root outside the repo,
    or anything under it that is not a readable regular file or directory. protoc opens whatever a
    .proto imports, whatever its name, so every entry counts, hidden ones included."""
    root = config.schemas.root
    if PurePosixPath(root).is_absolute() or ".." in PurePosixPath(root).parts:
        return [
            Diagnostic(
                "BUS005",
                f'schemas.root "{root}" leaves the repository',
                source.at("schemas", "root"),
                hint="use a relative path inside the bus repo, e.g. schemas (busctl never reads outside it)",
            )
        ]
    tree = files.scan(
        repo, root, wanted=lambda _: False, follow_dir_links=True, skip_hidden_dirs=False, check_readable=True
    )
    return tree.problems


def load_bus(
    repo: Path,
    on_schemas: Callable[[BusConfig], None] | None = None,
    on_config: Callable[[BusConfig], None] | None = None,
    parsed: ParsedFiles | None = None,
) -> tuple[Bus, Report]:
    """The bus declared in `repo` and the problems found while loading it.

    `on_schemas` is called with bus.yaml's settings once the schema tree is vetted, before the topics
    are read (to start slow schema work early); not at all when the schema tree is unsafe to read.
    `on_config` is called with them as soon as bus.yaml is read, if it is valid (to start reading the
    clusters early). With `parsed`, files parsed before (same bytes) are not parsed again; what this load
    used is stored back in its cache.
    """
    if not os.path.lexists(repo / BUS_FILE):
        raise BusctlError(
            f"{repo} is not a bus repo: {BUS_FILE} not found",
            "run busctl from the repo's top directory, pass --repo DIR, or create one with busctl init",
        )
    report = Report()
    # bus.yaml is parsed every time: it is small, and `on_config` should not wait for the cache
    config, config_source = _load_one(repo, BUS_FILE, BusConfig, report, None, env_allowed=("clusters",))
    if on_config is not None and config is not None and not report.errors:
        on_config(config)
    settings = config or BusConfig()
    schema_problems = vet_schema_tree(repo, settings, config_source or SourceMap(BUS_FILE))
    report.extend(schema_problems)
    if on_schemas is not None and not schema_problems:
        on_schemas(settings)
    teams_file, teams_source = (None, None)
    has_teams = os.path.lexists(repo / TEAMS_FILE)
    if has_teams:
        teams_file, teams_source = _load_one(repo, TEAMS_FILE, TeamsFile, report, parsed)
    else:
        report.add(
            Diagnostic(
                "BUS012",
                f"{TEAMS_FILE} not found",
                Span(TEAMS_FILE),
                hint="every topic needs an owner team: declare teams in teams.yaml",
            )
        )
    topics: list[TopicDecl] = []
    topic_files = find_declaration_files(repo, report)
    with collector.paused():
        for rel in topic_files:
            topic, source = _load_one(repo, rel, Topic, report, parsed)
            if topic is not None and source is not None:
                topics.append(TopicDecl(topic=topic, file=rel, source=source))
        connectors: list[ConnectorDecl] = []
        connector_files = find_declaration_files(repo, report, CONNECTORS_DIR)
        for rel in connector_files:
            connector, source = _load_one(repo, rel, Connector, report, parsed, env_allowed=("config",))
            if connector is not None and source is not None:
                connectors.append(ConnectorDecl(connector=connector, file=rel, source=source))
    bus = Bus(
        root=repo,
        config=settings,
        config_source=config_source or SourceMap(BUS_FILE),
        config_ok=config is not None,
        teams=dict(teams_file.teams) if teams_file else {},
        teams_ok=teams_file is not None,
        teams_source=teams_source or SourceMap(TEAMS_FILE),
        topics=topics,
        connectors=connectors,
        files=[BUS_FILE, *([TEAMS_FILE] if has_teams else []), *topic_files, *connector_files],
        schemas_ok=not schema_problems,
    )
    report.items = [named(d) for d in report.items]
    if parsed is not None:
        parsed.save()
    return bus, report


def _load_one(
    repo: Path,
    rel: str,
    model: type[M],
    report: Report,
    parsed: ParsedFiles | None,
    env_allowed: tuple[str, ...] = (),
) -> tuple[M | None, SourceMap | None]:
    try:
        doc = parsed.load(repo, rel) if parsed is not None else load_yaml_file(repo, rel)
    except LoadError as err:
        report.add(err.diagnostic)
        return None, None
    except OSError as err:  # read_text maps the OSErrors it expects; anything else lands here
        report.add(files.unreadable(rel, err).diagnostic)
        return None, None
    data = {} if doc.data is None and model is BusConfig else doc.data
    report.extend(_env_references(doc, env_allowed))
    value, problems = validate(model, data, doc.source)
    report.extend(problems)
    return value, doc.source


def _env_references(doc: YamlDocument, allowed: tuple[str, ...]) -> list[Diagnostic]:
    """${VAR} is only for cluster connection settings in bus.yaml and a connector's config; anywhere
    else it would be a literal."""
    problems = []
    for path, value in doc.env_references:
        reference = REFERENCE.search(value)
        if reference and not (path and path[0] in allowed):
            problems.append(
                Diagnostic(
                    "BUS006",
                    f"{reference.group(0)} is not expanded here",
                    doc.source.at(*path),
                    hint="${VAR} works only in bus.yaml clusters.* (connection settings) and a "
                    "connector's config: write the value",
                )
            )
    return problems


def raw_identity(repo: Path, file: str) -> tuple[str | None, set[str] | None]:
    """The topic name and consumer groups a topic file that failed to load still states, as far as
    they can be read (None where they cannot)."""
    try:
        data = load_yaml_file(repo, file).data
    except (LoadError, OSError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    name = data.get("name") if isinstance(data.get("name"), str) else None
    consumers = data.get("consumers", [])
    if not isinstance(consumers, list) or not all(
        isinstance(c, dict) and isinstance(c.get("group"), str) for c in consumers
    ):
        return name, None
    return name, {c["group"] for c in consumers}
