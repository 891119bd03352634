"""Make a plan: validate the declarations, read the cluster in bulk, diff. Shared by plan and apply."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from busctl.adapters import connect as connect_api
from busctl.adapters import protoc
from busctl.adapters import registry as registry_api
from busctl.adapters.cache import Cache
from busctl.adapters.connect import Connect, ConnectWriter
from busctl.adapters.kafka import KafkaAdmin
from busctl.adapters.kafka_fork import ForkedRead
from busctl.adapters.registry import Registry, RegistryWriter
from busctl.core.bus import Bus, deletion_approved, selected
from busctl.core.connectors import DesiredConnector, connector_changes, connectors_digest, desired_connectors
from busctl.core.desired import DesiredTopic, declared_groups, desired_digest, desired_topics, placed
from busctl.core.diagnostics import BusctlError, Diagnostic, Report, Severity, did_you_mean
from busctl.core.diff import DiffOptions, deletions, diff, selected_by, warn_readers
from busctl.core.errors import LoadError
from busctl.core.model import KEY_KINDS, BusConfig
from busctl.core.plan import FleetPlan, NotPlanned, Plan, Unread
from busctl.core.ports import ClusterReader
from busctl.core.schemas import SchemaSet
from busctl.core.state import ClusterState
from busctl.core.subjects import (
    DesiredSubject,
    TopicSchemas,
    WireFile,
    desired_subjects,
    is_builtin,
    key_subject,
    schema_digest,
    subject_changes,
    value_subject,
)
from busctl.core.topic_configs import load_catalogue
from busctl.loading import files
from busctl.loading.bus import BUS_FILE, CONNECTORS_DIR, TEAMS_FILE, load_bus, raw_identity
from busctl.loading.parsed import ParsedFiles
from busctl.protobuf.descriptors import DescriptorIndex
from busctl.reports.state import state_from_json
from busctl.rules.base import LintContext, run_rules

MAX_STATE_BYTES = 1024 * 1024 * 1024  # a recorded state of the largest real clusters is well below


@dataclass
class Planner:
    """What a plan is made from: valid declarations, one cluster's reader and the diff options.
    `plan()` reads the cluster and diffs, as often as asked (apply plans again under its lock). The
    reader is the live cluster's client, or a recorded state (`plan --state DIR`)."""

    bus: Bus
    reader: ClusterReader
    options: DiffOptions
    schema_problems: dict[str, str] = field(default_factory=dict)  # topic -> its schema's first error
    schemas: SchemaSet | None = None  # the schemas compiled for the gate (None: not compiled)
    subjects: Subjects | None = None  # the cluster's schema registry and the subjects it should hold
    notes: tuple[str, ...] = ()  # said in every plan it makes
    # a client of the live cluster, for the consumer groups of topics it deletes (None: a recorded state)
    groups_admin: Callable[[], KafkaAdmin] | None = None
    connectors: Connectors | None = None  # the cluster's Connect cluster and the connectors it should run

    @property
    def admin(self) -> KafkaAdmin:
        """The live cluster's client, which apply needs (a recorded state cannot be applied to)."""
        if isinstance(self.reader, Unconnected):
            raise self.reader.error
        if not isinstance(self.reader, KafkaAdmin):
            raise BusctlError(
                f"cluster {self.options.cluster} was read from a recorded state: apply needs the cluster",
                "apply without --state",
            )
        return self.reader

    def plan(self) -> Plan:
        return self.survey().plan

    def close(self) -> None:
        """End a read started early (in a process of its own) that will not be asked for."""
        if isinstance(self.reader, ForkedRead):
            self.reader.close()

    def survey(self) -> Survey:
        """Read the cluster and diff: the desired topics, the state read and the plan between them."""
        catalogue = load_catalogue()
        desired = [
            replace(t, schema_problem=self.schema_problems.get(t.name, ""))
            for t in desired_topics(self.bus, self.options.cluster, catalogue)
        ]
        groups = declared_groups(self.bus, self.options.cluster)
        digest = desired_digest(desired, groups)  # before the read: it overlaps a read under way
        if self.subjects is not None:
            digest = self.subjects.digest(digest)
        if self.connectors is not None:
            digest = self.connectors.digest(digest)
        state = self.reader.read_state(declared=[t.name for t in desired])
        plan = diff(desired, groups, state, catalogue, self.options, digest)
        if self.subjects is not None:
            self.subjects.plan(plan, self.options.allow_delete)
        if self.connectors is not None:
            self.connectors.plan(plan, self.options.allow_delete)
        deleting = deletions(plan, [t.name for t in desired if t.deleted])
        if deleting:
            self._warn_readers(plan, deleting)
        plan.notes += self.notes
        return Survey(desired, state, plan)

    def _warn_readers(self, plan: Plan, topics: set[str]) -> None:
        """Name, on each deletion, the consumer groups with offsets on its topic."""
        names = ", ".join(sorted(topics))
        try:
            admin = self._live_client()
            if admin is None:
                plan.notes.append(f"the consumer groups of {names} were not read (a recorded state)")
                return
            warn_readers(plan, admin.readers_of(topics))
        except BusctlError as err:
            plan.notes.append(f"the consumer groups of {names} could not be read: {err.message}")

    def _live_client(self) -> KafkaAdmin | None:
        """The live cluster's client: the reader's, or a new one (None for a recorded state)."""
        if isinstance(self.reader, KafkaAdmin):
            return self.reader
        return None if self.groups_admin is None else self.groups_admin()

    @property
    def subject_writer(self) -> RegistryWriter | None:
        """What apply registers schemas with (None: the cluster names no registry)."""
        if self.subjects is None:
            return None
        return RegistryWriter(self.subjects.connected(), {d.subject: d for d in self.subjects.desired})

    @property
    def connector_writer(self) -> ConnectWriter | None:
        """What apply creates, changes and deletes connectors with (None: the cluster has no Connect
        cluster, or the plan leaves connectors out)."""
        if self.connectors is None:
            return None
        return ConnectWriter(self.connectors.connected(), {d.name: d for d in self.connectors.desired})


