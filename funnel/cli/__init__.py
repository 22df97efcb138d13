"""The command line: parse arguments, make one call into the model, print. Nothing else lives here.

`base` holds the group and the options every command shares; each module beside it registers one family of
commands on that group when imported.
"""

from __future__ import annotations

import gc

from . import check, git, reports, views, writing  # noqa: F401  (each registers its commands on `main`)
from .base import main

__all__ = ["main", "run"]


def run() -> None:
    """The console script: one command, one short process that builds many small objects and frees them all
    at exit. The cyclic garbage collector would only rescan them again and again (about a quarter of a warm
    `funnel board` at 10,000 deals), so it is off for the process; tests that call `main` keep it."""
    gc.disable()
    main()
