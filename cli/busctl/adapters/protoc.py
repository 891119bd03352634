"""Compile the schema module in-process with grpcio-tools' protoc into a SchemaSet."""

from __future__ import annotations

import importlib.resources
import os
import re
import stat
import tempfile
from pathlib import Path

from google.protobuf import descriptor_pb2
from grpc_tools import protoc

from busctl.core.diagnostics import Diagnostic, Span
from busctl.core.schemas import MessageInfo, ProtoFile, SchemaSet

_WKT_INCLUDE = str(importlib.resources.files("grpc_tools") / "_proto")
_ERROR_LINE = re.compile(r"^(?P<file>[^:\n]+\.proto):(?P<line>\d+):(?P<col>\d+): (?P<msg>.*)$")
_MESSAGE_PATH = 4  # FileDescriptorProto.message_type
_NESTED_PATH = 3  # DescriptorProto.nested_type


def proto_files(repo: Path, schema_root: str) -> list[str]:
    """Every .proto under the schema root, relative to it, sorted; only regular files: symlinks, pipes
    and devices are skipped (the loader reports the last two, which protoc would block on)."""
    base = repo / schema_root
    found: list[str] = []
    for directory, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            full = Path(directory) / name
            if name.endswith(".proto") and _is_regular(full):
                found.append(full.relative_to(base).as_posix())
    return sorted(found)


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def compile_schemas(
    repo: Path, schema_root: str, descriptor_set_out: Path | None = None
) -> tuple[SchemaSet, list[Diagnostic]]:
    """Compile every .proto of the module; index its messages; report syntax errors at file:line:col.

    With `descriptor_set_out`, also write the FileDescriptorSet (imports included) there, e.g. for
    `buf breaking --against`.
    """
    files = proto_files(repo, schema_root)
    schemas = SchemaSet(root=schema_root)
    if not files:
        return schemas, []
    with tempfile.TemporaryDirectory(prefix="busctl-protoc-") as tmp:
        out = descriptor_set_out or Path(tmp) / "descriptors.binpb"
        argv = [
            "protoc",
            f"-I{repo / schema_root}",
            f"-I{_WKT_INCLUDE}",
            f"--descriptor_set_out={out}",
            "--include_source_info",
            *(["--include_imports"] if descriptor_set_out else []),
            *files,
        ]
        rc, stderr = _run_capturing_stderr(argv, Path(tmp) / "stderr.txt")
        if rc != 0:
            schemas.compiled = False
            return schemas, _compile_errors(stderr, repo, schema_root)
        descriptor_set = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    own = set(files)
    for file_proto in descriptor_set.file:
        if file_proto.name in own:
            _index_file(schemas, file_proto, schema_root)
    return schemas, []


def _run_capturing_stderr(argv: list[str], capture: Path) -> tuple[int, str]:
    """protoc writes diagnostics from C++ straight to fd 2: redirect that descriptor to a file."""
    saved = os.dup(2)
    with capture.open("wb") as sink:
        os.dup2(sink.fileno(), 2)
        try:
            rc = protoc.main(argv)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    return int(rc), capture.read_text(errors="replace")


def _compile_errors(stderr: str, repo: Path, schema_root: str) -> list[Diagnostic]:
    """protoc's messages as Diagnostics with repo-relative paths; unplaced ones only if nothing is placed."""
    include = (repo / schema_root).as_posix().rstrip("/") + "/"
    placed: list[Diagnostic] = []
    unplaced: list[Diagnostic] = []
    for raw in stderr.splitlines():
        line = raw.strip().replace(include, "")
        if not line or "warning:" in line:
            continue
        match = _ERROR_LINE.match(line)
        if match:
            span = Span(f"{schema_root}/{match['file']}", int(match["line"]), int(match["col"]))
            placed.append(_compile_error(match["msg"], span))
        else:
            file, _, message = line.partition(": ")
            path = f"{schema_root}/{file}" if file.endswith(".proto") else schema_root
            unplaced.append(_compile_error(message or line, Span(path)))
    return placed or unplaced or [_compile_error("compilation failed", Span(schema_root))]


def _compile_error(message: str, span: Span) -> Diagnostic:
    return Diagnostic(
        code="BUS301",
        message=f"protobuf compile error: {message}",
        span=span,
        hint="fix the .proto file; `buf build` in the schema root shows the same error",
    )


def _index_file(schemas: SchemaSet, file_proto: descriptor_pb2.FileDescriptorProto, schema_root: str) -> None:
    path = f"{schema_root}/{file_proto.name}"
    positions = {  # only message declarations: paths 4,i (3,j)*
        tuple(loc.path): loc.span
        for loc in file_proto.source_code_info.location
        if len(loc.path) >= 2
        and len(loc.path) % 2 == 0
        and loc.path[0] == _MESSAGE_PATH
        and all(p == _NESTED_PATH for p in loc.path[2::2])
    }
    prefix = f"{file_proto.package}." if file_proto.package else ""

    def span_of(loc: tuple[int, ...]) -> Span:
        raw = positions.get(loc)
        return Span(path, raw[0] + 1, raw[1] + 1) if raw else Span(path)

    def end_of(loc: tuple[int, ...]) -> int:
        raw = positions.get(loc)
        return (raw[2] if len(raw) == 4 else raw[0]) + 1 if raw else 0

    def walk(
        messages: list[descriptor_pb2.DescriptorProto], scope: str, loc: tuple[int, ...], top: bool
    ) -> None:
        for index, message in enumerate(messages):
            fqn = f"{scope}{message.name}"
            here = (*loc, index)
            schemas.messages[fqn] = MessageInfo(
                fqn=fqn,
                file=path,
                span=span_of(here),
                top_level=top,
                end_line=end_of(here),
                uses=tuple(sorted({f.type_name.lstrip(".") for f in message.field if f.type_name})),
            )
            schemas.enums.update(f"{fqn}.{enum.name}" for enum in message.enum_type)
            walk(list(message.nested_type), f"{fqn}.", (*here, _NESTED_PATH), False)

    walk(list(file_proto.message_type), prefix, (_MESSAGE_PATH,), True)
    schemas.enums.update(f"{prefix}{enum.name}" for enum in file_proto.enum_type)
    schemas.files[path] = ProtoFile(
        path=path,
        package=file_proto.package,
        top_level_messages=tuple(f"{prefix}{m.name}" for m in file_proto.message_type),
    )
