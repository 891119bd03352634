"""Read one YAML file safely into plain Python values plus a map of where each value came from.

Safety: files must be regular (pipes, devices and symlink loops are refused unopened), size-limited and
UTF-8 text; alias expansion is bounded (alias bombs); duplicate keys (which PyYAML accepts silently) and
non-standard tags are errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml

from busctl.core.diagnostics import Span
from busctl.core.errors import LoadError
from busctl.core.source import Path_, SourceMap
from busctl.loading.files import read_regular_file

MAX_YAML_BYTES = 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 50
# Free-text fields: a " #" in their plain value starts a YAML comment, silently cutting the text.
PROSE_FIELDS = frozenset({"description", "reason", "chat"})
_COMMENT_AFTER = re.compile(r"[ \t]+#")

_BaseLoader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc]
    """libyaml's parser with a memo on implicit tag resolution: bus files repeat the same keys and
    values thousands of times, and PyYAML resolves every scalar with Python regexes."""

    _resolved: ClassVar[dict[str, str]] = {}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is not yaml.ScalarNode or implicit != (True, False):
            return super().resolve(kind, value, implicit)
        tag = self._resolved.get(value)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(value) <= 64 and len(self._resolved) < 100_000:
                self._resolved[value] = tag
        return tag


_STR = "tag:yaml.org,2002:str"
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}


@dataclass
class YamlDocument:
    """A parsed YAML document: its data, its source map and the strings in it that contain "${"."""

    data: Any
    source: SourceMap
    env_references: list[tuple[Path_, str]] = field(default_factory=list)


def read_text(root: Path, rel: str, max_bytes: int = MAX_YAML_BYTES) -> str:
    """Read a repo file as UTF-8 text, refusing huge, binary, non-UTF-8, escaping or non-regular files
    (pipes, devices, symlink loops: see `files.read_regular_file`, which never blocks)."""
    return decode_text(read_regular_file(root, rel, max_bytes), rel)


def decode_text(raw: bytes, rel: str) -> str:
    """A repo file's bytes as UTF-8 text; LoadError for binary or non-UTF-8 content."""
    if b"\0" in raw:
        line = raw[: raw.index(b"\0")].count(b"\n") + 1
        raise LoadError(
            "BUS007",
            "file is binary, not text (contains a NUL byte)",
            Span(rel, line, 1),
            "bus files must be UTF-8 text",
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        before = raw[: err.start]
        line = before.count(b"\n") + 1
        col = err.start - (before.rfind(b"\n") + 1) + 1
        raise LoadError(
            "BUS007",
            f"file is not valid UTF-8 (byte 0x{raw[err.start]:02x})",
            Span(rel, line, col),
            "save the file as UTF-8",
        ) from None


def parse_yaml(text: str, rel: str) -> YamlDocument:
    """Parse one YAML document into plain values with a source map; raise LoadError on bad YAML."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as err:
        raise LoadError("BUS001", *_syntax_problem(err, text, rel)) from None
    except yaml.YAMLError as err:
        raise LoadError("BUS001", f"invalid YAML: {err}", Span(rel, 1, 1)) from None
    source = SourceMap(rel)
    if node is None:
        return YamlDocument(None, source)
    walker = _Walker(source, text)
    data = walker.convert(node, ())
    return YamlDocument(data, source, walker.env_references)


def _syntax_problem(err: yaml.MarkedYAMLError, text: str, rel: str) -> tuple[str, Span, str]:
    """A clear message, the most useful position and a hint for a YAML syntax error."""
    problem_mark, context_mark = err.problem_mark, err.context_mark
    mark = problem_mark or context_mark
    problem = err.problem or err.context or "invalid YAML"
    hint = "check indentation, quoting and that every ':' is followed by a space"
    if "expected a single document" in str(err):
        return (
            "invalid YAML: more than one document in the file",
            _at(rel, problem_mark),
            ("remove the '---' separator: one declaration per file"),
        )
    if problem_mark is not None and _char_at(text, problem_mark) == "\t":
        return (
            "invalid YAML: a tab character; YAML indentation must use spaces",
            _at(rel, problem_mark),
            ("replace the tab with spaces"),
        )
    context = err.context or ""
    if context_mark is not None and context.startswith("while parsing a flow"):
        opener = "[" if "sequence" in context else "{"
        return (
            (
                f"invalid YAML: the {opener} opened here is not closed properly ({problem} at line "
                f"{problem_mark.line + 1 if problem_mark else '?'})"
            ),
            _at(rel, context_mark),
            (f"close it with {']' if opener == '[' else '}'} and separate items with commas"),
        )
    if context_mark is not None and context.startswith("while scanning a quoted"):
        return "invalid YAML: a quoted string is not closed", _at(rel, context_mark), "add the closing quote"
    return f"invalid YAML: {problem}", _at(rel, mark), hint


def _at(rel: str, mark: yaml.Mark | None) -> Span:
    return Span(rel, mark.line + 1, mark.column + 1) if mark is not None else Span(rel, 1, 1)


def _char_at(text: str, mark: yaml.Mark) -> str:
    lines = text.splitlines()
    if mark.line < len(lines) and mark.column < len(lines[mark.line]):
        return lines[mark.line][mark.column]
    return ""


def load_yaml_file(root: Path, rel: str) -> YamlDocument:
    """read_text + parse_yaml."""
    return parse_yaml(read_text(root, rel), rel)


class _Walker:
    """Turns composed nodes into Python values, recording positions and bounding the work."""

    def __init__(self, source: SourceMap, text: str = "") -> None:
        self.source = source
        self.lines = text.split("\n")
        self.count = 0
        self.open_nodes: set[int] = set()
        self.env_references: list[tuple[Path_, str]] = []  # strings containing "${", by path

    def _span(self, node: yaml.Node) -> Span:
        return Span(self.source.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def _unsupported_tag(self, node: yaml.Node) -> LoadError:
        return LoadError(
            "BUS011",
            f"unsupported YAML tag {node.tag}",
            self._span(node),
            "use plain strings, numbers, booleans, lists and mappings",
        )

    def convert(self, node: yaml.Node, path: Path_) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise LoadError(
                "BUS010",
                f"document expands to more than {MAX_NODES:,} values (alias bomb or huge file)",
                self._span(node),
                "remove the anchors/aliases (&x / *x) that multiply the document",
            )
        if len(path) > MAX_DEPTH:
            raise LoadError(
                "BUS010",
                f"document is nested deeper than {MAX_DEPTH} levels",
                self._span(node),
                "flatten the structure",
            )
        self.source.values.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.ScalarNode):
            value = self._scalar(node)
            if path and path[-1] in PROSE_FIELDS and not node.style:
                self._comment_after(node, path, "" if value is None else str(value))
            if isinstance(value, str) and "${" in value:
                self.env_references.append((path, value))
            return value
        if node.tag not in _COLLECTION_TAGS:
            raise self._unsupported_tag(node)
        if id(node) in self.open_nodes:
            raise LoadError(
                "BUS010",
                "recursive alias: a node contains itself",
                self._span(node),
                "remove the alias (*name) that refers to its own anchor",
            )
        self.open_nodes.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            return [self.convert(item, (*path, i)) for i, item in enumerate(node.value)]
        finally:
            self.open_nodes.discard(id(node))

    def _comment_after(self, node: yaml.Node, path: Path_, kept: str) -> None:
        """Note a comment following a plain free-text value on its line: YAML ends the value at " #"."""
        line, column = node.end_mark.line, node.end_mark.column
        rest = self.lines[line][column:] if line < len(self.lines) else ""
        found = _COMMENT_AFTER.match(rest)
        if found:
            hash_column = column + found.end()  # 1-based column of the "#"
            comment = rest[found.end() - 1 :].rstrip()
            self.source.comments[path] = (line + 1, hash_column, comment, kept)

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        keys = self.source.keys
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise LoadError(
                    "BUS011",
                    "YAML merge keys (<<) are not supported",
                    self._span(key_node),
                    "write the fields out; explicit beats clever in a reviewed file",
                )
            if not isinstance(key_node, yaml.ScalarNode):
                raise LoadError("BUS004", "mapping keys must be plain scalars", self._span(key_node))
            key = self._scalar(key_node)
            if not isinstance(key, str):
                key = str(key_node.value)
            key_path = (*path, key)
            if key in result:
                raise LoadError(
                    "BUS002",
                    f'duplicate key "{key}" (first defined at line {keys[key_path][0]})',
                    self._span(key_node),
                    "remove one of the two; YAML keeps only the last silently",
                )
            keys[key_path] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = self.convert(value_node, key_path)
        return result

    def _scalar(self, node: yaml.Node) -> Any:
        if node.tag == _STR:
            return node.value
        if node.tag == "tag:yaml.org,2002:timestamp":
            return str(node.value)  # dates stay text: nothing in a bus file is a date
        if node.tag not in _PLAIN_TAGS:
            raise self._unsupported_tag(node)
        try:
            return _CONSTRUCTOR.yaml_constructors[node.tag](_CONSTRUCTOR, node)
        except ValueError:  # Python refuses to convert integers of more than 4300 digits
            digits = sum(c.isdigit() for c in str(node.value))
            raise LoadError(
                "BUS005",
                f"a number with {digits} digits is far beyond any value busctl or Kafka accepts",
                self._span(node),
                "write the value you mean; Kafka's largest numbers (longs) have 19 digits",
            ) from None
