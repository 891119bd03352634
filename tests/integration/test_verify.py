"""`busctl verify` against a real broker and a real registry (Apicurio): subjects registered by
`busctl apply`, records produced by confluent-kafka's own ProtobufSerializer and as plain protobuf,
a foreign message type in each encoding flagged with its reason, conforming records passing, and no
consumer group left behind."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient, topic_subject_name_strategy
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf.message import Message

from busctl.adapters.kafka_sample import GROUP
from busctl.adapters.protoc import descriptor_set
from busctl.adapters.registry import Registry
from busctl.protobuf.descriptors import DescriptorIndex
from tests.conftest import CliResult, write_files
from tests.integration.conftest import Broker, bus_for
from tests.reports import assert_report

pytestmark = [pytest.mark.kafka, pytest.mark.registry, pytest.mark.slow]
Run = Callable[..., CliResult]

FRAMED, PLAIN, SOURCE, EMPTY = (
    "billing.verify-framed.v1",
    "billing.verify-plain.v1",
    "audit.verify-source.v1",
    "audit.verify-empty.v1",
)


def _topic(name: str, owner: str, schema: str, key: str = "string", partitions: int = 1) -> str:
    return (
        f"name: {name}\nowner: {owner}\ndescription: Read by busctl verify's test.\n"
        f"schema: {schema}\nkey: {key}\npartitions: {partitions}\n"
    )


FILES: dict[str, str | None] = {
    "topics/billing/invoice-created.yaml": None,
    "topics/audit/events.yaml": None,
    "topics/billing/verify-framed.yaml": _topic(
        FRAMED, "billing", "acme.billing.v1.InvoiceCreated", key="acme.billing.v1.InvoiceKey"
    ),
    "topics/billing/verify-plain.yaml": _topic(
        PLAIN, "billing", "acme.billing.v1.InvoiceCreated", partitions=2
    ),
    "topics/audit/verify-source.yaml": _topic(SOURCE, "audit", "acme.audit.v1.AuditEvent"),
    "topics/audit/verify-empty.yaml": _topic(EMPTY, "audit", "acme.audit.v1.AuditEvent"),
    "schemas/acme/audit/v1/audit_event.proto": """syntax = "proto3";

package acme.audit.v1;

// Something auditable happened.
message AuditEvent {
  // What happened.
  string action = 1;
  // How bad it was.
  int32 severity = 9;
}
""",
    "schemas/acme/billing/v1/invoice_key.proto": """syntax = "proto3";

package acme.billing.v1;

