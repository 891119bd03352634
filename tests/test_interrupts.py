"""Signals inside deferred() wait for the block's end, then reach the handlers that were in place."""

from __future__ import annotations

import os
import signal

import pytest

from busctl import app
from busctl.interrupts import Terminated, deferred, graceful, install


def test_a_ctrl_c_inside_deferred_is_raised_only_when_the_block_ends() -> None:
    reached_the_end = False
    with pytest.raises(KeyboardInterrupt), deferred() as received:
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGINT)  # a second one adds nothing
        reached_the_end = True
        assert received[0] is signal.SIGINT
    assert reached_the_end
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_sigterm_inside_deferred_ends_as_terminated() -> None:
    install()
    with pytest.raises(Terminated) as raised, deferred():
        os.kill(os.getpid(), signal.SIGTERM)
    assert raised.value.signal is signal.SIGTERM


def test_deferred_inside_graceful_hands_the_signal_to_graceful() -> None:
    with graceful() as request:
        with deferred():
            os.kill(os.getpid(), signal.SIGINT)
        assert request.signal is signal.SIGINT  # stop at the next safe point, nothing raised


def test_no_signal_no_effect() -> None:
    with deferred() as received:
        pass
    assert received == []


def test_an_interrupt_while_a_command_is_imported_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(name: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(app.importlib, "import_module", interrupted)
    assert app.main(["plan", "--cluster", "local"]) == 130
    assert capsys.readouterr().err == "Interrupted.\n"
