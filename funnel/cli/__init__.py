"""The command line: parse arguments, make one call into the model, print. Nothing else lives here.

`base` holds the group and the options every command shares; each module beside it registers one family of
commands on that group when imported. May import every package of funnel; the only package that imports click.
"""

from __future__ import annotations

import errno
import gc
import os
import sys

from . import check, completion, git, importing, reports, views, writing  # noqa: F401  (each registers its commands on `main`)
from . import gitops  # noqa: F401  (git as the team's engine: hooks, merge-driver)
from .base import main

# after every command is registered: ids, stages, fields and values complete by the parameter's name
completion.attach_completers(main)

__all__ = ["main", "run"]


def run() -> None:
    """The console script: one command, one short process that builds many small objects and frees them all
    at exit. The cyclic garbage collector would only rescan them again and again (about a quarter of a warm
    `funnel board` at 10,000 deals), so it is off for the process; tests that call `main` keep it."""
    gc.disable()
    try:
        main()
        status = 0
    except SystemExit as done:
        status = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except OSError as exc:  # writing the output failed (a full disk), or a file could not be read
        status = _failed(exc)
    try:
        sys.stdout.flush()  # now, so a failure is one line here and not "Exception ignored" at exit
    except OSError as exc:
        status = _failed(exc, reported=status != 0)
    sys.exit(status)


def _failed(exc: OSError, reported: bool = False) -> int:
    """One line for an output or file error (a closed pipe: silence, as for any tool in a pipeline); what was
    left unwritten is dropped so Python does not fail again at exit."""
    from ..output import terminal_safe

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
    if exc.errno == errno.EPIPE or reported:  # a closed pipe, or the failure was told already
        return 1
    where = f"{exc.filename}: " if exc.filename else "cannot write the output: "
    sys.stderr.write(terminal_safe(f"Error: {where}{exc.strerror or exc}") + "\n")
    return 1
