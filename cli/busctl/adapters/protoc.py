"""Compile the schema module in-process with grpcio-tools' protoc into a SchemaSet.

protoc compiles `BATCH_FILES` files at a time (each batch with whatever it imports): its memory then
stays near 120 MB instead of ~950 MB for 10,000 files at once, and is given back between batches. A
message or enum defined in two files of different batches is reported as protoc would report it.
With a cache, the SchemaSet of a module whose files are all unchanged is read back instead.
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.protobuf import descriptor_pb2
from grpc_tools import protoc

from busctl.adapters.cache import Cache, digest
from busctl.core.diagnostics import BusctlError, Diagnostic, Span
from busctl.core.schemas import MessageInfo, ProtoFile, SchemaSet

_WKT_INCLUDE = str(importlib.resources.files("grpc_tools") / "_proto")
_ERROR_LINE = re.compile(r"^(?P<file>[^:\n]+\.proto):(?P<line>\d+):(?P<col>\d+): (?P<msg>.*)$")
_MESSAGE_PATH = 4  # FileDescriptorProto.message_type
_NESTED_PATH = 3  # DescriptorProto.nested_type
BATCH_FILES = 1000
_CACHE_KIND = "protoc"
_IMPORT = re.compile(rb"""^[ \t]*import\s+(?:public\s+|weak\s+)?((?:"[^"\n]*"\s*|'[^'\n]*'\s*)+);""", re.M)
_STRING = re.compile(rb"""["']([^"'\n]*)["']""")
_PACKAGE = re.compile(rb"^\s*package\s+([\w.]+)\s*;", re.M)


def proto_files(repo: Path, schema_root: str) -> list[str]:
    """Every .proto under the schema root, relative to it, sorted; only regular files: symlinks, pipes
    and devices are skipped (the loader reports the last two, which protoc would block on)."""
    found: list[str] = []
    pending = [(os.path.join(repo, schema_root), "")]
    while pending:
        directory, prefix = pending.pop()
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        if not entry.name.startswith("."):
                            pending.append((entry.path, f"{prefix}{entry.name}/"))
                    elif entry.name.endswith(".proto") and entry.is_file(follow_symlinks=False):
                        found.append(f"{prefix}{entry.name}")
        except OSError:  # unreadable: the loader reports it
            continue
    return sorted(found)


@dataclass(frozen=True)
class ProtoSource:
    """What busctl reads of a .proto before compiling it: its digest, package and imports, from plain
    `package` and `import` lines (an import hidden behind a comment is not seen; buf's grouping checks
    this reading against protoc's)."""

    digest: str
    package: str
    imports: frozenset[str]


def read_sources(repo: Path, schema_root: str) -> dict[str, ProtoSource]:
    """Every .proto of the module (as `proto_files` lists them) as a ProtoSource, read once."""
    sources = {}
    for name in proto_files(repo, schema_root):
        with open(os.path.join(repo, schema_root, name), "rb") as source:
            data = source.read()
        package = _PACKAGE.search(data)
        sources[name] = ProtoSource(
            digest=digest([data]),
            package=package.group(1).decode() if package else "",
            imports=frozenset(
                b"".join(_STRING.findall(strings)).decode(errors="replace")
                for strings in _IMPORT.findall(data)
            ),
        )
    return sources


def compile_schemas(
    repo: Path,
    schema_root: str,
    descriptor_set_out: Path | None = None,
    cache: Cache | None = None,
    sources: dict[str, ProtoSource] | None = None,
) -> tuple[SchemaSet, list[Diagnostic]]:
    """Compile every .proto of the module; index its messages; report syntax errors at file:line:col.

    With `descriptor_set_out`, also write the FileDescriptorSet (imports included) there, e.g. for
    `buf breaking --against`: then in one protoc run, and never from the cache. With `cache`, a module
    compiled before (same files, same contents, same protoc) is read back from it; `sources` are the
    module's files if `read_sources` read them already.
    """
    use_cache = cache is not None and descriptor_set_out is None
    if use_cache and sources is None:
        sources = read_sources(repo, schema_root)
    files = list(sources) if sources is not None else proto_files(repo, schema_root)
    if not files:
        return SchemaSet(root=schema_root), []
    key = ""
    if use_cache and cache is not None and sources is not None:
        key = cache.key(_CACHE_KIND, _key_parts(schema_root, sources))
        stored = cache.get(_CACHE_KIND, key)
        loaded = _load(stored, schema_root) if stored is not None else None
        if loaded is not None:
            return loaded, []
    schemas = SchemaSet(root=schema_root)
    batches = (
        [files]
        if descriptor_set_out
        else [files[i : i + BATCH_FILES] for i in range(0, len(files), BATCH_FILES)]
    )
    problems: list[Diagnostic] = []
    with tempfile.TemporaryDirectory(prefix="busctl-protoc-") as tmp:
        out = descriptor_set_out or Path(tmp) / "descriptors.binpb"
        for batch in batches:
            options = ["--include_source_info", *(["--include_imports"] if descriptor_set_out else [])]
            argv = _argv(repo, schema_root, out, options, batch)
            rc, stderr = _run_capturing_stderr(argv, Path(tmp) / "stderr.txt")
            if rc != 0:
                problems += _compile_errors(stderr, repo, schema_root)
                continue
            own = set(batch)
            for file_proto in descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes()).file:
                if file_proto.name in own:
                    problems += _index_file(schemas, file_proto, schema_root)
    if problems:  # as when one protoc run fails: no messages to check against; an error in a file
        # imported by several batches is reported by each of them, and shown once
        return SchemaSet(root=schema_root, compiled=False), list(dict.fromkeys(problems))
    if key and cache is not None:
        cache.put(_CACHE_KIND, key, _dump(schemas))
    return schemas, []


