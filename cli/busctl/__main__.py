"""Allow `python -m busctl`."""

from busctl.app import main

raise SystemExit(main())
