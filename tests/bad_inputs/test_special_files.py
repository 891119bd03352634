"""Files git cannot store but a checkout can hold: named pipes, sockets, devices, symlink loops, broken
symlinks and unreadable files, under topics/, under the schema module, or as bus.yaml and teams.yaml.

Each is built in a tmp dir at run time. `busctl lint` and `busctl plan` (which lints before it connects)
must name the path and exit 1 — never block on a pipe, never crash on a loop, never reach a cluster.
A hang fails the test: pytest-timeout interrupts a blocked open() in Python; protoc runs in C holding
the GIL (a pipe blocks it, a device makes it read forever), where only faulthandler's watchdog thread
still runs, so it ends the whole run with every thread's traceback rather than letting it hang.
"""

from __future__ import annotations

import faulthandler
import os
import shutil
import socket
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.bad_inputs.test_bad_inputs import _package_path, assert_no_crash, parse_text
from tests.conftest import BASE_BUS, CliResult

Run = Callable[..., CliResult]
TOPIC = "topics/billing/invoice-created.yaml"
PROTO_DIR = "schemas/acme/billing/v1"


@dataclass(frozen=True)
class Special:
    """A hostile entry: how to make it, and the diagnostic busctl must give for it."""

    make: Callable[[Path], None]
    code: str
    path: str
    message: str


