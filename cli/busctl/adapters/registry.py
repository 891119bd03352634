"""The schema registry adapter: a Confluent-compatible REST API (Confluent Schema Registry, Apicurio's
`/apis/ccompat/v7`, Karapace) over httpx. It reads what a plan needs (`read_state`), executes the
subject changes of a plan (`set_compatibility`, `register_schemas`, `delete_subjects`, reporting each
like the Kafka writer does) and answers `verify` (`subjects_of_id`).

Subject names are percent-encoded whole in paths (an import path's slashes included). Credentials come
from bus.yaml `${VAR}`s and never appear in a message: errors name the URL without its user info.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from busctl.adapters.http import ApiError, JsonApi, parallel, sent, shortened
from busctl.adapters.http import path as _path
from busctl.adapters.kafka import expand
from busctl.core.diagnostics import printable
from busctl.core.model import SchemaRegistry
from busctl.core.plan import Change
from busctl.core.ports import Outcomes, Sent
from busctl.core.subjects import (
    DesiredSubject,
    ObservedSubject,
    Reference,
    RegisteredVersion,
    RegistryState,
    layers,
)

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


class RegistryError(ApiError):
    """The registry refused a request or could not be reached; `code` is its error_code (0: none)."""


class Registry(JsonApi):
    """One registry's Confluent-compatible API."""

    what = "schema registry"
    error = RegistryError

    def __init__(
        self,
        url: str,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        where: str = "clusters.NAME.registry",
    ) -> None:
        headers = {"Accept": CONTENT_TYPE, "Content-Type": CONTENT_TYPE}
        super().__init__(url, username, password, timeout, where, headers)

    def not_json_hint(self) -> str:
        return (
            f"check bus.yaml {self.where}.url: the base of the Confluent-compatible API "
            "(Apicurio: .../apis/ccompat/v7)"
        )

    def not_found_hint(self) -> str:
        return f"check bus.yaml {self.where}.url: the base of the Confluent-compatible API"

    # -- the API ---------------------------------------------------------------------------------

    def subjects(self) -> list[str]:
        return [str(s) for s in self.request("GET", "/subjects")]

    def default_compatibility(self) -> str:
        return str(self.request("GET", "/config").get("compatibilityLevel", ""))

    def compatibility(self, subject: str) -> str | None:
        """The subject's own level; None when it has none (the registry's default applies)."""
        found = self.absent_is_none("GET", _path("config", subject))
        return None if found is None else str(found.get("compatibilityLevel") or "") or None

    def set_compatibility(self, subject: str, level: str) -> None:
        self.request("PUT", _path("config", subject), {"compatibility": level})

    def latest(self, subject: str) -> RegisteredVersion | None:
        found = self.absent_is_none("GET", _path("subjects", subject, "versions", "latest"))
        if found is None:
            return None
        return RegisteredVersion(id=int(found["id"]), version=int(found["version"]))

    def lookup(self, subject: str, schema: str, references: Iterable[Reference]) -> int | None:
        """The version of `subject` holding this schema with these references, or None."""
        found = self.absent_is_none("POST", _path("subjects", subject), _body(schema, references))
        return None if found is None else int(found["version"])

    def register(self, subject: str, schema: str, references: Iterable[Reference]) -> int:
        """Register the schema (a no-op when the subject holds it already); its id."""
        found = self.request("POST", _path("subjects", subject, "versions"), _body(schema, references))
        return int(found["id"])

    def check(self, subject: str, schema: str, references: Iterable[Reference]) -> tuple[str, ...]:
        """The registry's verdict on the schema as the subject's next version: () when compatible,
        else its messages."""
        found = self.request(
            "POST",
            _path("compatibility", "subjects", subject, "versions", "latest"),
            _body(schema, references),
            verbose="true",
        )
        if found.get("is_compatible"):
            return ()
        # Confluent gives `messages`, Apicurio one `reason`
        messages = found.get("messages") or [found.get("reason") or "the registry gave no reason"]
        return tuple(shortened(printable(str(m))) for m in messages)

    def delete(self, subject: str) -> list[int]:
        """Soft-delete the subject; the versions it had."""
        return [int(v) for v in self.request("DELETE", _path("subjects", subject)) or []]

    def subjects_of_id(self, schema_id: int) -> list[tuple[str, int]]:
        """The (subject, version) pairs that hold the schema with this id."""
        found = self.absent_is_none("GET", _path("schemas", "ids", schema_id, "versions")) or []
        return [(str(v["subject"]), int(v["version"])) for v in found]

    # -- the read port of a plan -----------------------------------------------------------------

    def read_state(self, desired: list[DesiredSubject], tombstoned: Iterable[str] = ()) -> RegistryState:
        """What the registry holds for each desired subject (in their order: a subject after those
        it references), with the registry's own check of every schema it would get as a new version,
        and which of the `tombstoned` subjects exist. Each subject is asked for by name: a registry's
        list of subjects may be cut short (Apicurio lists registry.ccompat.max-subjects, 1,000)."""
        state = RegistryState(
            url=self.url, default_compatibility=self.default_compatibility(), subjects=self.subjects()
        )
        holding: dict[str, int | None] = {}  # subject -> the version holding git's schema
        for layer in layers(desired):
            for observed in parallel(lambda wanted: self._observe(wanted, holding), layer):
                holding[observed.subject] = observed.holds
                state.observed[observed.subject] = observed
        for subject, latest in zip(tombstoned, parallel(self.latest, list(tombstoned)), strict=True):
            state.observed[subject] = ObservedSubject(subject, latest)
        return state

    def _observe(self, wanted: DesiredSubject, holding: dict[str, int | None]) -> ObservedSubject:
        compatibility = self.compatibility(wanted.subject)
        latest = self.latest(wanted.subject)
        if latest is None:
            return ObservedSubject(wanted.subject, None, compatibility=compatibility)
        pending = [r for r in wanted.references if holding.get(r) is None]
        if pending:
            return ObservedSubject(
                wanted.subject,
                latest,
                compatibility=compatibility,
                unchecked=f"it references {pending[0]}, which apply registers first (the registry "
                "checks it then)",
            )
        references = [Reference(r, r, v) for r in wanted.references if (v := holding.get(r)) is not None]
        holds = self.lookup(wanted.subject, wanted.schema, references)
        if holds is not None:
            return ObservedSubject(wanted.subject, latest, holds, compatibility)
        try:
            verdict = self.check(wanted.subject, wanted.schema, references)
        except RegistryError as err:
            if err.status < 500:
                raise
            return ObservedSubject(wanted.subject, latest, None, compatibility, check_error=err.message)
        return ObservedSubject(wanted.subject, latest, None, compatibility, verdict)


