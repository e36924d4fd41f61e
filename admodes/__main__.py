"""``python -m admodes``: the command line (see ``admodes.cli``)."""

from .cli import main

raise SystemExit(main())
