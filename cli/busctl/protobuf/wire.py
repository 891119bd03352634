"""Is a record's key or value the declared protobuf message? Confluent's wire format (magic byte 0, a
4-byte big-endian schema id, the message indexes, the payload) or plain protobuf bytes, parsed strictly:
no unknown field, no field of the wrong wire type, nothing truncated or left over.

Pure: the registry is asked through `subjects_of` (schema id -> its subjects, None when the id is
unknown), so records are judged here without a broker or a registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import DecodeError, Message
from google.protobuf.unknown_fields import UnknownFieldSet

MAGIC = 0
_HEADER = 5  # magic byte + schema id
_MAX_VARINT = 10  # bytes of a 64-bit varint
_WIRE_TYPES = {0: "varint", 1: "64-bit", 2: "length-delimited", 3: "start group", 4: "end group", 5: "32-bit"}
SubjectsOf = Callable[[int], list[str] | None]


class WireError(ValueError):
    """The bytes are not what they claim to be; the message is the reason shown."""


@dataclass(frozen=True)
class Framed:
    """A record in Confluent's wire format."""

    schema_id: int
    indexes: tuple[int, ...]  # the message's path in its file: [0] is the file's first message
    payload: bytes


@dataclass(frozen=True)
class Contract:
    """What one part (key or value) of a topic's records must be: `message` registered under `subject`."""

    message: type[Message]
    subject: str


def _varint(data: bytes, at: int) -> tuple[int, int]:
    """The unsigned varint at `at` and the position after it."""
    value = 0
    for i in range(_MAX_VARINT):
        if at + i >= len(data):
            raise WireError("truncated")
        byte = data[at + i]
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            return value, at + i + 1
    raise WireError("varint longer than 10 bytes")


def _zigzag(value: int) -> int:
    return (value >> 1) ^ -(value & 1)


def unframe(data: bytes) -> Framed | None:
    """The Confluent framing of `data`; None when it does not start with the magic byte (a protobuf
    message never does: field number 0 does not exist). WireError when the framing is broken."""
    if not data or data[0] != MAGIC:
        return None
    if len(data) < _HEADER:
        raise WireError("Confluent framing: truncated schema id")
    schema_id = int.from_bytes(data[1:_HEADER], "big")
    try:
        count, at = _varint(data, _HEADER)
        count = _zigzag(count)
        if count < 0 or count > len(data) - at:
            raise WireError(f"{count} message indexes")
        indexes = []
        for _ in range(count):
            index, at = _varint(data, at)
            indexes.append(_zigzag(index))
    except WireError as err:
        raise WireError(f"Confluent framing (schema id {schema_id}): bad message indexes: {err}") from None
    return Framed(schema_id, tuple(indexes) or (0,), data[at:])


def message_indexes(message: Descriptor) -> tuple[int, ...]:
    """The message's path in its file, as Confluent's message indexes give it: (0,) for the first
    top-level message, (2, 1) for the second message nested in the third."""
    path = []
    current: Descriptor | None = message
    while current is not None:
        parent = current.containing_type
        file = current.file.message_types_by_name.values()
        siblings = list(parent.nested_types if parent is not None else file)
        path.append(next(i for i, m in enumerate(siblings) if m.full_name == current.full_name))
        current = parent
    return tuple(reversed(path))


def _scan(data: bytes) -> None:
    """Walk the payload's fields (wire level only): WireError when it is not protobuf at all."""
    at, groups = 0, []
    while at < len(data):
        tag, at = _varint(data, at)
        number, wire_type = tag >> 3, tag & 7
        if number == 0:
            raise WireError("field number 0")
        if wire_type == 0:
            _, at = _varint(data, at)
        elif wire_type in (1, 5):
            at += 8 if wire_type == 1 else 4
        elif wire_type == 2:
            length, at = _varint(data, at)
            at += length
        elif wire_type == 3:
            groups.append(number)
        elif wire_type == 4:
            if not groups or groups.pop() != number:
                raise WireError(f"end of group {number} that was not started")
        else:
            raise WireError(f"wire type {wire_type}")
        if at > len(data):
            raise WireError("truncated")
    if groups:
        raise WireError("truncated")


def _unknown(message: Message) -> str | None:
    """The first field the message (or one nested in it) does not know, or holds with the wrong wire
    type, as the reason shown."""
    descriptor = message.DESCRIPTOR
    for unknown in UnknownFieldSet(message):
        declared = descriptor.fields_by_number.get(unknown.field_number)
        if declared is None:
            return f"field {unknown.field_number} unknown to {descriptor.full_name}"
        shown = _WIRE_TYPES.get(unknown.wire_type, str(unknown.wire_type))
        return f"field {unknown.field_number} ({declared.name}) of {descriptor.full_name} sent as {shown}"
    for field, value in message.ListFields():
        if field.type != FieldDescriptor.TYPE_MESSAGE:
            continue
        if isinstance(value, Message):
            nested = [value]
        else:  # repeated, or a map (whose values may be scalars)
            nested = list(value.values() if field.message_type.GetOptions().map_entry else value)
        for item in nested:
            if isinstance(item, Message) and (found := _unknown(item)) is not None:
                return found
    return None


def parse_problem(message: type[Message], payload: bytes) -> str | None:
    """Why `payload` is not strictly a `message` (None: it is)."""
    try:
        _scan(payload)
    except WireError as err:
        return f"not protobuf: {err}"
    parsed = message()
    try:
        parsed.ParseFromString(payload)
    except DecodeError:
        return f"not {parsed.DESCRIPTOR.full_name}: it does not parse (e.g. a string that is not UTF-8)"
    return _unknown(parsed)


def problem(data: bytes | None, contract: Contract, subjects_of: SubjectsOf | None) -> str | None:
    """Why a record's key or value breaks its contract (None: it conforms). A null is a tombstone
    (or no key) and conforms; `subjects_of` None: the cluster names no registry."""
    if data is None:
        return None
    try:
        framed = unframe(data)
    except WireError as err:
        return str(err)
    if framed is None:
        return parse_problem(contract.message, data)
    if subjects_of is None:
        return f"schema id {framed.schema_id}: the cluster names no schema registry to resolve it"
    subjects = subjects_of(framed.schema_id)
    if subjects is None:
        return f"schema id {framed.schema_id} is not in the schema registry"
    if contract.subject not in subjects:
        owners = f"subject{'s' * (len(subjects) > 1)} {', '.join(sorted(subjects))}"
        return f"schema id {framed.schema_id} belongs to {owners}"
    descriptor = contract.message.DESCRIPTOR
    if framed.indexes != (expected := message_indexes(descriptor)):
        shown = ",".join(map(str, framed.indexes))
        return (
            f"message indexes [{shown}] of schema id {framed.schema_id} are not {descriptor.full_name} "
            f"([{','.join(map(str, expected))}])"
        )
    return parse_problem(contract.message, framed.payload)