@dataclass
class Connectors:
    """What a plan needs of one cluster's Kafka Connect cluster: its client (or why there is none),
    the connectors placed on the cluster, and the names of connectors whose files are held back (not
    listed as unmanaged)."""

    connect: Connect | BusctlError
    desired: list[DesiredConnector]
    held: frozenset[str] = frozenset()

    def connected(self) -> Connect:
        if isinstance(self.connect, BusctlError):
            raise self.connect
        return self.connect

    def digest(self, digest: str) -> str:
        return schema_digest(f"{digest}\nconnectors {connectors_digest(self.desired)}")

    def plan(self, plan: Plan, allow_delete: bool) -> None:
        """Read the Connect cluster and add its connector changes to `plan`."""
        state = self.connected().read_state(self.desired)
        changes, unmanaged = connector_changes(self.desired, state, allow_delete)
        plan.changes += changes
        plan.connect = state.url
        plan.connect_fingerprint = state.fingerprint()
        plan.unmanaged_connectors = [name for name in unmanaged if name not in self.held]


@dataclass
class Subjects:
    """What a plan needs of one cluster's schema registry: its client (or why there is none), the
    subjects the topics in scope need, the subjects of tombstoned topics, and every subject name the
    declarations account for (the others are listed as unmanaged)."""

    registry: Registry | BusctlError
    desired: list[DesiredSubject]
    tombstoned: list[str]
    known: frozenset[str]
    approved: frozenset[str] = frozenset()  # tombstoned subjects whose topic's file approves the deletion

    def connected(self) -> Registry:
        if isinstance(self.registry, BusctlError):
            raise self.registry
        return self.registry

    def digest(self, topics_digest: str) -> str:
        """The desired digest with every desired subject's schema, references and level in it."""
        parts = [topics_digest, *self.tombstoned]
        parts += [f"{d.subject} {d.digest} {d.references} {d.compatibility}" for d in self.desired]
        return schema_digest("\n".join(parts))

    def plan(self, plan: Plan, allow_delete: bool) -> None:
        """Read the registry and add its subject changes to `plan`."""
        registry = self.connected()
        state = registry.read_state(self.desired, self.tombstoned)
        changes, unmanaged = subject_changes(
            self.desired, self.tombstoned, state, allow_delete, self.known, self.approved
        )
        plan.changes += changes
        plan.registry = registry.url
        plan.registry_fingerprint = state.fingerprint()
        plan.unmanaged_subjects = unmanaged