def connect(name: str, settings: SchemaRegistry, timeout: float) -> Registry:
    """The registry client of bus.yaml cluster `name`, ${VAR}s expanded from the environment."""
    where = f"clusters.{name}.registry"
    env = os.environ
    username = expand(settings.username, f"{where}.username", env) if settings.username else None
    password = expand(settings.password, f"{where}.password", env) if settings.password else None
    return Registry(expand(settings.url, f"{where}.url", env), username, password, timeout, where)


def _body(schema: str, references: Iterable[Reference]) -> dict[str, object]:
    return {
        "schemaType": "PROTOBUF",
        "schema": schema,
        "references": [{"name": r.name, "subject": r.subject, "version": r.version} for r in references],
    }


def _subject(change: Change) -> str:
    return change.subject.subject if change.subject else ""


def _level(change: Change) -> str:
    return change.subject.compatibility or "" if change.subject else ""


@dataclass(frozen=True)
class RegistryWriter:
    """Executes the subject changes of a plan (the write port of apply), reporting each as the Kafka
    writer does: failed when the registry refused it, unconfirmed when it did not answer."""

    registry: Registry
    desired: dict[str, DesiredSubject]  # the plan's desired subjects: their schemas, by subject

    def set_levels(self, changes: list[Change]) -> Outcomes:
        return parallel(lambda c: sent(self.registry.set_compatibility, _subject(c), _level(c)), changes)

    def register_schemas(self, changes: list[Change]) -> Outcomes:
        """Register each change's schema, its references resolved to the versions holding theirs; a
        layer at a time (`layers`), so a schema is registered after those it references."""
        outcomes: dict[str, Sent] = {}
        wanted = [self.desired[_subject(c)] for c in changes]
        for layer in layers(wanted):
            for subject, outcome in zip(
                layer, parallel(lambda w: sent(self._register, w), layer), strict=True
            ):
                outcomes[subject.subject] = outcome
        return [outcomes[_subject(c)] for c in changes]

    def delete_subjects(self, changes: list[Change]) -> Outcomes:
        return parallel(lambda c: sent(self.registry.delete, _subject(c)), changes)

    def _register(self, wanted: DesiredSubject) -> None:
        references = [Reference(r, r, self._version_of(self.desired[r])) for r in wanted.references]
        self.registry.register(wanted.subject, wanted.schema, references)

    def _version_of(self, wanted: DesiredSubject) -> int:
        """The version of a referenced subject that holds git's schema (registered before)."""
        deps = [Reference(r, r, self._version_of(self.desired[r])) for r in wanted.references]
        version = self.registry.lookup(wanted.subject, wanted.schema, deps)
        if version is None:
            raise RegistryError(f"its reference {wanted.subject} does not hold git's schema", status=404)
        return version
