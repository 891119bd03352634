"""Registry sync on a real broker and a real registry (Apicurio, scripts/registry): apply registers every
subject the topics need (imports as import-path subjects, referenced by version; well-known types not),
sets each level, and the plan after it is empty; a compatible change is a new version, an incompatible
one is blocked with the registry's own words; drift, tombstones and unmanaged subjects; and a real
confluent-kafka producer finds busctl's registration instead of making its own."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from grpc_tools import protoc

from tests.conftest import CliResult, write_files
from tests.integration.conftest import Broker, bus_for

pytestmark = [pytest.mark.kafka, pytest.mark.registry]
Run = Callable[..., CliResult]
HEADERS = {"Content-Type": "application/vnd.schemaregistry.v1+json"}


def _common(package: str) -> str:
    fields = "  string currency = 1;\n  int64 minor = 2;\n"
    return f'syntax = "proto3";\npackage {package};\nmessage Money {{\n{fields}}}\n'


def _event(package: str, fields: str = "") -> str:
    return (
        f'syntax = "proto3";\npackage {package};\n\nimport "{package.replace(".", "/")}/money.proto";\n'
        'import "google/protobuf/timestamp.proto";\n\n'
        "// Something was billed.\nmessage Billed {\n  string id = 1;\n  Money amount = 2;\n"
        f"  google.protobuf.Timestamp at = 3;\n{fields}}}\n\nmessage BilledKey {{\n  string id = 1;\n}}\n"
    )


class Bus:
    """A test bus on the single broker and the session's registry, with one topic of its own."""

    def __init__(self, root: Path, url: str, name: str) -> None:
        self.root, self.url = root, url
        self.topic = f"billing.{name}.v1"
        self.package = f"acme.billing.{name}.v1"  # under billing's schema directory
        self.dir = f"schemas/{self.package.replace('.', '/')}"
        self.imported = f"{self.package.replace('.', '/')}/money.proto"

    def write(self, fields: str = "", extra: str = "") -> None:
        write_files(
            self.root,
            {
                f"{self.dir}/money.proto": _common(self.package),
                f"{self.dir}/billed.proto": _event(self.package, fields),
                f"topics/billing/{self.topic}.yaml": (
                    f"name: {self.topic}\nowner: billing\ndescription: test topic\n"
                    f"schema: {self.package}.Billed\nkey: {self.package}.BilledKey\npartitions: 1\n{extra}"
                ),
            },
        )

    def get(self, *path: str) -> httpx.Response:
        return httpx.get(self.url + "/" + "/".join(quote(p, safe="") for p in path), timeout=10)

    def versions(self, subject: str) -> list[int]:
        found = self.get("subjects", subject, "versions")
        return found.json() if found.status_code == 200 else []

    def latest(self, subject: str) -> dict[str, object]:
        return dict(self.get("subjects", subject, "versions", "latest").json())


@pytest.fixture
def bus(kafka_single: Broker, registry: tuple[str, Path], tmp_path: Path) -> Callable[..., Bus]:
    def make(name: str, form: str = "text") -> Bus:
        """`name`: the test's own (topic billing.NAME.v1, package acme.billing.NAME.v1)."""
        root = bus_for(
            kafka_single,
            tmp_path / "bus",
            extra_cluster=f"    registry: {{url: {registry[0]}, format: {form}}}\n",
        )
        write_files(root, {"topics/billing/invoice-created.yaml": None, "topics/audit/events.yaml": None})
        made = Bus(root, registry[0], name)
        made.write()
        return made

    return make


def plan(run: Run, made: Bus, *args: str) -> CliResult:
    return run("plan", "--cluster", "local", "--repo", str(made.root), "--detailed-exitcode", *args)


def apply(run: Run, made: Bus, *args: str) -> CliResult:
    return run("apply", "--cluster", "local", "--repo", str(made.root), "--auto-approve", *args)


