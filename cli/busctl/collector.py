"""Python's cycle collector, kept out of bulk work that builds many objects but no reference cycles."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No cycle collection inside: each one rescans every tracked object, and loading a bus or reading
    a cluster builds hundreds of thousands (freed by reference counting, or kept to the end). Afterwards
    what exists is frozen (kept out of later collections: it lives as long as the command) and the
    collector runs again if it was on."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()
