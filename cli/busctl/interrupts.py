"""SIGINT and SIGTERM: what busctl does with them.

Outside a guarded section both end the command at once (KeyboardInterrupt; the error boundary exits
130 for SIGINT, 143 for SIGTERM). Inside `graceful()` the first one only asks the work to stop at the
next safe point (apply: after the batch in flight), and a second one interrupts at once.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator
from types import FrameType


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every `finally` runs."""


EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}
NAMES = {signal.SIGINT: "SIGINT (Ctrl-C)", signal.SIGTERM: "SIGTERM"}


def _raise_terminated(_signum: int, _frame: FrameType | None) -> None:
    raise Terminated()


def install() -> None:
    """Make SIGTERM unwind like Ctrl-C (only the main thread may set handlers)."""
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGTERM, _raise_terminated)


def exit_code(interrupt: KeyboardInterrupt) -> int:
    """Say that the command was interrupted (on stderr); 143 for SIGTERM, 130 for Ctrl-C."""
    terminated = isinstance(interrupt, Terminated)
    sys.stderr.write("Terminated.\n" if terminated else "Interrupted.\n")
    return 143 if terminated else 130


class StopRequest:
    """The first SIGINT/SIGTERM received inside `graceful()`, if any."""

    def __init__(self) -> None:
        self.signal: signal.Signals | None = None

    def reason(self) -> str | None:
        return f"interrupted by {NAMES[self.signal]}" if self.signal is not None else None

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.signal] if self.signal is not None else 0

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.signal is not None:
            raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()
        self.signal = signal.Signals(signum)
        sys.stderr.write(
            f"\n{NAMES[self.signal]}: stopping after the batch in flight (again to stop at once)\n"
        )


@contextlib.contextmanager
def graceful() -> Iterator[StopRequest]:
    """Within the block, SIGINT and SIGTERM set the StopRequest instead of interrupting."""
    request = StopRequest()
    previous = {sig: signal.getsignal(sig) for sig in EXIT_CODES}
    try:
        for sig in EXIT_CODES:
            signal.signal(sig, request._handle)
    except ValueError:  # not the main thread: leave the handlers alone
        yield request
        return
    try:
        yield request
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
