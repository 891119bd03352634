"""A content-addressed cache of tool results (protoc's index, buf's findings) in a directory CI can keep.

An entry is a file named by its key, a digest of everything that decides the result: a JSON header line
with the key again and the SHA-256 of the payload, then the payload (JSON). An entry that does not
parse, names another key or fails its digest (truncated, corrupted, edited) is a miss and is removed,
never trusted. Entries are written to a
temporary file and renamed into place, so two lints running at once never see half an entry. Reading an
entry refreshes its mtime; after writing, the least recently used entries are removed while the
directory holds more than `max_bytes`. The cache holds only digests, repo-relative paths and findings.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import busctl

CACHE_DIR = ".busctl-cache"  # under the repo unless --cache-dir / BUSCTL_CACHE_DIR say otherwise
MAX_BYTES = 256 * 1024 * 1024
_FORMAT = 2  # bump when an entry's payload changes shape


def digest(parts: Iterable[str | bytes]) -> str:
    """SHA-256 (hex) of `parts`, each length-prefixed so that no two sequences collide."""
    sha = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        sha.update(len(data).to_bytes(8, "big"))
        sha.update(data)
    return sha.hexdigest()


@dataclass
class Cache:
    """The cache directory; `kind` separates the results of different tools (protoc, buf-lint)."""

    directory: Path
    max_bytes: int = MAX_BYTES
    written: int = 0  # entries stored by this process

    def key(self, kind: str, parts: Iterable[str | bytes]) -> str:
        """The key of a `kind` result decided by `parts`, busctl's version and the entry format."""
        return digest([kind, busctl.__version__, str(_FORMAT), *parts])

    def _path(self, kind: str, key: str) -> Path:
        return self.directory / kind / key[:2] / f"{key}.json"

    def get(self, kind: str, key: str) -> Any | None:
        """The payload stored under `key`, or None (absent, unreadable, or failing its checks)."""
        path = self._path(kind, key)
        try:
            header, _, body = path.read_bytes().partition(b"\n")
            valid = json.loads(header) == {"key": key, "digest": digest([body])}
            payload = json.loads(body) if valid else None
        except FileNotFoundError:
            return None
        except (OSError, ValueError, RecursionError):
            valid = False
        if not valid:
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        with contextlib.suppress(OSError):
            os.utime(path)
        return payload

    def put(self, kind: str, key: str, payload: Any) -> None:
        """Store `payload` under `key`, atomically; a cache that cannot be written is skipped."""
        path = self._path(kind, key)
        body = json.dumps(payload, separators=(",", ":")).encode()
        header = json.dumps({"key": key, "digest": digest([body])}).encode()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        except OSError:
            return
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(header + b"\n" + body)
            os.replace(temporary, path)
            self.written += 1
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)

    def prune(self) -> None:
        """Once something was written: remove the least recently used entries while the cache holds more
        than `max_bytes`, and temporary files a killed lint left behind over an hour ago."""
        if not self.written:
            return
        entries = []
        stale = time.time() - 3600
        for path in self.directory.glob("*/*/*"):
            with contextlib.suppress(OSError):
                info = path.stat()
                if path.suffix == ".tmp" and info.st_mtime < stale:
                    path.unlink()
                elif path.suffix == ".json":
                    entries.append((info.st_mtime, info.st_size, path))
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries):
            if total <= self.max_bytes:
                break
            with contextlib.suppress(OSError):
                path.unlink()
                total -= size


def open_cache(repo: Path, directory: Path | None, enabled: bool = True) -> Cache | None:
    """The cache for `repo`: `directory` if given (relative to the working directory), else
    `.busctl-cache/` in the repo; None when disabled."""
    if not enabled:
        return None
    return Cache(directory.resolve() if directory is not None else repo / CACHE_DIR)
