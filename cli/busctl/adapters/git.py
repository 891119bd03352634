"""Git, through gitpython: the merge base with a ref, the bus files as they were there, changed paths,
and the commits that changed a range of lines.

Nothing here touches the user's checkout: base files are read from git objects into a temporary tree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import git

from busctl.core.diagnostics import BusctlError
from busctl.core.messages import Commit, History, committed_lines, source_lines

_RECORD = "\x1e"  # starts each commit's line in `git log -L` output (a diff line never starts with it)
_FIELD = "\x1f"


@dataclass(frozen=True)
class Base:
    """The merge base of HEAD and a ref, and the path of the bus repo inside the git work tree."""

    sha: str
    ref: str
    prefix: str  # the bus repo's directory relative to the git top level ("" at the top)


def _repository(bus_root: Path) -> git.Repo | None:
    """The git repository holding the bus repo, or None outside git."""
    try:
        return git.Repo(bus_root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None


def open_repo(bus_root: Path) -> git.Repo:
    """The git repository holding the bus repo."""
    repo = _repository(bus_root)
    if repo is None:
        raise BusctlError(
            f"{bus_root} is not inside a git repository",
            "busctl check compares against git history: run it in a clone",
        )
    return repo


def _in_repo(repo: git.Repo, bus_root: Path, path: str = "") -> str:
    """A path of the bus repo (the bus repo itself by default) relative to the git top level ("" at
    the top)."""
    top = Path(repo.working_tree_dir or ".").resolve()
    relative = (bus_root.resolve() / path).relative_to(top).as_posix()
    return "" if relative == "." else relative


def directory_in_repository(bus_root: Path) -> str | None:
    """The bus repo's directory relative to the top of its git repository ("" at the top, None
    outside git): a monorepo's `bus/`, where GitHub's file paths (annotations, SARIF) start."""
    repo = _repository(bus_root)
    if repo is None:
        return None
    with repo:
        return _in_repo(repo, bus_root)


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
    return Base(sha=bases[0].hexsha, ref=ref, prefix=_in_repo(repo, bus_root))


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


def line_history(bus_root: Path, file: str, lines: tuple[int, int], anchor: int) -> History:
    """The commits that changed `lines` (first, last) of the bus repo's `file`, newest first, as
    `git log -L` follows them from HEAD (the lines as HEAD has them, when the work tree changed the
    file); a note instead outside git, or when HEAD lacks the `anchor` line (committed_lines)."""
    repo = _repository(bus_root)
    if repo is None:
        return History(note="not a git repository")
    with repo:
        if not repo.head.is_valid():
            return History(note="no commits yet")
        path = _in_repo(repo, bus_root, file)
        try:
            blob: Any = repo.head.commit.tree / path
        except KeyError:
            return History(note=f"{file} is not committed yet")
        committed = source_lines(blob.data_stream.read().decode("utf-8", errors="replace"))
        current = source_lines((bus_root / file).read_text("utf-8", errors="replace"))
        at_head = committed_lines(committed, current, lines, anchor)
        if at_head is None:
            return History(note="not committed yet")
        lines_of = f"-L{at_head[0]},{at_head[1]}:"
        try:  # git runs at the top level; the command shown is run in the bus repo, as paths are
            log = repo.git.log(
                lines_of + path, f"--format={_RECORD}%h{_FIELD}%ad{_FIELD}%an{_FIELD}%s", "--date=short"
            )
        except git.GitCommandError as failed:
            return History(note=f"git log failed: {str(failed.stderr).strip() or failed}")
    commits = [Commit(*line[1:].split(_FIELD, 3)) for line in log.split("\n") if line.startswith(_RECORD)]
    return History(commits=commits, command=f"git log {lines_of}{file}")
