"""Connectors: the Connect config a declaration asks for, the state a Connect cluster reports, and the
pure diff between them (create, update, pause, resume, delete, blocked; unmanaged ones listed).

A declaration's config is flattened into Connect's flat string map: `name`, `connector.class`,
`tasks.max`, a sink's `topics`, the transforms and predicates as `transforms=a,b` and
`transforms.a.type=...`. `${VAR}` is replaced from busctl's environment when planning; a config
provider reference (`${file:/path:key}`, `${env:VAR}`) is sent as written, for the workers to resolve.
Values of secret keys, and every value that came from the environment, are never shown: plans say
"(secret)".
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from busctl.core.bus import Bus, ConnectorDecl, connector_deletion_approved, connector_placement
from busctl.core.model import ENV_VARIABLE, REFERENCE, ConfigValue, Connector
from busctl.core.plan import Action, Change, ConfigChange, ConnectorChange

# Keys whose values are secrets by their name (Connect's own PASSWORD-typed settings follow these).
SECRET_KEY = re.compile(
    r"(password|passwd|secret|token|credential|api[._-]?key|private[._-]?key|access[._-]?key|jaas)",
    re.IGNORECASE,
)
SECRET = "(secret)"
# Keys busctl writes from the declaration's own fields: the config may not set them.
DERIVED_KEYS = ("name", "connector.class", "tasks.max", "topics", "topics.regex", "transforms", "predicates")
DERIVED_PREFIXES = ("transforms.", "predicates.")
# Connector states (Connect's REST API), and those a declaration's state asks for.
RUNNING, PAUSED, FAILED, STOPPED = "RUNNING", "PAUSED", "FAILED", "STOPPED"
WANTED = {"running": RUNNING, "paused": PAUSED}


def is_secret_key(key: str) -> bool:
    return bool(SECRET_KEY.search(key))


def has_reference(value: str) -> bool:
    """Whether the value takes something from ${VAR} or a config provider, rather than stating it."""
    return bool(REFERENCE.search(value))


def env_names(value: str) -> list[str]:
    """The ${VAR} names in a value (config provider references, with a colon, are not)."""
    return ENV_VARIABLE.findall(value)


def text(value: ConfigValue) -> str:
    """A declared value as Connect holds it: a string (true/false for booleans)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def sink_group(connector: Connector) -> str:
    """The consumer group a sink's tasks read with (Connect's default: connect-<name>)."""
    return f"connect-{connector.name}"


def placed_connectors(bus: Bus, cluster: str | None, live: bool = False) -> list[ConnectorDecl]:
    """The connectors placed on `cluster` (None: every one), in file order; with `live`, tombstones
    left out."""
    return [
        decl
        for decl in bus.connectors
        if (cluster is None or cluster in connector_placement(bus.config, decl.connector))
        and not (live and decl.connector.lifecycle == "deleted")
    ]


def running_sinks(bus: Bus, cluster: str) -> list[ConnectorDecl]:
    """The sink connectors declared to run on `cluster` (not tombstoned, not paused): their groups
    consume the topics they read there."""
    return [
        decl
        for decl in placed_connectors(bus, cluster, live=True)
        if decl.connector.type == "sink" and decl.connector.state == "running"
    ]


def derived_key(key: str) -> bool:
    return key in DERIVED_KEYS or key.startswith(DERIVED_PREFIXES)


def connect_config(connector: Connector) -> dict[str, str]:
    """The declaration as Connect's flat config, before ${VAR} expansion."""
    config = {
        "name": connector.name,
        "connector.class": connector.class_,
        "tasks.max": str(connector.tasks_max),
    }
    if connector.type == "sink":
        config["topics"] = ",".join(connector.topics)
    config |= {key: text(value) for key, value in connector.config.items()}
    if connector.transforms:
        config["transforms"] = ",".join(t.name for t in connector.transforms)
        for transform in connector.transforms:
            prefix = f"transforms.{transform.name}."
            config[prefix + "type"] = transform.type
            config |= {prefix + key: text(value) for key, value in transform.config.items()}
            if transform.predicate is not None:
                config[prefix + "predicate"] = transform.predicate
                config[prefix + "negate"] = text(transform.negate)
    if connector.predicates:
        config["predicates"] = ",".join(p.name for p in connector.predicates)
        for predicate in connector.predicates:
            prefix = f"predicates.{predicate.name}."
            config[prefix + "type"] = predicate.type
            config |= {prefix + key: text(value) for key, value in predicate.config.items()}
    return config


@dataclass(frozen=True)
class DesiredConnector:
    """A connector as one cluster's Connect cluster should run it."""

    name: str
    owner: str
    file: str
    connector_class: str
    declared: dict[str, str]  # before ${VAR} expansion: what the digest covers
    config: dict[str, str]  # as sent to Connect
    state: str  # RUNNING or PAUSED
    secret_keys: frozenset[str]  # keys never shown: secret by name, or taken from the environment
    missing_env: tuple[str, ...] = ()  # ${VAR}s not set in busctl's environment
    deleted: bool = False
    deletion_approved: bool = False