def test_apply_registers_every_subject_and_the_plan_after_it_is_empty(
    run: Run, bus: Callable[..., Bus]
) -> None:
    made = bus("synced")
    stray = "someone-elses-subject-value"
    registered = httpx.post(
        f"{made.url}/subjects/{stray}/versions",
        json={"schemaType": "PROTOBUF", "schema": _common("acme.stray.v1")},
        headers=HEADERS,
        timeout=10,
    )
    assert registered.status_code == 200, registered.text
    planned = plan(run, made)
    assert planned.code == 2, planned.out
    assert f"{made.topic}-value" in planned.out and "new subject" in planned.out
    assert stray in planned.out.replace("\n", " ")  # listed as unmanaged

    applied = apply(run, made)
    assert applied.code == 0, applied.out + applied.err
    value, key = f"{made.topic}-value", f"{made.topic}-key"
    assert made.versions(made.imported) == [1]
    assert made.versions(value) == [1] and made.versions(key) == [1]
    assert made.versions("google/protobuf/timestamp.proto") == []  # well-known types are not registered
    latest = made.latest(value)
    assert latest["references"] == [{"name": made.imported, "subject": made.imported, "version": 1}]
    assert "// Something was billed." in str(latest["schema"])  # the .proto as in git
    for subject in (value, key, made.imported):
        assert made.get("config", subject).json()["compatibilityLevel"] == "BACKWARD_TRANSITIVE"
    assert made.versions(stray) == [1]  # unmanaged: untouched

    again = plan(run, made)
    assert again.code == 0, again.out
    assert "no changes" in again.out
    document = json.loads(run("plan", "--cluster", "local", "--repo", str(made.root), "--format", "json").out)
    assert document["registry"] == made.url and stray in document["unmanaged_subjects"]


def test_a_compatible_change_is_a_new_version_an_incompatible_one_is_blocked(
    run: Run, bus: Callable[..., Bus]
) -> None:
    made = bus("evolved")
    assert apply(run, made).code == 0
    value = f"{made.topic}-value"
    made.write(fields="  string note = 4;\n")
    planned = plan(run, made)
    assert planned.code == 2 and "new version (after v1)" in planned.out, planned.out
    assert "compatible (the registry's check)" in planned.out
    assert apply(run, made).code == 0
    assert made.versions(value) == [1, 2]

    made.write(fields="  int64 note = 4;\n")  # a field's type changed: not backward compatible
    blocked = plan(run, made)
    assert blocked.code == 2, blocked.out
    assert "incompatible with version 2" in blocked.out and "not backward compatible" in blocked.out
    refused = apply(run, made)
    assert refused.code == 1, refused.out
    assert made.versions(value) == [1, 2]  # nothing registered


def test_drift_and_a_level_changed_outside_busctl_are_shown(run: Run, bus: Callable[..., Bus]) -> None:
    made = bus("drifted")
    assert apply(run, made).code == 0
    value = f"{made.topic}-value"
    outside = made.latest(value)
    changed = str(outside["schema"]).replace(
        "  string id = 1;\n  Money", "  string id = 1;\n  string x = 9;\n  Money", 1
    )
    registered = httpx.post(
        f"{made.url}/subjects/{value}/versions",
        json={"schemaType": "PROTOBUF", "schema": changed, "references": outside["references"]},
        headers=HEADERS,
        timeout=10,
    )
    assert registered.status_code == 200, registered.text
    httpx.put(f"{made.url}/config/{value}", json={"compatibility": "NONE"}, headers=HEADERS, timeout=10)
    drifted = plan(run, made)
    assert drifted.code == 2, drifted.out
    assert "drift: the registry's latest version" in drifted.out.replace("\n      ", " ")
    assert "level NONE → BACKWARD_TRANSITIVE" in drifted.out
    listed = json.loads(run("topics", "--cluster", "local", "--repo", str(made.root), "--format", "json").out)
    (entry,) = [t for t in listed["topics"] if t["name"] == made.topic]
    assert entry["drift"] == {"status": "differs", "fields": ["schema"]}


def test_a_tombstoned_topics_subjects_are_deleted_only_with_allow_delete(
    run: Run, bus: Callable[..., Bus]
) -> None:
    made = bus("tombstoned")
    assert apply(run, made).code == 0
    made.write(extra="lifecycle: deleted\n")
    held = plan(run, made)
    assert held.code == 2 and "belongs to a tombstoned topic" in held.out, held.out
    assert apply(run, made).code == 1
    assert made.versions(f"{made.topic}-value") == [1]
    deleted = apply(run, made, "--allow-delete")
    assert deleted.code == 0, deleted.out
    subjects = httpx.get(f"{made.url}/subjects", timeout=10).json()
    assert f"{made.topic}-value" not in subjects and f"{made.topic}-key" not in subjects
    assert made.imported in subjects  # an import may be another topic's: left


