"""The rule registry: one rule = an id, a name, a docstring (Bad/Good) and a check.

Two families share it (and its id space): lint rules look at one bus (`LintContext`), check rules compare
the bus before and after a change (`CheckContext`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from busctl.core.bus import Bus
from busctl.core.compare import TopicChange
from busctl.core.diagnostics import Diagnostic, Severity, Span
from busctl.core.schemas import SchemaSet
from busctl.core.topic_configs import Catalogue


@dataclass(frozen=True)
class LintContext:
    """What every rule may look at: the loaded bus, the compiled schemas and the config catalogue."""

    bus: Bus
    schemas: SchemaSet
    catalogue: Catalogue
    buf_rules: frozenset[str] | None = None  # buf's breaking rule ids, when the buf binary is there


@dataclass(frozen=True)
class CheckContext:
    """What a check rule compares: the bus at the merge base and in the working tree, topic by topic."""

    base: Bus
    head: Bus
    changes: list[TopicChange]
    catalogue: Catalogue


C = TypeVar("C")


class BaseRule(Generic[C]):
    """Base class. Subclasses set `id`, `name`, a docstring whose first line is the summary, and `check`."""

    id: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity] = Severity.ERROR
    needs_teams: ClassVar[bool] = False  # skipped when teams.yaml could not be loaded
    unapprovable: ClassVar[str] = ""  # a check rule: why no approval can make its break happen

    @classmethod
    def summary(cls) -> str:
        return (cls.__doc__ or "").strip().splitlines()[0]

    def check(self, ctx: C) -> Iterator[Diagnostic]:
        raise NotImplementedError

    def finding(
        self, message: str, span: Span, hint: str = "", severity: Severity | None = None, subject: str = ""
    ) -> Diagnostic:
        return Diagnostic(
            code=self.id,
            name=self.name,
            message=message,
            span=span,
            severity=severity or self.severity,
            hint=hint,
            subject=subject,
        )


class Rule(BaseRule[LintContext]):
    """A lint rule: looks at one bus."""


class CheckRule(BaseRule[CheckContext]):
    """A check rule: compares the bus before and after a change."""


R = TypeVar("R", bound=type[BaseRule[Any]])
REGISTRY: dict[str, type[BaseRule[Any]]] = {}


def register(rule: R) -> R:
    """Class decorator adding a rule to the registry; ids must be unique."""
    if rule.id in REGISTRY:
        raise ValueError(f"duplicate rule id {rule.id}")
    REGISTRY[rule.id] = rule
    return rule


def _load_rules() -> None:
    from busctl.rules import breaking, clusters, configs, schemas, teams, text, topics  # noqa: F401  (registration)


def all_rules() -> list[Rule]:
    """An instance of every registered lint rule, by id."""
    _load_rules()
    return [REGISTRY[i]() for i in sorted(REGISTRY) if issubclass(REGISTRY[i], Rule)]  # type: ignore[misc]


def check_rules() -> list[CheckRule]:
    """An instance of every registered check rule, by id."""
    _load_rules()
    return [REGISTRY[i]() for i in sorted(REGISTRY) if issubclass(REGISTRY[i], CheckRule)]  # type: ignore[misc]


def run_rules(ctx: LintContext) -> list[Diagnostic]:
    """Every rule's findings; team rules are skipped when teams.yaml failed to load (already reported)."""
    return [d for rule in all_rules() if ctx.bus.teams_ok or not rule.needs_teams for d in rule.check(ctx)]
