"""Walk and read repo files without opening anything that could block, loop or leak.

A bus repo holds regular files and directories. A named pipe blocks whoever opens it for reading, a
device may never end, a symlink loop or a broken symlink crashes naive walkers, and a symlink out of the
repo would read files nobody reviewed. Each is reported as a load error and left alone: never opened,
never followed, never handed to protoc or buf.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from busctl.core.diagnostics import Diagnostic, Span
from busctl.core.errors import LoadError

_OUTSIDE_HINT = "replace the symlink with the file itself; busctl never reads outside the repo"
_SPECIAL_HINT = (
    "remove it: bus repos hold regular files and directories only (reading a pipe or device blocks)"
)


def kind_of(mode: int) -> str:
    """What a file of this mode is, for messages: "a named pipe (FIFO)", "a directory"..."""
    kinds = [
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ]
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def not_regular(rel: str, mode: int, via_symlink: bool = False) -> LoadError:
    """BUS013: the path is a pipe, socket, device or directory where a regular file is needed."""
    what = f"symlink to {kind_of(mode)}" if via_symlink else kind_of(mode)
    return LoadError("BUS013", f"{what}, not a regular file", Span(rel), _SPECIAL_HINT)


def outside_repo(rel: str, target: str, directory: bool = False) -> LoadError:
    """BUS009: a symlink resolving outside the repo."""
    if directory:
        return LoadError(
            "BUS009",
            f"symlinked directory points outside the repository ({target})",
            Span(rel),
            "busctl never reads outside the repo; copy the files in instead",
        )
    return LoadError(
        "BUS009", f"symlink points outside the repository (to {target})", Span(rel), _OUTSIDE_HINT
    )


def unfollowable(rel: str, path: Path, err: OSError) -> LoadError:
    """BUS014 for a symlink that cannot be followed (a loop, a missing target); BUS007 otherwise."""
    if err.errno == errno.ELOOP:
        return LoadError(
            "BUS014",
            "symlink loop: following it leads back to itself",
            Span(rel),
            "remove the symlink, or point it at the file itself",
        )
    if err.errno in (errno.ENOENT, errno.ENOTDIR):
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        return LoadError(
            "BUS014",
            f"broken symlink: its target {target} does not exist",
            Span(rel),
            "remove the symlink, or point it at an existing file in the repo",
        )
    return unreadable(rel, err)


def unreadable(rel: str, err: OSError, what: str = "file") -> LoadError:
    """BUS007: the file or directory exists but cannot be read (permissions, I/O error)."""
    if err.errno in (errno.EACCES, errno.EPERM):
        return LoadError(
            "BUS007",
            f"cannot read {what}: permission denied",
            Span(rel),
            f"make it readable (chmod a+r{'x' if what == 'directory' else ''} {rel}), or remove it",
        )
    reason = (err.strerror or str(err)).lower()
    return LoadError("BUS007", f"cannot read {what}: {reason}", Span(rel))


def _inside(target: str, root: str) -> bool:
    return target == root or target.startswith(root.rstrip("/") + "/")


def follow(root: Path, rel: str) -> os.stat_result:
    """The status of the file a repo symlink points to; LoadError when it loops, dangles or leaves."""
    path = root / rel
    try:
        status = os.stat(path)
    except OSError as err:
        raise unfollowable(rel, path, err) from None
    target = os.path.realpath(path)
    if not _inside(target, os.path.realpath(root)):
        raise outside_repo(rel, target, directory=stat.S_ISDIR(status.st_mode))
    return status


def read_regular_file(root: Path, rel: str, max_bytes: int) -> bytes:
    """The bytes of a regular file of the repo (symlinks inside the repo are followed).

    Never blocks: the type is checked before opening, the file is opened non-blocking and checked again
    (it may have been swapped meanwhile), and no more than `max_bytes` + 1 bytes are read. Raises
    LoadError for anything else: BUS013 (pipe, device...), BUS014 (loop, broken link), BUS009 (link out
    of the repo), BUS008 (too large), BUS007 (unreadable).
    """
    path = root / rel
    try:
        status = os.lstat(path)
        if stat.S_ISLNK(status.st_mode):
            status = follow(root, rel)
            linked = True
        else:
            linked = False
        if not stat.S_ISREG(status.st_mode):
            raise not_regular(rel, status.st_mode, via_symlink=linked)
        if status.st_size > max_bytes:
            raise _too_large(rel, status.st_size, max_bytes)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as handle:
            opened = os.fstat(handle.fileno())
            if not stat.S_ISREG(opened.st_mode):
                raise not_regular(rel, opened.st_mode, via_symlink=linked)
            raw = handle.read(max_bytes + 1)
    except LoadError:
        raise
    except OSError as err:
        raise unfollowable(rel, path, err) if err.errno == errno.ELOOP else unreadable(rel, err) from None
    if len(raw) > max_bytes:  # it grew after the stat
        raise _too_large(rel, len(raw), max_bytes)
    return raw


def _too_large(rel: str, size: int, max_bytes: int) -> LoadError:
    return LoadError(
        "BUS008",
        f"file is too large ({size:,} bytes; the limit is {max_bytes:,})"
        if size != max_bytes + 1
        else f"file is too large (it grew past the limit of {max_bytes:,} bytes while being read)",
        Span(rel),
        "split it up: one topic per file, or move data out of the bus repo",
    )


@dataclass
class Tree:
    """What a directory of the repo holds: its wanted regular files and the entries nothing may read."""

    files: list[str] = field(default_factory=list)  # repo-relative, sorted
    problems: list[Diagnostic] = field(default_factory=list)


def scan(
    repo: Path,
    top: str,
    *,
    wanted: Callable[[str], bool],
    follow_dir_links: bool,
    skip_hidden_dirs: bool,
    check_readable: bool = False,
) -> Tree:
    """Every regular file under `top` whose name is `wanted`, and a problem for every entry that is not
    a regular file or a directory (of any name): pipes, sockets, devices, broken or looping symlinks,
    symlinks out of the repo, symlinked directories pointing at an enclosing directory, unreadable
    directories (and, with `check_readable`, unreadable files).

    Symlinked directories inside the repo are descended only with `follow_dir_links` (each real directory
    once). Nothing is opened but directories.
    """
    return _Scanner(repo, wanted, follow_dir_links, skip_hidden_dirs, check_readable).run(top)


class _Scanner:
    def __init__(
        self,
        repo: Path,
        wanted: Callable[[str], bool],
        follow_dir_links: bool,
        skip_hidden_dirs: bool,
        check_readable: bool,
    ) -> None:
        self.repo = repo
        self.root = os.path.realpath(repo)
        self.wanted = wanted
        self.follow_dir_links = follow_dir_links
        self.skip_hidden_dirs = skip_hidden_dirs
        self.check_readable = check_readable
        self.tree = Tree()
        self.visited: set[tuple[int, int]] = set()
        self.pending: list[str] = []  # directories to list, repo-relative

    def run(self, top: str) -> Tree:
        try:
            status = os.lstat(self.repo / top)
        except FileNotFoundError:
            return self.tree
        except OSError as err:
            self._problem(unreadable(top, err, "directory"))
            return self.tree
        if stat.S_ISLNK(status.st_mode):
            self._link(top, hidden=False, top=True)
        elif stat.S_ISDIR(status.st_mode):
            self._descend(top, status)
        elif not stat.S_ISREG(status.st_mode):
            self._problem(not_regular(top, status.st_mode))
        while self.pending:
            self._list(self.pending.pop())
        self.tree.files.sort()
        return self.tree

    def _problem(self, err: LoadError) -> None:
        self.tree.problems.append(err.diagnostic)

    def _descend(self, rel: str, status: os.stat_result) -> None:
        key = (status.st_dev, status.st_ino)
        if key not in self.visited:
            self.visited.add(key)
            self.pending.append(rel)

    def _list(self, rel_dir: str) -> None:
        try:
            with os.scandir(self.repo / rel_dir) as listing:
                entries = sorted(listing, key=lambda e: e.name, reverse=True)  # popped in name order
        except OSError as err:
            self._problem(unreadable(rel_dir, err, "directory"))
            return
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}"
            hidden = entry.name.startswith(".")
            try:
                if entry.is_symlink():
                    self._link(rel, hidden=hidden)
                elif entry.is_dir(follow_symlinks=False):
                    if not (hidden and self.skip_hidden_dirs):
                        self._descend(rel, entry.stat(follow_symlinks=False))
                elif entry.is_file(follow_symlinks=False):
                    self._file(rel, entry.name)
                else:
                    self._problem(not_regular(rel, entry.stat(follow_symlinks=False).st_mode))
            except OSError as err:
                self._problem(unreadable(rel, err))

    def _file(self, rel: str, name: str) -> None:
        if self.check_readable and not os.access(self.repo / rel, os.R_OK):
            self._problem(unreadable(rel, PermissionError(errno.EACCES, "permission denied")))
        elif self.wanted(name):
            self.tree.files.append(rel)

    def _link(self, rel: str, hidden: bool, top: bool = False) -> None:
        path = self.repo / rel
        try:
            status = os.stat(path)
        except OSError as err:
            self._problem(unfollowable(rel, path, err))
            return
        is_dir = stat.S_ISDIR(status.st_mode)
        if is_dir and hidden and self.skip_hidden_dirs:
            return
        target = os.path.realpath(path)
        if not _inside(target, self.root):
            self._problem(outside_repo(rel, target, directory=is_dir))
        elif is_dir:
            parent = os.path.realpath(path.parent)
            if _inside(parent, target):
                where = "its own directory" if parent == target else "a directory enclosing it"
                self._problem(
                    LoadError(
                        "BUS014",
                        f"symlinked directory points at {where} ({os.readlink(path)}): a loop",
                        Span(rel),
                        "remove the symlink: whatever follows it (buf, grep -r, editors) never ends",
                    )
                )
            elif top or self.follow_dir_links:
                self._descend(rel, status)
        elif stat.S_ISREG(status.st_mode):
            self._file(rel, path.name)
        else:
            self._problem(not_regular(rel, status.st_mode, via_symlink=True))