def desired_connectors(bus: Bus, cluster: str, environ: Mapping[str, str]) -> list[DesiredConnector]:
    """The connectors placed on `cluster`, tombstones included, in file order."""
    out = []
    for decl in placed_connectors(bus, cluster):
        connector = decl.connector
        declared = connect_config(connector)
        config, missing = {}, []
        for key, value in declared.items():
            names = env_names(value)
            missing += [n for n in names if n not in environ]
            config[key] = ENV_VARIABLE.sub(lambda m: environ.get(m.group(1), m.group(0)), value)
        secret = frozenset(k for k, v in declared.items() if is_secret_key(k) or env_names(v))
        out.append(
            DesiredConnector(
                name=connector.name,
                owner=connector.owner,
                file=decl.file,
                connector_class=connector.class_,
                declared=declared,
                config=config,
                state=WANTED[connector.state],
                secret_keys=secret,
                missing_env=tuple(dict.fromkeys(missing)),
                deleted=connector.lifecycle == "deleted",
                deletion_approved=connector_deletion_approved(connector),
            )
        )
    return out


def connectors_digest(desired: list[DesiredConnector]) -> str:
    """What the plan's desired digest adds for connectors: their declared configs and states (values
    from the environment are not in it, only their ${VAR} names)."""
    lines = [
        f"{d.name} {d.state} {d.deleted} {d.deletion_approved} {sorted(d.declared.items())}" for d in desired
    ]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


@dataclass(frozen=True)
class TaskStatus:
    """One task of a connector, as the Connect cluster reports it."""

    id: int
    state: str
    worker: str = ""
    trace: str = ""  # a FAILED task's stack trace


@dataclass(frozen=True)
class ObservedConnector:
    """A connector the Connect cluster runs: its config, state and tasks."""

    name: str
    config: dict[str, str]
    state: str
    type: str = ""
    worker: str = ""
    trace: str = ""
    tasks: tuple[TaskStatus, ...] = ()


@dataclass(frozen=True)
class FieldError:
    """What the worker's config validation says about one setting."""

    key: str
    errors: tuple[str, ...]


@dataclass
class ConnectState:
    """What a plan reads from a Connect cluster: every connector (config, state, tasks), the plugins
    the workers have (class → type), and the workers' verdict on each config about to be sent."""

    url: str
    connectors: dict[str, ObservedConnector]
    plugins: dict[str, str]
    validations: dict[str, tuple[FieldError, ...]] = field(default_factory=dict)
    version: str = ""

    def fingerprint(self) -> str:
        """A digest of the connectors' configs and states (secret values are not in it)."""
        lines = []
        for name in sorted(self.connectors):
            observed = self.connectors[name]
            shown = sorted((k, "" if is_secret_key(k) else v) for k, v in observed.config.items())
            lines.append(f"{name} {observed.state} {shown}")
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:32]


def first_line(trace: str) -> str:
    """A stack trace in one line: the exception and its message (and the root cause's)."""
    lines = [line.strip() for line in trace.splitlines() if line.strip()]
    if not lines:
        return ""
    causes = [line for line in lines if line.startswith("Caused by:")]
    summary = lines[0] if not causes else f"{lines[0]} ({causes[-1]})"
    return summary if len(summary) <= 240 else f"{summary[:239]}…"


@dataclass(frozen=True)
class Health:
    """One declared connector on its Connect cluster: the state declared, the state seen, its tasks,
    and what is wrong ("" when it runs as declared)."""

    name: str
    owner: str
    file: str
    declared: str  # RUNNING, PAUSED or DELETED (a tombstone)
    state: str  # "" when the Connect cluster does not have it
    tasks: tuple[TaskStatus, ...]
    problem: str = ""


@dataclass(frozen=True)
class ConnectorsStatus:
    """`busctl connectors status`: every declared connector of one cluster as its Connect cluster runs
    it, and the connectors there that no declaration names."""

    cluster: str
    url: str
    version: str
    connectors: list[Health]
    unmanaged: list[str]

    @property
    def failing(self) -> list[Health]:
        return [h for h in self.connectors if h.problem]


def health(desired: list[DesiredConnector], observed: Mapping[str, ObservedConnector]) -> list[Health]:
    """How each declared connector runs, by name; tombstones only while they are still there."""
    out = []
    for d in sorted(desired, key=lambda d: d.name):
        seen = observed.get(d.name)
        if d.deleted and seen is None:
            continue
        declared = "DELETED" if d.deleted else d.state
        state, tasks = (seen.state, seen.tasks) if seen is not None else ("", ())
        out.append(Health(d.name, d.owner, d.file, declared, state, tasks, _problem(d, seen)))
    return out


def _problem(d: DesiredConnector, seen: ObservedConnector | None) -> str:
    if d.deleted:
        return "tombstoned, but still on the Connect cluster: apply deletes it once approved (BUS520)"
    if seen is None:
        return "not on the Connect cluster: apply creates it"
    return judge(seen, d.state)[1]