def _replace(path: Path) -> Path:
    """Remove what the base bus has at `path`, so something hostile can take its place."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
    return path


def _fifo(rel: str) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        os.mkfifo(_replace(root / rel))

    return make


def _socket(rel: str) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(root / rel))
        server.close()  # the socket file stays

    return make


def _char_device(rel: str) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        try:  # a copy of /dev/zero: reading it never ends
            os.mknod(root / rel, 0o644 | stat.S_IFCHR, os.makedev(1, 5))
        except PermissionError:
            pytest.skip("creating a device node needs CAP_MKNOD")

    return make


def _symlink(rel: str, target: str) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        _replace(root / rel).symlink_to(target)

    return make


def _importing_a_pipe(root: Path) -> None:
    """A pipe without the .proto suffix, imported by a .proto: protoc would open it and block."""
    os.mkfifo(root / PROTO_DIR / "pipe")
    (root / PROTO_DIR / "uses_pipe.proto").write_text(
        'syntax = "proto3";\npackage acme.billing.v1;\nimport "acme/billing/v1/pipe";\n'
        "// Uses the pipe.\nmessage UsesPipe {\n  // A field.\n  string a = 1;\n}\n"
    )


def _two_link_loop(root: Path) -> None:
    (root / "topics/billing/a.yaml").symlink_to("b.yaml")
    (root / "topics/billing/b.yaml").symlink_to("a.yaml")


def _symlink_to_pipe(root: Path) -> None:
    os.mkfifo(root / "elsewhere.fifo")
    (root / PROTO_DIR / "linked.proto").symlink_to("../../../../elsewhere.fifo")


SPECIALS = {
    "fifo-topic-file": Special(
        _fifo("topics/billing/pipe.yaml"), "BUS013", "topics/billing/pipe.yaml", "named pipe"
    ),
    "fifo-topic-any-name": Special(
        _fifo("topics/billing/notes"), "BUS013", "topics/billing/notes", "named pipe"
    ),
    "fifo-proto-file": Special(
        _fifo(f"{PROTO_DIR}/pipe.proto"), "BUS013", f"{PROTO_DIR}/pipe.proto", "named pipe"
    ),
    "fifo-imported-by-a-proto": Special(_importing_a_pipe, "BUS013", f"{PROTO_DIR}/pipe", "named pipe"),
    "fifo-hidden-in-schemas": Special(_fifo("schemas/.pipe"), "BUS013", "schemas/.pipe", "named pipe"),
    "fifo-buf-yaml": Special(_fifo("schemas/buf.yaml"), "BUS013", "schemas/buf.yaml", "named pipe"),
    "fifo-bus-yaml": Special(_fifo("bus.yaml"), "BUS013", "bus.yaml", "named pipe"),
    "fifo-teams-yaml": Special(_fifo("teams.yaml"), "BUS013", "teams.yaml", "named pipe"),
    "fifo-topics-dir": Special(_fifo("topics"), "BUS013", "topics", "named pipe"),
    "socket-topic-file": Special(
        _socket("topics/billing/s.yaml"), "BUS013", "topics/billing/s.yaml", "a socket"
    ),
    "char-device-topic-file": Special(
        _char_device("topics/billing/zero.yaml"), "BUS013", "topics/billing/zero.yaml", "character device"
    ),
    "char-device-in-schemas": Special(
        _char_device(f"{PROTO_DIR}/zero.proto"), "BUS013", f"{PROTO_DIR}/zero.proto", "character device"
    ),
    "symlink-to-a-pipe-in-schemas": Special(
        _symlink_to_pipe, "BUS013", f"{PROTO_DIR}/linked.proto", "symlink to a named pipe"
    ),
    "symlink-loop-topic-file": Special(
        _symlink("topics/billing/loop.yaml", "loop.yaml"),
        "BUS014",
        "topics/billing/loop.yaml",
        "symlink loop",
    ),
    "symlink-loop-two-links": Special(_two_link_loop, "BUS014", "topics/billing/a.yaml", "symlink loop"),
    "symlink-loop-proto-file": Special(
        _symlink(f"{PROTO_DIR}/loop.proto", "loop.proto"), "BUS014", f"{PROTO_DIR}/loop.proto", "symlink loop"
    ),
    "symlink-loop-bus-yaml": Special(_symlink("bus.yaml", "bus.yaml"), "BUS014", "bus.yaml", "symlink loop"),
    "symlink-loop-schema-root": Special(_symlink("schemas", "schemas"), "BUS014", "schemas", "symlink loop"),
    "dir-symlink-to-parent-in-topics": Special(
        _symlink("topics/billing/up", ".."), "BUS014", "topics/billing/up", "a loop"
    ),
    "dir-symlink-to-itself-in-topics": Special(
        _symlink("topics/billing/here", "."), "BUS014", "topics/billing/here", "its own directory"
    ),
    "dir-symlink-to-parent-in-schemas": Special(
        _symlink("schemas/acme/up", ".."), "BUS014", "schemas/acme/up", "a loop"
    ),
    "dir-symlink-to-repo-root-in-schemas": Special(
        _symlink(f"{PROTO_DIR}/root", "../../../.."), "BUS014", f"{PROTO_DIR}/root", "a loop"
    ),
    "broken-symlink-topic-file": Special(
        _symlink(TOPIC, "gone.yaml"), "BUS014", TOPIC, "broken symlink: its target gone.yaml does not exist"
    ),
    "broken-symlink-proto-file": Special(
        _symlink(f"{PROTO_DIR}/invoice_created.proto", "gone.proto"),
        "BUS014",
        f"{PROTO_DIR}/invoice_created.proto",
        "broken symlink",
    ),
    "broken-symlink-teams-yaml": Special(
        _symlink("teams.yaml", "gone.yaml"), "BUS014", "teams.yaml", "broken"
    ),
}


@pytest.fixture(autouse=True)
def _hard_deadline() -> Iterator[None]:
    faulthandler.dump_traceback_later(45, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


def _repo(tmp_path: Path, special: Special) -> Path:
    root = tmp_path / "bus"
    shutil.copytree(BASE_BUS, root)
    special.make(root)
    return root


def _assert_refused(result: CliResult) -> None:
    assert_no_crash(result)
    assert "bug in busctl" not in result.out + result.err
    assert result.code == 1, result.out + result.err


@pytest.mark.timeout(20)
@pytest.mark.parametrize("name", sorted(SPECIALS))
def test_lint_names_the_entry_and_does_not_block(name: str, tmp_path: Path, run: Run) -> None:
    special = SPECIALS[name]
    root = _repo(tmp_path, special)
    result = run("lint", "--repo", str(root))  # buf included: it must not be handed such a tree
    _assert_refused(result)
    findings = [f for f in parse_text(result.out) if (f.where, f.code) == (special.path, special.code)]
    assert any(special.message in f.message and f.hint for f in findings), result.out


@pytest.mark.timeout(20)
@pytest.mark.parametrize("name", sorted(SPECIALS))
def test_plan_refuses_before_connecting(name: str, tmp_path: Path, run: Run) -> None:
    special = SPECIALS[name]
    root = _repo(tmp_path, special)
    result = run("plan", "--cluster", "local", "--repo", str(root))
    _assert_refused(result)
    assert f"lint error(s): {special.path}: {special.code} " in result.err, result.err
    assert special.message in result.err
    assert "cannot reach" not in result.err  # it never tried


@pytest.mark.timeout(20)
def test_json_report_carries_the_code_and_path(tmp_path: Path, run: Run) -> None:
    root = _repo(tmp_path, SPECIALS["fifo-topic-file"])
    result = run("lint", "--repo", str(root), "--no-buf", "--format", "json")
    assert result.code == 1
    assert '"code": "BUS013"' in result.out
    assert '"name": "not-a-regular-file"' in result.out
    assert '"file": "topics/billing/pipe.yaml"' in result.out


def _without_read_override(argv: list[str]) -> list[str]:
    """As root, files are readable whatever their mode: drop the capabilities that make them so."""
    if os.geteuid() != 0:
        return argv
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot make a file unreadable")
    caps = "-dac_override,-dac_read_search"
    return [setpriv, f"--bounding-set={caps}", f"--inh-caps={caps}", *argv]


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("rel", "what"),
    [
        ("topics/audit/events.yaml", "file"),
        (f"{PROTO_DIR}/invoice_created.proto", "file"),
        ("teams.yaml", "file"),
        ("topics/audit", "directory"),
        ("schemas/acme/audit", "directory"),
    ],
)
@pytest.mark.parametrize("command", [["lint"], ["plan", "--cluster", "local"]])
def test_unreadable_entries_are_named(rel: str, what: str, command: list[str], tmp_path: Path) -> None:
    root = tmp_path / "bus"
    shutil.copytree(BASE_BUS, root)
    (root / rel).chmod(0)
    env = {k: v for k, v in os.environ.items() if k not in ("BUSCTL_DEBUG", "PYTHONPATH")}
    env["PYTHONPATH"] = _package_path()
    try:
        done = subprocess.run(
            _without_read_override([sys.executable, "-m", "busctl", *command, "--repo", str(root)]),
            capture_output=True,
            text=True,
            env=env,
            timeout=40,
            check=False,
        )
    finally:
        (root / rel).chmod(0o755 if what == "directory" else 0o644)
    result = CliResult(done.returncode, done.stdout, done.stderr)
    assert_no_crash(result)
    assert done.returncode == 1, done.stdout + done.stderr
    both = done.stdout + done.stderr
    if command[0] == "plan" and rel.startswith("topics/") and what == "file":
        # one topic file is held back ("not planned", tests/test_not_planned.py), the rest is planned:
        # plan goes on to the cluster, which is not there
        assert "cannot reach cluster local" in both, both
        return
    assert f"{rel}: error BUS007 cannot read {what}: permission denied" in " ".join(done.stdout.split()) or (
        f"{rel}: BUS007 cannot read {what}: permission denied" in done.stderr
    ), both
    assert "cannot reach" not in both
