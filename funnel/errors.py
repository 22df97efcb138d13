"""The errors a person can cause, as values: each holds one line for the person and knows its exit status.

The CLI maps every FunnelError to click's one line `Error: MESSAGE` (a UsageError: the usage line, then the
message) and its exit code, in one place (cli/base.py, FunnelCommand); nothing else catches them to print.
"""

from __future__ import annotations


class FunnelError(Exception):
    """A refused request or invalid data: one line for the person, exit status 1."""

    exit_code = 1


class UsageError(FunnelError):
    """The command line itself is wrong (a malformed FIELD=VALUE, conflicting flags): exit status 2."""

    exit_code = 2
