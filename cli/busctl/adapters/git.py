"""Git, through gitpython: the merge base with a ref, the bus files as they were there, changed paths.

Nothing here touches the user's checkout: base files are read from git objects into a temporary tree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import git

from busctl.core.diagnostics import BusctlError


@dataclass(frozen=True)
class Base:
    """The merge base of HEAD and a ref, and the path of the bus repo inside the git work tree."""

    sha: str
    ref: str
    prefix: str  # the bus repo's directory relative to the git top level ("" at the top)


def open_repo(bus_root: Path) -> git.Repo:
    """The git repository holding the bus repo."""
    try:
        return git.Repo(bus_root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise BusctlError(
            f"{bus_root} is not inside a git repository",
            "busctl check compares against git history: run it in a clone",
        ) from None


def merge_base(repo: git.Repo, bus_root: Path, ref: str) -> Base:
    """The merge base of HEAD and `ref` (what a pull request is compared against)."""
    try:
        target = repo.commit(ref)
    except (git.BadName, ValueError):
        raise BusctlError(
            f'git ref "{ref}" not found',
            "fetch it first (CI: actions/checkout with fetch-depth: 0, or "
            f"git fetch origin {ref.removeprefix('origin/')})",
        ) from None
    bases = repo.merge_base(repo.head.commit, target)
    if not bases:
        raise BusctlError(
            f"HEAD and {ref} have no common history",
            "in a shallow clone, fetch more history (fetch-depth: 0)",
        )
    top = Path(repo.working_tree_dir or ".").resolve()
    prefix = bus_root.resolve().relative_to(top).as_posix()
    return Base(sha=bases[0].hexsha, ref=ref, prefix="" if prefix == "." else prefix)


def export_base(repo: git.Repo, base: Base, target: Path, paths: Iterable[str]) -> None:
    """Write `paths` (files or directories of the bus repo) as they are in the base commit under
    `target`. Symlinks are left out, as everywhere busctl reads a bus: they are never followed."""
    tree = repo.commit(base.sha).tree
    if base.prefix:
        try:
            tree = tree / base.prefix
        except KeyError:
            raise BusctlError(f"{base.prefix} does not exist at {base.ref} ({base.sha[:10]})") from None
    for name in paths:
        try:
            item: Any = tree / name
        except KeyError:
            continue
        blobs: list[Any] = [item] if item.type == "blob" else [b for b in item.traverse() if b.type == "blob"]
        for blob in blobs:
            if blob.mode == 0o120000:  # a symlink
                continue
            relative = (
                PurePosixPath(blob.path).relative_to(base.prefix) if base.prefix else PurePosixPath(blob.path)
            )
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(blob.data_stream.read())
