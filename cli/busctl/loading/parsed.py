"""Parsed YAML documents kept in the lint cache: a file whose bytes are unchanged is not parsed again.

Parsing 10,000 topic files (libyaml, then the walk that records every position) is most of loading a big
bus. The cache keeps each parsed document — its values, source map and `${` references — under the
SHA-256 of the file's bytes, all in one entry (the cache checks its digest). The file is still read and
vetted every time (regular file, size, UTF-8): only the parse is skipped. A stored document that does not
have the expected shape is parsed again, never trusted.

Only what busctl shows is read from it (lint, plan): apply parses every file afresh, so a cache written
by anyone else can never change what is applied.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any

from busctl.adapters.cache import Cache
from busctl.core.source import SourceMap
from busctl.loading.files import read_regular_file
from busctl.loading.yamlfile import MAX_YAML_BYTES, YamlDocument, decode_text, parse_yaml

_KIND = "yaml"


class ParsedFiles:
    """The documents parsed before (by the digest of their bytes), and those parsed or used this time."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache
        self.key = cache.key(_KIND, [])
        self.used: dict[str, Any] = {}
        self.parsed = False  # a file was parsed: what it stored is missing or could not be read back

    @functools.cached_property
    def known(self) -> dict[str, Any]:
        """What the cache holds, read at the first file loaded (not before: bus.yaml is read first)."""
        stored = self.cache.get(_KIND, self.key)
        return stored if isinstance(stored, dict) else {}

    def load(self, root: Path, rel: str) -> YamlDocument:
        """The file's document, as load_yaml_file reads it (the same errors for a bad file)."""
        raw = read_regular_file(root, rel, MAX_YAML_BYTES)
        digest = hashlib.sha256(raw).hexdigest()
        stored = self.known.get(digest)
        if stored is not None:
            try:
                document = _decoded(rel, stored)
            except (TypeError, ValueError, IndexError, KeyError):  # not what _encoded writes: parse it
                pass
            else:
                self.used[digest] = stored
                return document
        document = parse_yaml(decode_text(raw, rel), rel)
        self.used[digest] = _encoded(document)
        self.parsed = True
        return document

    def save(self) -> None:
        """Store what this load used, once it differs from what was stored (a file parsed, or gone)."""
        if self.parsed or self.used.keys() != self.known.keys():
            self.cache.put(_KIND, self.key, self.used)


def _encoded(document: YamlDocument) -> list[Any]:
    source = document.source
    return [
        document.data,
        [[list(path), *position] for path, position in source.values.items()],
        [[list(path), *position] for path, position in source.keys.items()],
        [[list(path), *comment] for path, comment in source.comments.items()],
        [[list(path), text] for path, text in document.env_references],
    ]


def _decoded(rel: str, stored: list[Any]) -> YamlDocument:
    data, values, keys, notes, references = stored
    source = SourceMap(
        rel,
        {tuple(path): (int(line), int(column)) for path, line, column in values},
        {tuple(path): (int(line), int(column)) for path, line, column in keys},
        {tuple(path): (int(line), int(col), str(text), str(kept)) for path, line, col, text, kept in notes},
    )
    return YamlDocument(data, source, [(tuple(path), str(text)) for path, text in references])
