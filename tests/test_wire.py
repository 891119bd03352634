"""busctl.protobuf.wire without a broker: records framed by confluent-kafka's own ProtobufSerializer
(against its mock registry), plain protobuf, and malformed bytes made by hand."""

from __future__ import annotations

import pytest
from confluent_kafka.schema_registry import topic_subject_name_strategy
from confluent_kafka.schema_registry._sync.mock_schema_registry_client import MockSchemaRegistryClient
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf.message import Message

from busctl.adapters.protoc import descriptor_set
from busctl.protobuf.descriptors import DescriptorIndex
from busctl.protobuf.wire import Contract, Framed, WireError, message_indexes, parse_problem, problem, unframe

SCHEMA = """syntax = "proto3";
package acme.billing.v1;
message InvoiceCreated {
  string invoice_id = 1;
  int64 amount_cents = 2;
  repeated Line lines = 3;
  map<string, Line> by_sku = 4;
  message Line { string sku = 1; }
}
message Refund { string invoice_id = 1; int32 reason = 9; }
"""


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> DescriptorIndex:
    root = tmp_path_factory.mktemp("schemas")
    (root / "schemas" / "acme" / "billing" / "v1").mkdir(parents=True)
    (root / "schemas" / "acme" / "billing" / "v1" / "invoice.proto").write_text(SCHEMA)
    return DescriptorIndex(descriptor_set(root, "schemas", ["acme/billing/v1/invoice.proto"]))


def _cls(index: DescriptorIndex, fqn: str) -> type[Message]:
    return index.message_class(fqn)


def _serialized(message: Message, topic: str, client: MockSchemaRegistryClient) -> bytes:
    conf = {"subject.name.strategy": topic_subject_name_strategy, "use.deprecated.format": False}
    serializer = ProtobufSerializer(type(message), client, conf)
    framed = serializer(message, SerializationContext(topic, MessageField.VALUE))
    assert framed is not None
    return framed


def test_confluent_framing_of_the_declared_message_conforms(index: DescriptorIndex) -> None:
    invoice = _cls(index, "acme.billing.v1.InvoiceCreated")
    client = MockSchemaRegistryClient({"url": "mock://verify"})
    data = _serialized(invoice(invoice_id="i-1", amount_cents=5), "billing.v1", client)
    framed = unframe(data)
    assert framed is not None and framed.indexes == (0,)
    subjects = {framed.schema_id: ["billing.v1-value"]}
    contract = Contract(invoice, "billing.v1-value")
    assert problem(data, contract, subjects.get) is None
    assert problem(data, Contract(invoice, "other.v1-value"), subjects.get) == (
        f"schema id {framed.schema_id} belongs to subject billing.v1-value"
    )
    unknown = problem(data, contract, lambda _: None)
    assert unknown == f"schema id {framed.schema_id} is not in the schema registry"
    assert "names no schema registry" in (problem(data, contract, None) or "")


def test_a_foreign_message_in_the_same_file_is_named_by_its_indexes(index: DescriptorIndex) -> None:
    refund, invoice = _cls(index, "acme.billing.v1.Refund"), _cls(index, "acme.billing.v1.InvoiceCreated")
    data = _serialized(
        refund(invoice_id="i-1", reason=3), "billing.v1", MockSchemaRegistryClient({"url": "mock://r"})
    )
    framed = unframe(data)
    assert framed is not None and framed.indexes == (1,)
    found = problem(data, Contract(invoice, "billing.v1-value"), lambda _: ["billing.v1-value"])
    assert found == (
        f"message indexes [1] of schema id {framed.schema_id} are not acme.billing.v1.InvoiceCreated ([0])"
    )


def test_message_indexes_of_nested_messages(index: DescriptorIndex) -> None:
    line = _cls(index, "acme.billing.v1.InvoiceCreated.Line")
    # the map's entry type (BySkuEntry) is nested before Line: the serializer agrees
    assert message_indexes(line.DESCRIPTOR) == (0, 1)
    framed = unframe(_serialized(line(sku="a"), "t", MockSchemaRegistryClient({"url": "mock://n"})))
    assert framed is not None and framed.indexes == (0, 1)
    assert message_indexes(_cls(index, "acme.billing.v1.Refund").DESCRIPTOR) == (1,)
    # hand-made: count 2 (zigzag 4), indexes 1 and 0 (zigzag 2, 0)
    assert unframe(b"\x00\x00\x00\x00\x11\x04\x02\x00payload") == Framed(17, (1, 0), b"payload")


def test_plain_protobuf_is_parsed_strictly(index: DescriptorIndex) -> None:
    invoice, refund = _cls(index, "acme.billing.v1.InvoiceCreated"), _cls(index, "acme.billing.v1.Refund")
    line = _cls(index, "acme.billing.v1.InvoiceCreated.Line")
    assert parse_problem(invoice, invoice(invoice_id="x", amount_cents=3).SerializeToString()) is None
    assert parse_problem(invoice, b"") is None  # every field at its default
    foreign = refund(invoice_id="x", reason=2).SerializeToString()
    assert parse_problem(invoice, foreign) == "field 9 unknown to acme.billing.v1.InvoiceCreated"
    nested = invoice(lines=[line(sku="a")]).SerializeToString() + b""
    assert parse_problem(invoice, nested) is None
    inner = b"\x1a\x02\x48\x01"  # field 3 (a Line) holding field 9
    assert parse_problem(invoice, inner) == "field 9 unknown to acme.billing.v1.InvoiceCreated.Line"
    in_map = invoice(by_sku={"a": line(sku="a")}).SerializeToString()
    assert parse_problem(invoice, in_map) is None
    assert parse_problem(invoice, b"\x0d\x01\x02\x03\x04") == (
        "field 1 (invoice_id) of acme.billing.v1.InvoiceCreated sent as 32-bit"
    )


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x0a\x05ab", "not protobuf: truncated"),  # a 5-byte string with 2 bytes
        (b"\x08", "not protobuf: truncated"),
        (b"\x08\x01\xff", "not protobuf: truncated"),  # trailing garbage: an unfinished tag
        (b"\x0f", "not protobuf: wire type 7"),
        (b"\x08\x01\x00\x00", "not protobuf: field number 0"),
        (b"\x00\x00\x00", "Confluent framing: truncated schema id"),
    ],
)
def test_malformed_bytes_name_what_is_wrong(index: DescriptorIndex, data: bytes, reason: str) -> None:
    contract = Contract(_cls(index, "acme.billing.v1.InvoiceCreated"), "t-value")
    assert problem(data, contract, lambda _: ["t-value"]) == reason


def test_broken_message_indexes_and_invalid_utf8(index: DescriptorIndex) -> None:
    invoice = _cls(index, "acme.billing.v1.InvoiceCreated")
    with pytest.raises(WireError, match="bad message indexes"):
        unframe(b"\x00\x00\x00\x00\x01\x06")  # 3 indexes announced, none there
    assert "does not parse" in (parse_problem(invoice, b"\x0a\x01\xff") or "")
    assert problem(None, Contract(invoice, "t-value"), None) is None  # a tombstone