def judge(seen: ObservedConnector, want: str) -> tuple[bool, str]:
    """(failed, what is not as declared) of a connector that should be in state `want` (RUNNING or
    PAUSED): failed when it or a task FAILED (waiting will not mend it); "" when it and every task are in
    `want`."""
    if seen.state == FAILED:
        return True, f"the connector FAILED: {first_line(seen.trace) or 'no error given'}"
    broken = [t for t in seen.tasks if t.state == FAILED]
    if broken:
        more = f" (and {len(broken) - 1} more)" if len(broken) > 1 else ""
        return True, f"task {broken[0].id} FAILED{more}: {first_line(broken[0].trace) or 'no error given'}"
    if seen.state != want:
        return False, f"{seen.state or 'no state'}, declared {want}"
    if not seen.tasks:
        return False, f"{seen.state} with no task running"
    odd = [t for t in seen.tasks if t.state != want]
    if odd:
        return False, f"task {odd[0].id} is {odd[0].state}, declared {want}"
    return False, ""


def to_validate(desired: list[DesiredConnector], state: ConnectState) -> list[DesiredConnector]:
    """The connectors whose config a plan asks the workers to validate: new or changed ones that can be
    sent (plugin installed, environment complete)."""
    return [
        d
        for d in desired
        if not d.deleted
        and not d.missing_env
        and d.connector_class in state.plugins
        and (d.name not in state.connectors or state.connectors[d.name].config != d.config)
    ]


def connector_changes(
    desired: list[DesiredConnector], state: ConnectState, allow_delete: bool
) -> tuple[list[Change], list[str]]:
    """The connector changes of one cluster's plan, and the connectors no declaration names."""
    changes: list[Change] = []
    for d in desired:
        observed = state.connectors.get(d.name)
        changes += _changes(d, observed, state, allow_delete)
    declared = {d.name for d in desired}
    unmanaged = sorted(name for name in state.connectors if name not in declared)
    return changes, unmanaged


def _changes(
    d: DesiredConnector, observed: ObservedConnector | None, state: ConnectState, allow_delete: bool
) -> list[Change]:
    if d.deleted:
        if observed is None:
            return []
        if d.deletion_approved or allow_delete:
            return [_change(Action.DELETE_CONNECTOR, d, observed)]
        return [
            _blocked(
                d,
                "tombstoned: deleting a connector needs its file to approve rule BUS520",
                "approve the deletion in the connector's file (busctl check asks for it), or apply "
                "with --allow-delete",
            )
        ]
    if d.missing_env:
        names = ", ".join(f"${{{n}}}" for n in d.missing_env)
        return [_blocked(d, f"needs {names} from busctl's environment", f"set {names} and plan again")]
    if d.connector_class not in state.plugins:
        return [
            _blocked(
                d,
                f"plugin {d.connector_class} is not installed on the Connect workers",
                "install it on every worker (plugin.path) and restart them, or fix `class:`",
            )
        ]
    errors = state.validations.get(d.name, ())
    if errors:
        said = "; ".join(f"{e.key}: {' '.join(e.errors)}" for e in errors)
        return [
            _blocked(
                d, f"the workers refuse its config: {said}", "fix the settings named in the connector's file"
            )
        ]
    if observed is None:
        return [_change(Action.CREATE_CONNECTOR, d, None)]
    changes = []
    if observed.config != d.config:
        changes.append(_change(Action.UPDATE_CONNECTOR, d, observed))
    if d.state == PAUSED and observed.state != PAUSED:
        changes.append(_change(Action.PAUSE_CONNECTOR, d, observed))
    elif d.state == RUNNING and observed.state in (PAUSED, STOPPED):
        changes.append(_change(Action.RESUME_CONNECTOR, d, observed))
    return changes


def _change(action: Action, d: DesiredConnector, observed: ObservedConnector | None) -> Change:
    configs: tuple[ConfigChange, ...] = ()
    if action in (Action.CREATE_CONNECTOR, Action.UPDATE_CONNECTOR):
        configs = config_diff(d, {} if observed is None else observed.config)
    return Change(
        action=action,
        topic="",
        configs=configs,
        connector=ConnectorChange(
            name=d.name,
            connector_class=d.connector_class,
            state=d.state,
            previous_state="" if observed is None else observed.state,
            file=d.file,
        ),
        risk="high" if action is Action.DELETE_CONNECTOR else "medium" if configs and observed else "low",
    )


def _blocked(d: DesiredConnector, reason: str, remedy: str) -> Change:
    return Change(
        action=Action.BLOCKED,
        topic="",
        connector=ConnectorChange(name=d.name, connector_class=d.connector_class, state=d.state, file=d.file),
        reason=reason,
        remedy=remedy,
    )


def config_diff(d: DesiredConnector, before: Mapping[str, str]) -> tuple[ConfigChange, ...]:
    """Every key whose value changes, by key, secrets masked (a changed secret shows as changed)."""
    out = []
    for key in sorted(before.keys() | d.config.keys()):
        old, new = before.get(key), d.config.get(key)
        if old == new:
            continue
        if key in d.secret_keys or is_secret_key(key):
            old = None if old is None else SECRET
            new = None if new is None else (SECRET if old is None else f"{SECRET}, changed")
        out.append(ConfigChange(key, old, new))
    return tuple(out)
