"""A cluster read in a child process, started as soon as bus.yaml is read.

Most of a bulk read is the broker answering and confluent-kafka turning 33 config entries a topic into
Python objects, in C code that holds the interpreter lock. Run in a child, that work overlaps the loading
of the declarations and uses a second core, and several clusters are read on several cores. The child
sends the state back pickled over a pipe (from busctl's own process to itself: nothing else writes it),
then the declared topics the listing left out are asked for by name (`KafkaAdmin.with_declared`).

The child is forked before busctl has made any Kafka client or thread (librdkafka's threads do not
survive a fork), dies with its parent, and ends quietly on Ctrl-C, which the parent reports.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import pickle
import select
import signal
import struct
import threading
import time
import traceback
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Any

from busctl import collector
from busctl.adapters.kafka import KafkaAdmin, plain_described_configs
from busctl.core.diagnostics import BusctlError
from busctl.core.ports import ClusterReader
from busctl.core.state import ClusterState

_LENGTH = struct.Struct("!Q")
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class _Refused:
    """What the child sends instead of a state when the read failed as busctl reports failures."""

    message: str
    hint: str


@dataclass(frozen=True)
class _Crashed:
    """What the child sends when the read raised something unexpected: a bug, with its traceback."""

    trace: str


@dataclass
class ForkedRead:
    """A ClusterReader whose bulk read is already under way in a child process (`start`)."""

    cluster: str
    pid: int
    results: int  # the child writes the states and errors here
    requests: int  # the parent writes the declared topics the listing lacks here
    wait_seconds: float  # at most this long for each answer of the child

    @classmethod
    def start(cls, name: str, connect: Callable[[], ClusterReader], timeout: float) -> ForkedRead | None:
        """Fork a child that makes its reader with `connect` and reads the cluster; None where forking
        is not safe (another thread already runs)."""
        if not _single_threaded():
            return None
        results_in, results_out = os.pipe()
        requests_in, requests_out = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(results_in)
            os.close(requests_out)
            _serve(connect, parent, results_out, requests_in)
        os.close(results_out)
        os.close(requests_in)
        # connecting, the metadata, the DescribeConfigs batches and the ACLs each wait at most the timeout
        return cls(name, pid, results_in, requests_out, wait_seconds=4 * timeout + 30)

    def read_state(self, declared: Collection[str] = ()) -> ClusterState:
        """The listing the child read, completed with the declared topics it lacks; from a reader
        that cannot list first, its whole read of the declared topics."""
        try:
            listing = self._answer()
            if listing is None:
                self._ask(sorted(declared))
                return self._read()
            missing = listing.unlisted(declared)
            self._ask(missing)
            return self._read() if missing else listing
        finally:
            self.close()

    def close(self) -> None:
        """End the child (if it still runs) and release its pipes; idempotent."""
        if self.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            os.close(self.results)
            os.close(self.requests)
            self.pid = 0

    def _ask(self, topics: list[str]) -> None:
        try:
            _send(self.requests, topics)
        except BrokenPipeError:
            raise self._ended() from None

    def _ended(self) -> BusctlError:
        return BusctlError(
            f"the process reading cluster {self.cluster} ended before it answered",
            "run the command again; if it happens again, report it as a busctl bug",
        )

    def _read(self) -> ClusterState:
        state = self._answer()
        if state is None:
            raise RuntimeError(f"the process reading cluster {self.cluster} sent no state")
        return state

    def _answer(self) -> ClusterState | None:
        try:
            answer = _receive(self.results, time.monotonic() + self.wait_seconds)
        except TimeoutError:
            raise BusctlError(
                f"cluster {self.cluster} gave no complete answer within {self.wait_seconds:g}s",
                "is the broker running and the bootstrap address right? (scripts/kafka/kafka status)",
            ) from None
        except EOFError:
            raise self._ended() from None
        if isinstance(answer, _Refused):
            raise BusctlError(answer.message, answer.hint)
        if isinstance(answer, _Crashed):
            raise RuntimeError(f"reading cluster {self.cluster} failed in its process:\n{answer.trace}")
        if answer is not None and not isinstance(answer, ClusterState):
            raise RuntimeError(f"the process reading cluster {self.cluster} answered {type(answer)}")
        return answer


def _single_threaded() -> bool:
    """Whether this process runs one thread only, librdkafka's and other native threads counted."""
    if not hasattr(os, "fork"):
        return False
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:  # no /proc: Python's own threads at least
        return threading.active_count() == 1


def _serve(connect: Callable[[], ClusterReader], parent: int, results: int, requests: int) -> None:
    """The child: send the cluster's listing (None from a reader that cannot list first), then read
    the declared topics the parent names: those the listing lacks, or all of them."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends it quietly: the parent reports it
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _die_with(parent)
        plain_described_configs()
        try:
            reader = connect()
            admin = reader if isinstance(reader, KafkaAdmin) else None
            listing = admin.read_listing() if admin is not None else None
            _send(results, listing)
            declared = _receive(requests, deadline=None)
            if admin is None or listing is None:
                _send(results, reader.read_state(declared))
            elif declared:
                _send(results, admin.with_declared(listing, declared))
        except BusctlError as err:
            _send(results, _Refused(err.message, err.hint))
        except EOFError:  # the parent needs nothing more
            pass
        except Exception:  # a bug: the parent's error boundary reports it
            _send(results, _Crashed(traceback.format_exc()))
    except BaseException:  # the parent went away mid-answer (a broken pipe) or the child was interrupted
        code = 1
    finally:
        os._exit(code)  # no atexit handlers, no flushing of buffers copied from the parent


def _die_with(parent: int) -> None:
    """Have the kernel end this process when its parent ends (Linux), and end now if it already did."""
    library = ctypes.util.find_library("c")
    if library is not None:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(library, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


def _send(fd: int, value: Any) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_LENGTH.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


def _receive(fd: int, deadline: float | None) -> Any:
    """One value `_send` wrote; EOFError when the writer closed the pipe first; TimeoutError after the
    deadline (monotonic; None: no limit)."""
    (length,) = _LENGTH.unpack(_read(fd, _LENGTH.size, deadline))
    with collector.paused():  # a state of 10,000 topics is hundreds of thousands of objects, no cycles
        return pickle.loads(_read(fd, length, deadline))


def _read(fd: int, size: int, deadline: float | None) -> bytes:
    chunks = bytearray()
    for _ in _ready(fd, deadline):
        chunk = os.read(fd, min(size - len(chunks), 1 << 20))
        if not chunk:
            raise EOFError
        chunks += chunk
        if len(chunks) == size:
            break
    return bytes(chunks)


def _ready(fd: int, deadline: float | None) -> Iterator[None]:
    """Yield each time the pipe has something to read, until the deadline."""
    while True:
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            raise TimeoutError
        readable, _, _ = select.select([fd], [], [], remaining)
        if readable:
            yield
