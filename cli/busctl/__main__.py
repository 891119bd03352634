"""Allow `python -m busctl`."""

from busctl.entry import run

run()
