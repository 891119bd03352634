"""The descriptor index: every compiled file of the schema module as the FileDescriptorProto that
protoc's code generators embed (no source info, no json_name), which is what a producer's serializer
sends to the registry, and message types to parse records with."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from functools import cached_property

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import Message

from busctl.core.subjects import WireFile, is_builtin


def _strip_json_names(messages: Iterable[descriptor_pb2.DescriptorProto]) -> None:
    for message in messages:
        for field in (*message.field, *message.extension):
            field.ClearField("json_name")
        _strip_json_names(message.nested_type)


class DescriptorIndex:
    """The files of a FileDescriptorSet (imports included), by import path."""

    def __init__(self, descriptor_set: descriptor_pb2.FileDescriptorSet) -> None:
        self.files: dict[str, descriptor_pb2.FileDescriptorProto] = {}
        for compiled in descriptor_set.file:
            file = descriptor_pb2.FileDescriptorProto()
            file.CopyFrom(compiled)
            file.ClearField("source_code_info")
            _strip_json_names(file.message_type)
            for field in file.extension:
                field.ClearField("json_name")
            self.files[file.name] = file

    def wire_file(self, name: str, text: str | None = None) -> WireFile:
        """The file's registry schema and the imports registered beside it: `text` (its source) when
        given, else its base64 FileDescriptorProto."""
        file = self.files[name]
        return WireFile(
            schema=text if text is not None else base64.standard_b64encode(file.SerializeToString()).decode(),
            imports=tuple(d for d in file.dependency if not is_builtin(d)),
        )

    def registrable(self) -> list[str]:
        """The files a registry gets (the well-known types aside)."""
        return [name for name in self.files if not is_builtin(name)]

    @cached_property
    def pool(self) -> descriptor_pool.DescriptorPool:
        """A pool of every file, dependencies first."""
        pool = descriptor_pool.DescriptorPool()
        added: set[str] = set()

        def add(name: str) -> None:
            if name in added:
                return
            added.add(name)
            for dependency in self.files[name].dependency:
                add(dependency)
            pool.Add(self.files[name])

        for name in self.files:
            add(name)
        return pool

    def message_class(self, fqn: str) -> type[Message]:
        """The generated-at-runtime class of message `fqn` (KeyError when no file defines it)."""
        found: type[Message] = message_factory.GetMessageClass(
            self.pool.FindMessageTypeByName(fqn.lstrip("."))
        )
        return found
