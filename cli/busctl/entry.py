"""The `busctl` command: an interrupt while busctl is still starting (importing its modules) ends it
as quietly as one later on."""

from __future__ import annotations

import sys

from busctl import collector


def run() -> None:
    try:
        with collector.paused():  # what is imported lives as long as busctl: never worth collecting
            from busctl.app import main
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        raise SystemExit(130) from None
    raise SystemExit(main())