@dataclass(frozen=True)
class Survey:
    """One reading of a cluster against the declarations (what `topics` and `describe` show)."""

    desired: list[DesiredTopic]
    state: ClusterState
    plan: Plan


def valid_bus(repo: Path, untouched: str = "nothing was read from or changed on the cluster") -> Bus:
    """The bus, if its declarations have no lint errors (schemas and buf are not needed for that).

    `untouched` tells the user, in the error, what was therefore not done.
    """
    bus, report = _linted(repo)
    _refuse_errors(report.errors, untouched)
    return bus


@dataclass(frozen=True)
class Declarations:
    """What plan may plan: the bus without the topics that have lint errors, and what it holds back.

    `held_groups` are the consumer groups the held topics declare: their ACLs are not removed, since
    the held declarations may want them; `groups_unknown` when a held file could not even be read for
    its groups (then no group ACL is removed)."""

    bus: Bus
    held: list[NotPlanned]
    held_groups: frozenset[str]
    groups_unknown: bool
    held_connectors: frozenset[str] = frozenset()


def plannable(
    repo: Path,
    untouched: str = "nothing was planned",
    on_config: Callable[[BusConfig], None] | None = None,
    parsed: ParsedFiles | None = None,
) -> Declarations:
    """The declarations plan and apply work from: a lint error in one topic file holds back that topic
    only ("not planned"); an error anywhere else (bus.yaml, teams.yaml, the schema tree) refuses all.
    `on_config`: called with bus.yaml's settings as soon as they are read and valid; `parsed`: files
    parsed before are taken from it."""
    bus, report = _linted(repo, on_config, parsed)
    topic_files = set(bus.files) - {BUS_FILE, TEAMS_FILE}
    _refuse_errors([e for e in report.errors if e.span.file not in topic_files], untouched)
    first_error: dict[str, Diagnostic] = {}
    for error in sorted(report.errors, key=Diagnostic.sort_key):
        first_error.setdefault(error.span.file, error)
    if not first_error:
        return Declarations(bus, [], frozenset(), groups_unknown=False)
    declared = {decl.file: decl for decl in bus.topics}
    connector_files = {decl.file: decl.connector.name for decl in bus.connectors}
    held, groups, unknown = [], set(), False
    for file, error in sorted(first_error.items()):
        if file.startswith(f"{CONNECTORS_DIR}/"):
            name = connector_files.get(file) or raw_identity(repo, file)[0]
            held.append(NotPlanned(name or "", file, f"{error.span}: {error.code} {error.message}"))
            continue
        decl = declared.get(file)
        name, declared_groups = (
            (decl.topic.name, {c.group for c in decl.topic.consumers}) if decl else raw_identity(repo, file)
        )
        unknown |= declared_groups is None
        groups |= declared_groups or set()
        held.append(NotPlanned(name or "", file, f"{error.span}: {error.code} {error.message}"))
    names = {h.topic for h in held}
    kept = []
    for decl in bus.topics:
        if decl.file in first_error:
            continue
        if decl.topic.name in names:  # a valid file naming a held topic is held with it, groups and all
            groups |= {c.group for c in decl.topic.consumers}
            why = f"held with the other declaration of {decl.topic.name}, whose file has lint errors"
            held.append(NotPlanned(decl.topic.name, decl.file, why))
            continue
        kept.append(decl)
    connectors = [decl for decl in bus.connectors if decl.file not in first_error]
    held_connectors = frozenset(h.topic for h in held if h.file.startswith(f"{CONNECTORS_DIR}/"))
    return Declarations(
        replace(bus, topics=kept, connectors=connectors), held, frozenset(groups), unknown, held_connectors
    )


