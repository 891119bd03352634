"""SIGINT, SIGTERM and SIGHUP: what busctl does with them.

Outside a guarded section each ends the command at once (KeyboardInterrupt, so every `finally` runs;
the error boundary exits 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP, as when the terminal or ssh
session closes). Inside `graceful()` the first one only asks the work to stop at the next safe point
(apply: after the batch in flight), and a second one interrupts at once.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Callable, Iterator
from types import FrameType

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}
NAMES = {signal.SIGINT: "SIGINT (Ctrl-C)", signal.SIGTERM: "SIGTERM", signal.SIGHUP: "SIGHUP"}


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised like Ctrl-C so that every `finally` runs."""

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        super().__init__()
        self.signal = signal.Signals(signum)


def _raise_terminated(signum: int, _frame: FrameType | None) -> None:
    raise Terminated(signum)


def install() -> None:
    """Make SIGTERM and SIGHUP unwind like Ctrl-C (only the main thread may set handlers)."""
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGTERM, _raise_terminated)
        if signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN:  # nohup: keep ignoring it
            signal.signal(signal.SIGHUP, _raise_terminated)


def exit_code_of(interrupt: KeyboardInterrupt) -> int:
    """The exit code of the signal behind an interrupt (130 for Ctrl-C)."""
    return EXIT_CODES[interrupt.signal if isinstance(interrupt, Terminated) else signal.SIGINT]


def exit_code(interrupt: KeyboardInterrupt) -> int:
    """Say that the command was interrupted (on stderr); the exit code of its signal."""
    received = interrupt.signal if isinstance(interrupt, Terminated) else signal.SIGINT
    sys.stderr.write("Interrupted.\n" if received is signal.SIGINT else f"Terminated ({received.name}).\n")
    return EXIT_CODES[received]


class StopRequest:
    """The first SIGINT/SIGTERM/SIGHUP received inside `graceful()`, if any."""

    def __init__(self) -> None:
        self.signal: signal.Signals | None = None

    def reason(self) -> str | None:
        return f"interrupted by {NAMES[self.signal]}" if self.signal is not None else None

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.signal] if self.signal is not None else 0

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.signal is not None:
            raise KeyboardInterrupt() if signum == signal.SIGINT else Terminated(signum)
        self.signal = signal.Signals(signum)
        sys.stderr.write(
            f"\n{NAMES[self.signal]}: stopping after the batch in flight (again to stop at once)\n"
        )


@contextlib.contextmanager
def graceful() -> Iterator[StopRequest]:
    """Within the block, SIGINT, SIGTERM and SIGHUP set the StopRequest instead of interrupting."""
    request = StopRequest()
    with _handled_by(request._handle):
        yield request


@contextlib.contextmanager
def deferred() -> Iterator[list[signal.Signals]]:
    """Within the block the signals are only recorded, for code that must not be interrupted while a C
    library runs its Python callbacks (confluent-kafka can lose an exception raised in one). Leaving the
    block, the first one is delivered to the handlers in place before, as if it arrived then."""
    received: list[signal.Signals] = []
    with _handled_by(lambda signum, _frame: received.append(signal.Signals(signum))):
        yield received
    if received:
        signal.raise_signal(received[0])


@contextlib.contextmanager
def _handled_by(handler: Callable[[int, FrameType | None], None]) -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP go to `handler` within the block (SIGHUP not when ignored, as under
    nohup); off the main thread, where handlers cannot be set, nothing changes."""
    previous = {sig: signal.getsignal(sig) for sig in EXIT_CODES}
    try:
        for sig in EXIT_CODES:
            if sig is not signal.SIGHUP or previous[sig] is not signal.SIG_IGN:
                signal.signal(sig, handler)
    except ValueError:  # not the main thread: leave the handlers alone
        yield
        return
    try:
        yield
    finally:
        for sig, previous_handler in previous.items():
            signal.signal(sig, previous_handler)
