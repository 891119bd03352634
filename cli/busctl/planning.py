"""Make a plan: validate the declarations, read the cluster in bulk, diff. Shared by plan and apply."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from busctl.adapters import protoc
from busctl.adapters.kafka import KafkaAdmin
from busctl.core.bus import Bus
from busctl.core.desired import DesiredTopic, declared_groups, desired_topics
from busctl.core.diagnostics import BusctlError, Diagnostic, Report, Severity, did_you_mean
from busctl.core.diff import DiffOptions, diff
from busctl.core.plan import Plan
from busctl.core.schemas import SchemaSet
from busctl.core.state import ClusterState
from busctl.core.topic_configs import load_catalogue
from busctl.loading.bus import load_bus
from busctl.rules.base import LintContext, run_rules


@dataclass
class Planner:
    """What a plan is made from: valid declarations, one cluster's admin client and the diff options.
    `plan()` reads the cluster and diffs, as often as asked (apply plans again under its lock)."""

    bus: Bus
    admin: KafkaAdmin
    options: DiffOptions
    schema_problems: dict[str, str] = field(default_factory=dict)  # topic -> its schema's first error
    schemas: SchemaSet | None = None  # the schemas compiled for the gate (None: not compiled)

    def plan(self) -> Plan:
        return self.survey().plan

    def survey(self) -> Survey:
        """Read the cluster and diff: the desired topics, the state read and the plan between them."""
        catalogue = load_catalogue()
        desired = [
            replace(t, schema_problem=self.schema_problems.get(t.name, ""))
            for t in desired_topics(self.bus, self.options.cluster, catalogue)
        ]
        state = self.admin.read_state(declared=[t.name for t in desired])
        return Survey(
            desired,
            state,
            diff(desired, declared_groups(self.bus, self.options.cluster), state, catalogue, self.options),
        )


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
    bus, report = load_bus(repo.resolve())
    context = LintContext(
        bus=bus, schemas=SchemaSet(root=bus.config.schemas.root, compiled=False), catalogue=load_catalogue()
    )
    report.extend(run_rules(context))
    _refuse_errors(report, untouched)
    return bus


def _refuse_errors(report: Report, untouched: str) -> None:
    errors = sorted(report.errors, key=Diagnostic.sort_key)
    if errors:
        first = "; ".join(f"{d.span}: {d.code} {d.message}" for d in errors[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        raise BusctlError(
            f"the declarations have {len(errors)} lint error(s): {first}{more}",
            f"run `busctl lint` and fix them; {untouched}",
        )


def connect(bus: Bus, cluster: str, timeout: float) -> KafkaAdmin:
    """An admin client for a cluster named in bus.yaml."""
    if cluster not in bus.config.clusters:
        known = ", ".join(sorted(bus.config.clusters)) or "none"
        raise BusctlError(
            f'cluster "{cluster}" is not defined in bus.yaml (clusters: {known})',
            did_you_mean(cluster, bus.config.clusters) or "add it under clusters: in bus.yaml",
        )
    return KafkaAdmin(cluster, bus.config.clusters[cluster], timeout=timeout)


def planner(
    repo: Path,
    cluster: str,
    *,
    topic_filter: str | None = None,
    allow_delete: bool = False,
    timeout: float = 30.0,
) -> Planner:
    """Validate the declarations and connect to the cluster (nothing is read from it yet)."""
    bus = valid_bus(repo)
    options = DiffOptions(
        cluster=cluster,
        protected=tuple(bus.config.policy.protected_topics),
        allow_delete=allow_delete,
        topic_filter=topic_filter,
    )
    admin = connect(bus, cluster, timeout)
    compiled = compiled_schemas(repo.resolve(), bus)
    return Planner(bus, admin, options, schema_problems(repo.resolve(), bus, compiled), compiled[0])


def compiled_schemas(repo: Path, bus: Bus) -> tuple[SchemaSet, list[Diagnostic]]:
    """The repo's schemas compiled, with their compile errors; none (an empty set) when the schema tree
    has unsafe entries (`bus.schemas_ok` false: valid_bus refused them already)."""
    if not bus.schemas_ok:
        return SchemaSet(root=bus.config.schemas.root), []
    return protoc.compile_schemas(repo, bus.config.schemas.root)


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
        (d for d in [*problems, *run_rules(context)] if d.severity is Severity.ERROR), key=Diagnostic.sort_key
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