def _linted(
    repo: Path,
    on_config: Callable[[BusConfig], None] | None = None,
    parsed: ParsedFiles | None = None,
) -> tuple[Bus, Report]:
    """The bus and its lint report (schemas and buf aside)."""
    bus, report = load_bus(repo.resolve(), on_config=on_config, parsed=parsed)
    context = LintContext(
        bus=bus, schemas=SchemaSet(root=bus.config.schemas.root, compiled=False), catalogue=load_catalogue()
    )
    report.extend(run_rules(context))
    return bus, report


def _refuse_errors(found: list[Diagnostic], untouched: str) -> None:
    errors = sorted(found, key=Diagnostic.sort_key)
    if errors:
        first = "; ".join(f"{d.span}: {d.code} {d.message}" for d in errors[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        raise BusctlError(
            f"the declarations have {len(errors)} lint error(s): {first}{more}",
            f"run `busctl lint` and fix them; {untouched}",
        )


def connect(config: BusConfig, cluster: str, timeout: float) -> KafkaAdmin:
    """An admin client for a cluster named in bus.yaml."""
    if cluster not in config.clusters:
        raise _unknown_cluster(config, cluster)
    return KafkaAdmin(cluster, config.clusters[cluster], timeout=timeout)


def _unknown_cluster(config: BusConfig, selector: str) -> BusctlError:
    known = ", ".join(config.clusters) or "none"
    if is_pattern(selector):
        return BusctlError(
            f'--cluster "{selector}" selects no cluster of bus.yaml (clusters: {known})',
            "give a cluster name, a glob such as 'prod-*', or a label such as env=prod",
        )
    return BusctlError(
        f'cluster "{selector}" is not defined in bus.yaml (clusters: {known})',
        did_you_mean(selector, config.clusters) or "add it under clusters: in bus.yaml",
    )


def is_pattern(selector: str) -> bool:
    """Whether a --cluster value is a glob or a label rather than one cluster's name."""
    return "=" in selector or any(c in selector for c in "*?[")


def planner(
    repo: Path,
    cluster: str,
    *,
    topic_filter: str | None = None,
    allow_delete: bool = False,
    timeout: float = 30.0,
) -> Planner:
    """Validate the declarations and connect to the cluster (nothing is read from it yet)."""
    if is_pattern(cluster):
        raise BusctlError(
            f'"{cluster}" is not one cluster\'s name', "give the name of one cluster of bus.yaml"
        )
    return planners(repo, [cluster], topic_filter=topic_filter, allow_delete=allow_delete, timeout=timeout)[0]


def planners(
    repo: Path,
    selectors: list[str],
    *,
    every: bool = False,
    topic_filter: str | None = None,
    allow_delete: bool = False,
    timeout: float = 30.0,
    untouched: str = "nothing was planned",
    recorded: Path | None = None,
    early: bool = False,
    cache: Cache | None = None,
    parsed: bool = False,
) -> list[Planner]:
    """A planner per cluster chosen (`chosen_clusters`), from one reading of the declarations (topics
    with lint errors held back) and one compilation of the schemas; nothing is read from the clusters
    yet, unless `early`: then each cluster's bulk read starts, in a process of its own, as soon as
    bus.yaml is read (for a plan that only reads; apply needs its clients in this process). With
    `recorded`, each cluster is read from the state recorded in that directory instead; with `cache`,
    the compiled schemas of an unchanged module come from it, and with `parsed` also the files parsed
    before (never for apply: what it applies is parsed afresh)."""
    started: dict[str, ForkedRead] = {}

    def read_early(config: BusConfig) -> None:
        try:
            clusters = chosen_clusters(config, selectors, every)
        except BusctlError:  # reported below, once the declarations are read
            return
        for cluster in clusters:
            forked = ForkedRead.start(cluster, partial(connect, config, cluster, timeout), timeout)
            if forked is not None:
                started[cluster] = forked

    try:
        declarations = plannable(
            repo,
            untouched,
            read_early if early and recorded is None else None,
            ParsedFiles(cache) if parsed and cache is not None else None,
        )
        bus = declarations.bus
        clusters = chosen_clusters(bus.config, selectors, every)
        compiled = compiled_schemas(repo.resolve(), bus, cache)
        problems = schema_problems(repo.resolve(), bus, compiled)
    except BaseException:
        for forked in started.values():
            forked.close()
        raise
    admins = [started.get(cluster) or _reader(bus, cluster, timeout, recorded) for cluster in clusters]
    subjects = {}
    if recorded is None:
        subjects = _subjects(repo.resolve(), bus, clusters, compiled[0], problems, topic_filter, timeout)
    connectors = {}
    if recorded is None and topic_filter is None:
        connectors = _connectors(bus, clusters, declarations.held_connectors, timeout)
    return [
        Planner(
            bus,
            admin,
            DiffOptions(
                cluster=cluster,
                protected=tuple(bus.config.policy.protected_topics),
                allow_delete=allow_delete,
                topic_filter=topic_filter,
                held=tuple(declarations.held),
                held_groups=declarations.held_groups,
                groups_unknown=declarations.groups_unknown,
            ),
            problems,
            compiled[0],
            subjects.get(cluster),
            _unread_notes(bus, cluster, recorded is not None, topic_filter),
            None if recorded is not None else partial(connect, bus.config, cluster, timeout),
            connectors.get(cluster),
        )
        for cluster, admin in zip(clusters, admins, strict=True)
    ]


def _unread_notes(bus: Bus, cluster: str, recorded: bool, topic_filter: str | None) -> tuple[str, ...]:
    """What the plan of `cluster` leaves out, said in it: the registry and Connect cluster of a
    recorded state, and the connectors of a plan narrowed to some topics."""
    settings = bus.config.clusters[cluster]
    notes = []
    if recorded and settings.registry is not None:
        notes.append("its schema registry was not read: the plan is made from a recorded state")
    if settings.connect is not None and (recorded or topic_filter is not None):
        why = "the plan is made from a recorded state" if recorded else "the plan is narrowed by --topic"
        notes.append(f"its connectors were not planned: {why}")
    return tuple(notes)


def _connectors(bus: Bus, clusters: list[str], held: frozenset[str], timeout: float) -> dict[str, Connectors]:
    """For each cluster with a Connect cluster, its client (or why there is none) and the connectors
    placed on it, their ${VAR}s taken from the environment."""
    found = {}
    for cluster in clusters:
        settings = bus.config.clusters[cluster].connect
        if settings is None:
            continue
        try:
            client: Connect | BusctlError = connect_api.connect(cluster, settings, timeout)
        except BusctlError as err:
            client = err
        found[cluster] = Connectors(client, desired_connectors(bus, cluster, os.environ), held)
    return found


def _subjects(
    repo: Path,
    bus: Bus,
    clusters: list[str],
    schemas: SchemaSet,
    problems: dict[str, str],
    topic_filter: str | None,
    timeout: float,
) -> dict[str, Subjects]:
    """For each cluster naming a schema registry, the subjects its topics need; the files those need
    are compiled once more, into the descriptors producers embed, only when some cluster has one."""
    with_registry = [c for c in clusters if bus.config.clusters[c].registry is not None]
    if not with_registry or not schemas.compiled:
        return {}
    root = bus.config.schemas.root
    needed: dict[str, list[TopicSchemas]] = {}
    tombstoned: dict[str, list[str]] = {}
    approved: dict[str, set[str]] = {}
    for cluster in with_registry:
        needed[cluster], tombstoned[cluster], approved[cluster] = [], [], set()
        for decl in placed(bus, cluster):
            topic = decl.topic
            if not selected_by(topic.name, topic_filter):
                continue
            if topic.lifecycle == "deleted":
                gone = [value_subject(topic.name), key_subject(topic.name)]
                tombstoned[cluster] += gone
                approved[cluster] |= set(gone) if deletion_approved(topic) else set()
                continue
            value_file = schemas.import_path(topic.schema_)
            if value_file is None or topic.name in problems:
                continue  # the topic is not created either (the schema gate): nothing to register
            key_file = None if topic.key in KEY_KINDS else schemas.import_path(topic.key)
            level = topic.compatibility or bus.config.schemas.compatibility
            needed[cluster].append(TopicSchemas(topic.name, value_file, key_file, level))
    files = sorted({f for wanted in needed.values() for t in wanted for f in (t.value_file, t.key_file) if f})
    index = DescriptorIndex(protoc.descriptor_set(repo, root, files))  # with what they import
    names = {value_subject(d.topic.name) for d in bus.topics} | {
        key_subject(d.topic.name) for d in bus.topics
    }
    module = {f.removeprefix(f"{root}/") for f in schemas.files}
    known = frozenset(names | {f for f in module if not is_builtin(f)})

    def wire_files(form: str) -> dict[str, WireFile]:
        if form == "descriptor":
            return {name: index.wire_file(name) for name in index.registrable()}
        source = repo / root  # vetted: regular files only, and protoc has just read them
        return {
            name: index.wire_file(name, (source / name).read_text("utf-8")) for name in index.registrable()
        }

    formats = {settings.format for c in with_registry if (settings := bus.config.clusters[c].registry)}
    wires = {form: wire_files(form) for form in formats}
    found = {}
    for cluster in with_registry:
        settings = bus.config.clusters[cluster].registry
        assert settings is not None
        try:
            client: Registry | BusctlError = registry_api.connect(cluster, settings, timeout)
        except BusctlError as err:
            client = err
        found[cluster] = Subjects(
            client,
            desired_subjects(needed[cluster], wires[settings.format], bus.config.schemas.compatibility),
            tombstoned[cluster],
            known,
            frozenset(approved[cluster]),
        )
    return found


def plan_fleet(planners: list[Planner]) -> FleetPlan:
    """Read every cluster at once and plan each (`survey_fleet`)."""
    return survey_fleet(planners)[0]


def survey_fleet(planners: list[Planner]) -> tuple[FleetPlan, dict[str, ClusterState]]:
    """Read every cluster at once (one thread each: the reads wait on the network) and plan each; a
    cluster that cannot be read is reported as unread, the others are planned all the same. Also the
    state read from each cluster that could be read."""
    results: dict[str, Survey | Unread | Exception] = {}

    def read(making: Planner) -> None:
        cluster = making.options.cluster
        try:
            results[cluster] = making.survey()
        except BusctlError as err:
            results[cluster] = Unread(cluster, err.message, err.hint)
        except Exception as bug:  # raised again below, where the error boundary reports it
            results[cluster] = bug

    if len(planners) == 1:
        read(planners[0])
    else:  # daemon threads: Ctrl-C ends busctl without waiting for reads still under way
        threads = [threading.Thread(target=read, args=(p,), daemon=True) for p in planners]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    outcomes = [results[p.options.cluster] for p in planners]
    for outcome in outcomes:
        if isinstance(outcome, Exception):
            raise outcome
    surveys = [o for o in outcomes if isinstance(o, Survey)]
    order = [p.options.cluster for p in planners]
    fleet = FleetPlan([o.plan for o in surveys], [o for o in outcomes if isinstance(o, Unread)], order)
    return fleet, {o.plan.cluster: o.state for o in surveys}


def _reader(bus: Bus, cluster: str, timeout: float, recorded: Path | None) -> ClusterReader:
    """The cluster's reader: its recorded state, its admin client, or (when the client cannot even be
    made, e.g. a credential variable is not set) the error, raised when it is read: one cluster's
    settings do not stop a fleet."""
    if recorded is not None:
        return RecordedState(recorded, cluster)
    try:
        return connect(bus.config, cluster, timeout)
    except BusctlError as err:
        return Unconnected(err)


@dataclass(frozen=True)
class Unconnected:
    """A cluster whose client could not be made: reading it (or applying to it) raises why."""

    error: BusctlError

    def read_state(self, declared: Collection[str] = ()) -> ClusterState:
        raise self.error


@dataclass(frozen=True)
class RecordedState:
    """A cluster read from the state `plan --save-state DIR` recorded (DIR/CLUSTER.json): a plan made
    from it is the plan of the cluster as it was then, with the same fingerprint."""

    directory: Path
    cluster: str

    @property
    def path(self) -> Path:
        return self.directory / f"{self.cluster}.json"

    def read_state(self, declared: Collection[str] = ()) -> ClusterState:
        try:
            raw = files.read_regular_file(self.directory, self.path.name, MAX_STATE_BYTES)
            return state_from_json(raw)
        except LoadError as err:
            problem = err.diagnostic.message
        except (ValueError, RecursionError, OverflowError) as err:  # not JSON, not a state's shape, too deep
            problem = str(err)
        raise BusctlError(
            f"{self.path} is not a recorded state of cluster {self.cluster}: {problem}",
            f"record one with `busctl plan --cluster {self.cluster} --save-state {self.directory}`",
        )


def chosen_clusters(config: BusConfig, selectors: list[str], every: bool) -> list[str]:
    """The clusters `--cluster` selectors (names, globs, key=value labels) or `--all-clusters` name,
    in bus.yaml order; an error for a selector that picks none."""
    if every:
        if not config.clusters:
            raise BusctlError("bus.yaml defines no clusters", "add them under clusters: in bus.yaml")
        return list(config.clusters)
    chosen: set[str] = set()
    for selector in selectors:
        picked = selected(config, selector)
        if not picked:
            raise _unknown_cluster(config, selector)
        chosen.update(picked)
    return [name for name in config.clusters if name in chosen]


def compiled_schemas(repo: Path, bus: Bus, cache: Cache | None = None) -> tuple[SchemaSet, list[Diagnostic]]:
    """The repo's schemas compiled (read back from `cache` when unchanged), with their compile errors;
    none (an empty set) when the schema tree has unsafe entries (`bus.schemas_ok` false: valid_bus
    refused them already)."""
    if not bus.schemas_ok:
        return SchemaSet(root=bus.config.schemas.root), []
    result = protoc.compile_schemas(repo, bus.config.schemas.root, cache=cache)
    if cache is not None:
        cache.prune()
    return result


def schema_problems(
    repo: Path, bus: Bus, compiled: tuple[SchemaSet, list[Diagnostic]] | None = None
) -> dict[str, str]:
    """Each declared topic whose schema has a lint error once the schemas are compiled (buf aside), with
    the first error: the gate that keeps plan from creating a topic for a message that does not exist.
    `compiled`: the result of `compiled_schemas(repo, bus)` when the caller has it already.

    The declarations passed `valid_bus` already, so every error here comes from the schemas."""
    if not bus.schemas_ok:  # unsafe entries in the schema tree: valid_bus refused them already
        return {}
    schemas, problems = compiled or compiled_schemas(repo, bus)
    context = LintContext(bus=bus, schemas=schemas, catalogue=load_catalogue())
    errors = sorted(
        (d for d in [*problems, *run_rules(context, schema_rules_only=True)] if d.severity is Severity.ERROR),
        key=Diagnostic.sort_key,
    )
    by_file = {decl.file: decl.topic.name for decl in bus.topics}
    found: dict[str, str] = {}
    for error in errors:
        for topic in _topics_concerned(error, bus, schemas, by_file):
            found.setdefault(topic, f"{error.code} {error.message} ({error.span})")
    return found


def _topics_concerned(error: Diagnostic, bus: Bus, schemas: SchemaSet, by_file: dict[str, str]) -> list[str]:
    """The topics a schema error is about (`by_file`: each topic file's topic): the one it names or whose
    file it is in, else those carrying the message (or a message using it) where it is; every topic when
    it is in no message."""
    if error.subject in by_file.values():
        return [error.subject]
    if error.span.file in by_file:
        return [by_file[error.span.file]]
    message = schemas.at(error.span.file, error.span.line)
    if message is None:  # e.g. a file that does not compile: no message of the module can be trusted
        return list(by_file.values())
    users = schemas.users_of(message.fqn)
    return [decl.topic.name for decl in bus.topics if decl.topic.schema_ in users]
