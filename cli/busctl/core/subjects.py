"""Schema registry subjects: the ones a cluster's topics need, what a registry holds, the diff. Pure.

Subjects are named as clients name them by default: a topic's value message under `<topic>-value`
(TopicNameStrategy), a protobuf key message under `<topic>-key`, and every .proto those import under its
import path (`acme/common/v1/money.proto`), referenced by name, subject and version. Each schema is the
file's FileDescriptorProto, base64-encoded, as protoc's code generators embed it: what confluent-kafka's
ProtobufSerializer sends, so a producer finds busctl's registration instead of making its own.

The diff registers a subject's schema only when the registry does not hold it yet (registering it again
would change nothing), runs no check itself (the registry's verdict comes with the observed state), and
deletes only the subjects of tombstoned topics whose file approves the deletion (or with --allow-delete).
Subjects it does not manage are listed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Literal

from busctl.core.bus import TOMBSTONE_RULE
from busctl.core.plan import Action, Change, SubjectChange

Role = Literal["value", "key", "import"]
# what confluent-kafka's serializer never registers (it skips these references: _is_builtin)
BUILTIN_PREFIXES = ("google/protobuf/", "google/type/", "confluent/")


def is_builtin(import_path: str) -> bool:
    """A .proto the serializer resolves on its own and never registers (the well-known types)."""
    return import_path.startswith(BUILTIN_PREFIXES)


def schema_digest(schema: str) -> str:
    """A short digest of a schema's text, for plans (which do not carry the schema itself)."""
    return hashlib.sha256(schema.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class WireFile:
    """A compiled .proto as the registry gets it: its schema and the imports registered beside it."""

    schema: str  # the .proto's text, or its base64 FileDescriptorProto (bus.yaml registry.format)
    imports: tuple[str, ...]  # builtins left out


@dataclass(frozen=True)
class TopicSchemas:
    """What one topic placed on a cluster needs registered: the .proto files of its messages."""

    topic: str
    value_file: str  # import path of the file defining the value message
    key_file: str | None  # the key message's file, when the key is a protobuf message
    compatibility: str


def value_subject(topic: str) -> str:
    return f"{topic}-value"


def key_subject(topic: str) -> str:
    return f"{topic}-key"


def desired_subjects(
    topics: list[TopicSchemas], wire: dict[str, WireFile], import_compatibility: str
) -> list[DesiredSubject]:
    """Every subject the topics need, each after the subjects it references (imports depth first),
    topics in name order. Imported files get `import_compatibility`; an import shared by topics names
    all of them."""
    users: dict[str, list[str]] = {}
    order: list[str] = []

    def visit(file: str, topic: str, path: tuple[str, ...]) -> None:
        if file in path:  # protoc refuses import cycles; never loop on one
            return
        for dependency in wire[file].imports:
            visit(dependency, topic, (*path, file))
            if topic not in users.setdefault(dependency, []):
                users[dependency].append(topic)
            if dependency not in order:
                order.append(dependency)

    ordered_topics = sorted(topics, key=lambda t: t.topic)
    for topic in ordered_topics:
        for file in (topic.value_file, topic.key_file):
            if file is not None:
                visit(file, topic.topic, ())
    subjects = [
        DesiredSubject(f, f, wire[f].schema, wire[f].imports, import_compatibility, "import", tuple(users[f]))
        for f in order
    ]
    for topic in ordered_topics:
        for subject, file, role in (
            (value_subject(topic.topic), topic.value_file, "value"),
            (key_subject(topic.topic), topic.key_file, "key"),
        ):
            if file is not None:
                subjects.append(
                    DesiredSubject(
                        subject,
                        file,
                        wire[file].schema,
                        wire[file].imports,
                        topic.compatibility,
                        "value" if role == "value" else "key",
                        (topic.topic,),
                    )
                )
    return subjects


def layers(subjects: list[DesiredSubject]) -> list[list[DesiredSubject]]:
    """`subjects` (in dependency order) in layers: the first references none of them, each next one
    only subjects of the layers before it; so a layer's subjects can be read or registered at once."""
    depth: dict[str, int] = {}
    found: list[list[DesiredSubject]] = []
    for subject in subjects:
        level = 1 + max((depth.get(r, -1) for r in subject.references), default=-1)
        depth[subject.subject] = level
        while len(found) <= level:
            found.append([])
        found[level].append(subject)
    return found


@dataclass(frozen=True)
class Reference:
    """A schema's reference to another subject: the import path, the subject and the version."""

    name: str
    subject: str
    version: int


@dataclass(frozen=True)
class DesiredSubject:
    """A subject as the declarations want it on one registry."""

    subject: str
    file: str  # the .proto's import path: its schema
    schema: str  # as the registry gets it: the .proto's text, or its base64 FileDescriptorProto
    references: tuple[str, ...]  # the subjects of its imports, in import order (builtins left out)
    compatibility: str
    role: Role
    topics: tuple[str, ...] = ()  # the topics whose subjects need it (their own, or through imports)

    @property
    def digest(self) -> str:
        return schema_digest(self.schema)


@dataclass(frozen=True)
class RegisteredVersion:
    """One version of a subject in the registry."""

    id: int
    version: int


@dataclass(frozen=True)
class ObservedSubject:
    """What the registry holds for one desired subject."""

    subject: str
    latest: RegisteredVersion | None  # None: the subject does not exist (or is soft-deleted)
    holds: int | None = None  # the version whose schema and references are git's, None: none is
    compatibility: str | None = None  # the subject's own level; None: not set (the default applies)
    verdict: tuple[str, ...] | None = None  # the registry's check of git's schema: () compatible
    unchecked: str = ""  # why there is no verdict, when a new version would be registered
    check_error: str = ""  # the registry failed to check (e.g. it cannot parse the schema it holds)


@dataclass
class RegistryState:
    """A registry as read for a plan: every subject it lists (a registry may cut the list short) and
    the desired and tombstoned ones, asked for by name, in detail."""

    url: str
    default_compatibility: str
    subjects: list[str] = field(default_factory=list)
    observed: dict[str, ObservedSubject] = field(default_factory=dict)

    def fingerprint(self) -> str:
        """A digest of what the plan was made from: each observed subject's latest id and level."""
        parts = [self.default_compatibility, *sorted(self.subjects)]
        for name in sorted(self.observed):
            seen = self.observed[name]
            latest = seen.latest
            parts.append(f"{name}:{latest.id if latest else '-'}:{latest.version if latest else '-'}")
            parts.append(f"{seen.compatibility}:{seen.holds}:{seen.verdict}")
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def subject_changes(
    desired: list[DesiredSubject],
    tombstoned: list[str],
    state: RegistryState,
    allow_delete: bool,
    known: frozenset[str] = frozenset(),
    approved: frozenset[str] = frozenset(),
) -> tuple[list[Change], list[str]]:
    """The changes that bring the registry to `desired` (in dependency order: a subject after those it
    references), and the subjects busctl leaves alone: those neither desired, tombstoned nor `known`
    (the subjects of topics out of this plan's scope). `tombstoned`: the subjects of deleted topics;
    `approved`: those of them whose topic's file approves the deletion (deleted without --allow-delete)."""
    changes: list[Change] = []
    for wanted in desired:
        seen = state.observed.get(wanted.subject) or ObservedSubject(wanted.subject, None)
        topic = wanted.topics[0] if wanted.role != "import" and wanted.topics else ""
        if seen.compatibility != wanted.compatibility:
            changes.append(
                Change(
                    Action.SET_COMPATIBILITY,
                    topic,
                    subject=SubjectChange(
                        wanted.subject,
                        wanted.file,
                        compatibility=wanted.compatibility,
                        previous_compatibility=seen.compatibility
                        or f"{state.default_compatibility} (default)",
                    ),
                )
            )
        change = _registration(wanted, seen, topic)
        if change is not None:
            changes.append(change)
    present = set(state.subjects)
    for subject in tombstoned:
        probed = state.observed.get(subject)
        exists = probed.latest is not None if probed is not None else subject in present
        if exists:
            changes.append(_deletion(subject, allow_delete or subject in approved))
    managed = {d.subject for d in desired} | set(tombstoned) | known
    return changes, sorted(present - managed)


def _registration(wanted: DesiredSubject, seen: ObservedSubject, topic: str) -> Change | None:
    latest = seen.latest
    detail = SubjectChange(
        wanted.subject,
        wanted.file,
        schema_digest=wanted.digest,
        latest_version=latest.version if latest else None,
        references=wanted.references,
        compatibility=wanted.compatibility,
    )
    if latest is None:
        return Change(Action.REGISTER_SCHEMA, topic, subject=detail)
    if seen.holds == latest.version:
        return None
    if seen.holds is not None:
        return Change(
            Action.BLOCKED,
            topic,
            subject=detail,
            reason=f"drift: the registry's latest version of {wanted.subject} is {latest.version} "
            f"(id {latest.id}), not git's schema (version {seen.holds})",
            remedy="a version was registered outside busctl (a producer with auto.register.schemas?): "
            "delete it from the registry, or commit that schema to git",
            risk="high",
        )
    if seen.check_error:
        return Change(
            Action.BLOCKED,
            topic,
            subject=detail,
            reason=f"the registry could not check git's schema against version {latest.version} of "
            f"{wanted.subject}: {seen.check_error}",
            remedy="registries differ in the schema forms they can check: see bus.yaml "
            "clusters.NAME.registry.format in the README",
            risk="high",
        )
    if seen.verdict:
        return Change(
            Action.BLOCKED,
            topic,
            subject=detail,
            reason=f"incompatible with version {latest.version} of {wanted.subject} "
            f"({seen.compatibility or 'registry default'}): " + "; ".join(seen.verdict),
            remedy="make the change compatible (add fields, do not change or reuse them), or publish "
            "a new message type on a new topic",
            risk="high",
        )
    checked = "compatible (the registry's check)" if seen.verdict == () else f"not checked: {seen.unchecked}"
    return Change(Action.REGISTER_SCHEMA, topic, subject=replace(detail, check=checked))


def _deletion(subject: str, allow_delete: bool) -> Change:
    detail = SubjectChange(subject)
    if allow_delete:
        return Change(Action.DELETE_SUBJECT, "", subject=detail, risk="high")
    return Change(
        Action.BLOCKED,
        "",
        subject=detail,
        reason=f"subject {subject} belongs to a tombstoned topic",
        remedy=f"approve the topic's deletion in its file (rule {TOMBSTONE_RULE}): apply then soft-deletes "
        "the subject (its versions stay readable by id); or apply --allow-delete",
        risk="high",
    )
