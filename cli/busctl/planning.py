"""Make a plan: validate the declarations, read the cluster in bulk, diff. Shared by plan and apply."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from busctl.adapters.kafka import KafkaAdmin
from busctl.core.bus import Bus
from busctl.core.desired import declared_groups, desired_topics
from busctl.core.diagnostics import BusctlError, Diagnostic, Report, did_you_mean
from busctl.core.diff import DiffOptions, diff
from busctl.core.plan import Plan
from busctl.core.schemas import SchemaSet
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

    def plan(self) -> Plan:
        catalogue = load_catalogue()
        desired = desired_topics(self.bus, self.options.cluster, catalogue)
        state = self.admin.read_state(declared=[t.name for t in desired])
        return diff(desired, declared_groups(self.bus), state, catalogue, self.options)


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
    return Planner(bus, connect(bus, cluster, timeout), options)