@pytest.fixture
def generated(tmp_path: Path) -> Iterator[Callable[[Bus], type]]:
    """The producer's side: Python classes generated by protoc from the bus's .proto files."""
    out = tmp_path / "generated"
    out.mkdir()
    sys.path.insert(0, str(out))

    def generate(made: Bus) -> type:
        include = str(Path(protoc.__file__).parent / "_proto")
        files = [f"{made.dir.removeprefix('schemas/')}/{name}" for name in ("money.proto", "billed.proto")]
        assert (
            protoc.main(
                ["protoc", f"-I{made.root / 'schemas'}", f"-I{include}", f"--python_out={out}", *files]
            )
            == 0
        )
        module = importlib.import_module(f"{made.package.replace('.', '/')}/billed_pb2".replace("/", "."))
        return type(module.Billed())

    yield generate
    sys.path.remove(str(out))


@pytest.mark.parametrize("auto_register", [True, False])
def test_a_python_producer_uses_the_schema_busctl_registered_as_descriptor(
    run: Run, bus: Callable[..., Bus], generated: Callable[[Bus], type], auto_register: bool
) -> None:
    from confluent_kafka.schema_registry import SchemaRegistryClient, topic_subject_name_strategy
    from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    made = bus(f"producer{int(auto_register)}", "descriptor")
    assert apply(run, made).code == 0
    value = f"{made.topic}-value"
    registered_id = made.latest(value)["id"]
    message_class = generated(made)
    client = SchemaRegistryClient({"url": made.url})
    settings = {
        "auto.register.schemas": auto_register,
        "use.latest.version": not auto_register,
        "subject.name.strategy": topic_subject_name_strategy,
    }
    serialize = ProtobufSerializer(message_class, client, settings)
    context = SerializationContext(made.topic, MessageField.VALUE)
    record = serialize(message_class(id="inv-1"), context)
    assert record is not None and record[0] == 0
    assert int.from_bytes(record[1:5], "big") == registered_id  # busctl's schema, not a new one
    assert made.versions(value) == [1] and made.versions(made.imported) == [1]
    deserialize = ProtobufDeserializer(message_class, {"use.deprecated.format": False})
    assert deserialize(record, context).id == "inv-1"
    assert plan(run, made).code == 0  # and busctl still sees its own registration


def test_apicurio_cannot_check_a_descriptor_so_its_new_version_is_blocked(
    run: Run, bus: Callable[..., Bus]
) -> None:
    made = bus("unchecked", "descriptor")
    assert apply(run, made).code == 0
    made.write(fields="  string note = 4;\n")
    planned = plan(run, made)
    assert planned.code == 2, planned.out
    assert "the registry could not check git's schema" in planned.out.replace("\n      ", " ")
    assert made.versions(f"{made.topic}-value") == [1]


@pytest.mark.parametrize("mode", ["auto-register", "use-latest"])
def test_on_apicurio_a_python_producer_cannot_use_a_text_registration(
    run: Run, bus: Callable[..., Bus], generated: Callable[[Bus], type], mode: str
) -> None:
    """What the README's table says of `format: text` on Apicurio 2.6.13: if this starts passing the
    other way, the table is out of date."""
    from confluent_kafka.schema_registry import SchemaRegistryClient, topic_subject_name_strategy
    from confluent_kafka.schema_registry.error import SchemaRegistryError
    from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext, SerializationError

    made = bus(f"text{mode.replace('-', '')}")
    assert apply(run, made).code == 0
    message_class = generated(made)
    auto = mode == "auto-register"
    settings = {
        "auto.register.schemas": auto,
        "use.latest.version": not auto,
        "subject.name.strategy": topic_subject_name_strategy,
    }
    serialize = ProtobufSerializer(message_class, SchemaRegistryClient({"url": made.url}), settings)
    with pytest.raises((SchemaRegistryError, SerializationError)):
        serialize(message_class(id="inv-1"), SerializationContext(made.topic, MessageField.VALUE))
    assert made.versions(f"{made.topic}-value") == [1]  # and nothing was registered beside busctl's
