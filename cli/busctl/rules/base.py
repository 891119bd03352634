"""The lint rule registry: one rule = an id, a name, a docstring (Bad/Good) and a check."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from busctl.core.bus import Bus
from busctl.core.diagnostics import Diagnostic, Severity, Span
from busctl.core.schemas import SchemaSet
from busctl.core.topic_configs import Catalogue


@dataclass(frozen=True)
class LintContext:
    """What every rule may look at: the loaded bus, the compiled schemas and the config catalogue."""

    bus: Bus
    schemas: SchemaSet
    catalogue: Catalogue


class Rule:
    """Base class. Subclasses set `id`, `name`, a docstring whose first line is the summary, and `check`."""

    id: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity] = Severity.ERROR
    needs_teams: ClassVar[bool] = False  # skipped when teams.yaml could not be loaded

    @classmethod
    def summary(cls) -> str:
        return (cls.__doc__ or "").strip().splitlines()[0]

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        raise NotImplementedError

    def finding(self, message: str, span: Span, hint: str = "") -> Diagnostic:
        return Diagnostic(
            code=self.id, name=self.name, message=message, span=span, severity=self.severity, hint=hint
        )


REGISTRY: dict[str, type[Rule]] = {}


def register(rule: type[Rule]) -> type[Rule]:
    """Class decorator adding a rule to the registry; ids must be unique."""
    if rule.id in REGISTRY:
        raise ValueError(f"duplicate rule id {rule.id}")
    REGISTRY[rule.id] = rule
    return rule


def all_rules() -> list[Rule]:
    """An instance of every registered rule, by id."""
    from busctl.rules import configs, schemas, teams, topics  # noqa: F401  (registration)

    return [REGISTRY[rule_id]() for rule_id in sorted(REGISTRY)]


def run_rules(ctx: LintContext) -> list[Diagnostic]:
    """Every rule's findings; team rules are skipped when teams.yaml failed to load (already reported)."""
    return [d for rule in all_rules() if ctx.bus.teams_ok or not rule.needs_teams for d in rule.check(ctx)]