def descriptor_set(repo: Path, schema_root: str, files: list[str]) -> descriptor_pb2.FileDescriptorSet:
    """The FileDescriptorSet of `files` (import paths) and everything they import, without source info.
    BusctlError when protoc fails (the lint before it reports where)."""
    if not files:
        return descriptor_pb2.FileDescriptorSet()
    with tempfile.TemporaryDirectory(prefix="busctl-protoc-") as tmp:
        out = Path(tmp) / "descriptors.binpb"
        argv = _argv(repo, schema_root, out, ["--include_imports"], files)
        rc, stderr = _run_capturing_stderr(argv, Path(tmp) / "stderr.txt")
        if rc != 0:
            first = stderr.strip().splitlines()[:1]
            raise BusctlError(
                f"protoc could not compile the schemas: {first[0] if first else f'exit {rc}'}",
                "busctl lint shows every error with its position",
            )
        return descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())


def _argv(repo: Path, schema_root: str, out: Path, options: list[str], files: list[str]) -> list[str]:
    """protoc's arguments: the module and the well-known types on the import path, a descriptor set out."""
    return [
        "protoc",
        f"-I{repo / schema_root}",
        f"-I{_WKT_INCLUDE}",
        f"--descriptor_set_out={out}",
        *options,
        *files,
    ]


def _key_parts(schema_root: str, sources: dict[str, ProtoSource]) -> list[str]:
    """What decides the compiled module: protoc's version, the schema root, every file and its digest."""
    tools = [f"{name} {importlib.metadata.version(name)}" for name in ("grpcio-tools", "protobuf")]
    return [*tools, schema_root, *(f"{name}:{source.digest}" for name, source in sources.items())]


def _dump(schemas: SchemaSet) -> dict[str, Any]:
    """The SchemaSet as JSON-able lists (a message's span is always in its own file)."""
    return {
        "files": [[f.path, f.package, f.top_level_messages, f.imports] for f in schemas.files.values()],
        "messages": [
            [m.fqn, m.file, m.span.line, m.span.col, m.top_level, m.end_line, m.uses]
            for m in schemas.messages.values()
        ],
        "enums": sorted(schemas.enums),
    }


def _load(payload: Any, schema_root: str) -> SchemaSet | None:
    """The SchemaSet `_dump` stored, or None when the payload does not have its shape."""
    try:
        files = [
            ProtoFile(path, package, tuple(top), tuple(imports))
            for path, package, top, imports in payload["files"]
        ]
        messages = [
            MessageInfo(fqn, file, Span(file, line, col), top_level, end_line, tuple(uses))
            for fqn, file, line, col, top_level, end_line, uses in payload["messages"]
        ]
        enums = set(payload["enums"])
    except (KeyError, TypeError, ValueError):
        return None
    return SchemaSet(
        root=schema_root,
        files={f.path: f for f in files},
        messages={m.fqn: m for m in messages},
        enums=enums,
    )


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


def _index_file(
    schemas: SchemaSet, file_proto: descriptor_pb2.FileDescriptorProto, schema_root: str
) -> list[Diagnostic]:
    """Add a compiled file's messages, enums and imports to `schemas`; a message or enum another
    file (of another batch) defines already is a compile error, as protoc says it."""
    path = f"{schema_root}/{file_proto.name}"
    duplicates: list[Diagnostic] = []
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
            defined = schemas.messages.get(fqn)
            if defined is not None or fqn in schemas.enums:
                where = defined.file if defined is not None else "another file"
                duplicates.append(_already_defined(fqn, span_of(here), where, schema_root))
                continue
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
    for enum in file_proto.enum_type:
        fqn = f"{prefix}{enum.name}"
        if fqn in schemas.enums or fqn in schemas.messages:
            duplicates.append(_already_defined(fqn, Span(path), "another file", schema_root))
        schemas.enums.add(fqn)
    schemas.files[path] = ProtoFile(
        path=path,
        package=file_proto.package,
        top_level_messages=tuple(f"{prefix}{m.name}" for m in file_proto.message_type),
        imports=tuple(file_proto.dependency),
    )
    return duplicates


def _already_defined(fqn: str, span: Span, where: str, schema_root: str) -> Diagnostic:
    where = where.removeprefix(f"{schema_root}/")
    return _compile_error(f'"{fqn}" is already defined in file "{where}".', span)