// The key of an invoice's records.
message InvoiceKey {
  // The invoice id.
  string invoice_id = 1;
}
""",
}


@pytest.fixture(scope="module")
def verify_bus(
    kafka_single: Broker,
    registry: tuple[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Path]:
    url = registry[0]
    extra = (
        f"    registry: {{url: '{url}', format: descriptor}}\n"
        "  dead-registry:\n"
        f"    bootstrap_servers: {kafka_single.bootstrap}\n"
        "    overrides: {replication_factor: 1, config: {min.insync.replicas: 1}}\n"
        "    registry: {url: 'http://127.0.0.1:1/apis/ccompat/v7'}\n"
    )
    root = bus_for(kafka_single, tmp_path_factory.mktemp("verify") / "bus", extra_cluster=extra)
    write_files(root, FILES)
    yield root


def _classes(root: Path) -> DescriptorIndex:
    files = [
        "acme/billing/v1/invoice_created.proto",
        "acme/billing/v1/invoice_key.proto",
        "acme/audit/v1/audit_event.proto",
    ]
    return DescriptorIndex(descriptor_set(root, "schemas", files))


@pytest.fixture(scope="module")
def produced(verify_bus: Path, kafka_single: Broker, registry: tuple[str, Path]) -> dict[str, int]:
    """Apply the bus (topics and subjects), then produce: returns the schema id of each value subject."""
    from busctl.app import main

    assert main(["apply", "--cluster", "local", "--repo", str(verify_bus), "--auto-approve"]) == 0
    with Registry(registry[0]) as api:
        ids = {}
        for topic in (FRAMED, PLAIN, SOURCE):
            latest = api.latest(f"{topic}-value")
            assert latest is not None, f"apply did not register {topic}-value"
            ids[topic] = latest.id
    index = _classes(verify_bus)
    invoice = index.message_class("acme.billing.v1.InvoiceCreated")
    key = index.message_class("acme.billing.v1.InvoiceKey")
    event = index.message_class("acme.audit.v1.AuditEvent")
    client = SchemaRegistryClient({"url": registry[0]})
    conf = {
        "auto.register.schemas": False,
        "use.latest.version": True,
        "subject.name.strategy": topic_subject_name_strategy,
    }

    def framed(cls: type[Message], message: Message, topic: str, field: MessageField) -> bytes:
        data = ProtobufSerializer(cls, client, conf)(message, SerializationContext(topic, field))
        assert data is not None
        return data

    producer = Producer({"bootstrap.servers": kafka_single.bootstrap})
    for i in range(3):
        producer.produce(
            FRAMED,
            key=framed(key, key(invoice_id=f"i-{i}"), FRAMED, MessageField.KEY),
            value=framed(invoice, invoice(invoice_id=f"i-{i}", amount_cents=i), FRAMED, MessageField.VALUE),
        )
    # a foreign message, framed with the id its own topic's subject holds
    producer.produce(
        FRAMED,
        key=framed(key, key(invoice_id="i-9"), FRAMED, MessageField.KEY),
        value=framed(event, event(action="login"), SOURCE, MessageField.VALUE),
    )
    producer.produce(
        SOURCE, value=framed(event, event(action="login", severity=2), SOURCE, MessageField.VALUE)
    )
    for i in range(4):
        producer.produce(PLAIN, value=invoice(invoice_id=f"p-{i}").SerializeToString(), partition=i % 2)
    producer.produce(PLAIN, value=event(action="x", severity=3).SerializeToString(), partition=0)
    producer.produce(PLAIN, value=b"\x0a\x05ab", partition=1)  # a string cut short
    assert producer.flush(30) == 0
    return ids


def _topics(result: CliResult) -> dict[str, dict[str, Any]]:
    return {t["topic"]: t for t in assert_report("verify-report", result.out)["topics"]}


def test_foreign_records_are_flagged_and_conforming_ones_pass(
    verify_bus: Path, produced: dict[str, int], kafka_single: Broker, run: Run
) -> None:
    result = run("verify", "--cluster", "local", "--repo", str(verify_bus), "--format", "json")
    assert result.code == 1, result.err
    topics = _topics(result)
    framed, plain = topics[FRAMED], topics[PLAIN]
    assert (framed["sampled"], framed["conforming"]) == (4, 3)
    assert framed["violations"] == [
        {
            "partition": 0,
            "offset": 3,
            "part": "value",
            # the same schema under two subjects: one id
            "reason": f"schema id {produced[SOURCE]} belongs to subjects {EMPTY}-value, {SOURCE}-value",
        }
    ]
    assert (plain["sampled"], plain["conforming"]) == (6, 4)
    reasons = {v["reason"] for v in plain["violations"]}
    assert reasons == {"field 9 unknown to acme.billing.v1.InvoiceCreated", "not protobuf: truncated"}
    assert (topics[SOURCE]["sampled"], topics[SOURCE]["ok"]) == (1, True)
    assert (topics[EMPTY]["sampled"], topics[EMPTY]["ok"]) == (0, True)
    # nothing was committed, no group joined
    admin = AdminClient({"bootstrap.servers": kafka_single.bootstrap})
    groups = admin.list_consumer_groups(request_timeout=10).result(15)
    assert GROUP not in {g.group_id for g in groups.valid}


def test_text_fits_80_columns_and_samples_are_bounded(
    verify_bus: Path, produced: dict[str, int], run: Run
) -> None:
    result = run("verify", "-c", "local", "--repo", str(verify_bus), "--samples", "1")
    assert result.code == 1, result.err
    assert all(len(line) <= 80 for line in result.out.splitlines()), result.out
    assert f"✓ {FRAMED} · 1 sampled · 1 conform" not in result.out  # the newest is the foreign one
    assert f"✗ {FRAMED} · 1 sampled · 0 conform · 1 do not" in result.out
    ok = run("verify", "-c", "local", "--repo", str(verify_bus), "--topic", "audit.*")
    assert ok.code == 0, ok.out + ok.err
    assert f"✓ {SOURCE} · 1 sampled · 1 conform" in ok.out and f"- {EMPTY} · empty" in ok.out


def test_errors_are_one_clear_line(verify_bus: Path, produced: dict[str, int], run: Run) -> None:
    down = run(
        "verify", "-c", "dead-registry", "--repo", str(verify_bus), "--topic", FRAMED, "--timeout", "5"
    )
    assert down.code == 1 and "cannot reach schema registry" in down.err and "Traceback" not in down.err
    unknown = run("verify", "-c", "nowhere", "--repo", str(verify_bus))
    assert unknown.code == 1 and 'cluster "nowhere" is not defined' in unknown.err
    none = run("verify", "-c", "local", "--repo", str(verify_bus), "--topic", "nothing.*")
    assert none.code == 1 and "no declared topic" in none.err
