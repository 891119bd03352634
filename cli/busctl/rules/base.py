"""The rule registry: every code busctl reports, with an id, a name, a default severity and a docstring
(Bad/Good examples).

Three families share its id space. Load codes (BUS0xx, BUS301) are reported by the loaders and protoc
while reading the repo; they have no check. Lint rules look at one bus (`LintContext`); check rules
compare the bus before and after a change (`CheckContext`). bus.yaml `policy.rules` may change the
severity of an entry or turn it off, unless the entry is `locked` (see `overrides`); an `opt_in` rule
is off until `policy.rules` gives it a severity.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import ClassVar, Generic, Literal, TypeVar

from busctl.core.bus import Bus
from busctl.core.compare import TopicChange
from busctl.core.diagnostics import Diagnostic, Severity, Span
from busctl.core.model import RuleSetting
from busctl.core.schemas import SchemaSet
from busctl.core.topic_configs import Catalogue

Family = Literal["load", "lint", "check"]


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


class Entry:
    """A registered code. Subclasses set `id`, `name`, `family` and a docstring whose first line is the
    summary; `locked` says why bus.yaml cannot change the entry (empty: it can); an `opt_in` entry
    runs only when bus.yaml `policy.rules` sets its severity (`severity` is then only a suggestion)."""

    id: ClassVar[str]
    name: ClassVar[str]
    family: ClassVar[Family]
    severity: ClassVar[Severity] = Severity.ERROR
    locked: ClassVar[str] = ""
    opt_in: ClassVar[bool] = False

    @classmethod
    def default(cls) -> str:
        """The setting in effect when bus.yaml says nothing: "off" for an opt-in entry, else its severity."""
        return "off" if cls.opt_in else cls.severity.value

    @classmethod
    def summary(cls) -> str:
        return cls.doc().splitlines()[0]

    @classmethod
    def doc(cls) -> str:
        """The docstring, dedented: summary, details, Bad/Good examples."""
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def finding(
        cls, message: str, span: Span, hint: str = "", severity: Severity | None = None, subject: str = ""
    ) -> Diagnostic:
        return Diagnostic(
            code=cls.id,
            name=cls.name,
            message=message,
            span=span,
            severity=severity or cls.severity,
            hint=hint,
            subject=subject,
        )


class Reported(Entry):
    """A code busctl reports itself (loaders, protoc, check's own findings): metadata only, no check."""


class LoadCode(Reported):
    """A problem reading a file as its format requires; nothing in the file can be checked further."""

    family = "load"
    locked = "a load error: the file cannot be read as its format requires, so nothing in it is checked"


C = TypeVar("C")


class BaseRule(Entry, Generic[C]):
    """A rule with a check: subclasses implement `check`."""

    needs_teams: ClassVar[bool] = False  # skipped when teams.yaml could not be loaded
    reads_schemas: ClassVar[bool] = False  # looks at the compiled schemas (the plan's schema gate runs these)
    unapprovable: ClassVar[str] = ""  # a check rule: why no approval can make its break happen

    def check(self, ctx: C) -> Iterator[Diagnostic]:
        raise NotImplementedError


class Rule(BaseRule[LintContext]):
    """A lint rule: looks at one bus."""

    family = "lint"


class CheckRule(BaseRule[CheckContext]):
    """A check rule: compares the bus before and after a change."""

    family = "check"


E = TypeVar("E", bound=type[Entry])
REGISTRY: dict[str, type[Entry]] = {}


def register(entry: E) -> E:
    """Class decorator adding an entry to the registry; ids must be unique."""
    if entry.id in REGISTRY:
        raise ValueError(f"duplicate rule id {entry.id}")
    REGISTRY[entry.id] = entry
    return entry


def registered() -> dict[str, type[Entry]]:
    """Every entry by id, once every module registering entries is imported."""
    from busctl.rules import (  # noqa: F401
        breaking,
        clusters,
        configs,
        connectors,
        exemptions,
        load,
        placement,
        policy,
        schemas,
        teams,
        text,
        topics,
    )

    return REGISTRY


def entries() -> list[type[Entry]]:
    """Every registered entry, by family (load, lint, check), then id."""
    order: list[Family] = ["load", "lint", "check"]
    return sorted(registered().values(), key=lambda e: (order.index(e.family), e.id))


def all_rules() -> list[Rule]:
    """An instance of every registered lint rule, by id."""
    return [e() for e in entries() if issubclass(e, Rule)]


def check_rules() -> list[CheckRule]:
    """An instance of every registered check rule, by id."""
    return [e() for e in entries() if issubclass(e, CheckRule)]


def overrides(settings: Mapping[str, RuleSetting]) -> dict[str, RuleSetting]:
    """The `policy.rules` settings that take effect: those naming a registered, unlocked entry
    (BUS116 reports the others)."""
    known = registered()
    return {code: setting for code, setting in settings.items() if code in known and not known[code].locked}


def enabled(entry: type[Entry], settings: Mapping[str, RuleSetting]) -> bool:
    """Whether `entry` reports under bus.yaml's settings: not turned off, and an opt-in one turned on."""
    return overrides(settings).get(entry.id, entry.default()) != "off"


def apply_overrides(
    diagnostics: Iterable[Diagnostic], settings: Mapping[str, RuleSetting]
) -> list[Diagnostic]:
    """`diagnostics` with bus.yaml's severities: a code set to "off" (or opt-in and not set) is
    dropped, others take the severity set for them."""
    effective = overrides(settings)
    known = registered()
    off = {code for code, entry in known.items() if effective.get(code, entry.default()) == "off"}
    return [
        d if d.code not in effective else dataclasses.replace(d, severity=Severity(effective[d.code]))
        for d in diagnostics
        if d.code not in off
    ]


def run_rules(ctx: LintContext, schema_rules_only: bool = False) -> list[Diagnostic]:
    """The findings of every enabled rule (or of those reading the compiled schemas), at the severities
    bus.yaml sets, those a topic exempts as notes; team rules are skipped when teams.yaml failed to
    load (already reported)."""
    from busctl.rules.exemptions import exempted

    settings = ctx.bus.config.policy.rules
    found = [
        d
        for rule in all_rules()
        if (ctx.bus.teams_ok or not rule.needs_teams)
        and enabled(type(rule), settings)
        and (rule.reads_schemas or not schema_rules_only)
        for d in rule.check(ctx)
    ]
    return exempted(ctx.bus, apply_overrides(found, settings))


def named(diagnostic: Diagnostic) -> Diagnostic:
    """`diagnostic` with its registry entry's name."""
    entry = registered().get(diagnostic.code)
    return dataclasses.replace(diagnostic, name=entry.name) if entry is not None else diagnostic
