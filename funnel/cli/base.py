"""The command group and what every command shares: --root, --format, the workspace root, paths for people,
and the one mapping of errors to what a person sees and the exit status."""

from __future__ import annotations

import errno
import os
from datetime import date
from pathlib import Path

import click

from .. import __version__
from ..errors import FunnelError, UsageError
from ..output import terminal_safe


def click_error(exc: BaseException, ctx: click.Context, writes: bool) -> click.ClickException | None:
    """What the person sees for an error a person can cause (click prints it on one line, `Error: …`, and
    exits with its code), or None for a bug, which keeps its traceback."""
    if isinstance(exc, UsageError):
        return click.UsageError(terminal_safe(str(exc)), ctx)  # exit 2, after the command's usage line
    if isinstance(exc, FunnelError):
        from ..model.schema import SchemaError

        message = f"{exc} (run 'funnel check')" if isinstance(exc, SchemaError) else str(exc)
        error = click.ClickException(terminal_safe(message))
        error.exit_code = exc.exit_code
        return error
    if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
        # a read-only workspace, a full disk, an unreadable file; writes are atomic, so a write left nothing
        where = f"{exc.filename}: " if exc.filename else ""
        if not exc.filename and not writes and exc.errno in OUTPUT_ERRORS:
            where = "cannot write the output: "  # a view's only writing is its output
        return click.ClickException(terminal_safe(f"{where}{exc.strerror or exc}")
                                    + ("; nothing was written" if writes else ""))
    return None


OUTPUT_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO)


class FunnelCommand(click.Command):
    """Every funnel command: errors mapped to one line and an exit status by `click_error`, in one place."""

    writes = False  # a command that writes files says so: an OSError then tells that nothing was written

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (FunnelError, OSError) as exc:
            error = click_error(exc, ctx, self.writes)
            if error is None:
                raise
            raise error from None


class WritingCommand(FunnelCommand):
    writes = True


def undecodable_argument(args: list[str]) -> str | None:
    """What names the first argument that was not valid UTF-8 (the shell passes bytes; Python keeps the bad
    ones as lone surrogates, which no file may hold): the field of FIELD=VALUE, the option before a value, or
    the argument itself shown escaped. None when every argument is text."""
    for index, arg in enumerate(args):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            name, sep, _ = arg.partition("=")
            if sep and name.strip() and name.isprintable():
                return name.strip()  # FIELD=VALUE, or --option=VALUE
            if index and args[index - 1].startswith("-"):
                return args[index - 1]
            return f"'{terminal_safe(arg)}'"
    return None


class FunnelGroup(click.Group):
    """The command groups: an argument that is not UTF-8 is refused before any command runs, and click's own
    messages (which may quote what was typed) are made safe for a terminal."""

    command_class = FunnelCommand

    def parse_args(self, ctx, args):
        named = undecodable_argument(list(args))
        if named is not None:
            raise click.UsageError(f"{named}: the value is not valid UTF-8 (check the terminal's or the "
                                   "file's encoding)")
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.ClickException as exc:
            exc.message = terminal_safe(exc.message)
            raise


FunnelGroup.group_class = FunnelGroup


class Context:
    def __init__(self, root_option: str | None):
        self.root_option = root_option

    def root(self) -> Path:
        from ..store.workspace import find_root

        return find_root(explicit=self.root_option)


class DateType(click.ParamType):
    """A date option, YYYY-MM-DD, read as every date funnel reads (files, --set, --where, FUNNEL_TODAY)."""

    name = "date"

    def convert(self, value, param, ctx):
        from ..model.fieldtypes import read_date

        if isinstance(value, date):
            return value
        parsed = read_date(value)
        if parsed is None:
            self.fail(f"'{value}' is not a date YYYY-MM-DD", param, ctx)
        return parsed


DATE = DateType()


def root_option(function):
    return click.option("--root", "root", metavar="DIR", type=click.Path(file_okay=False),
                        help="Workspace root (default: FUNNEL_ROOT, else the nearest directory upwards "
                             "holding schema.yaml).")(function)


def format_option(*choices: str):
    def decorate(function):
        return click.option("--format", "output_format", type=click.Choice(choices), default="text",
                            show_default=True, help="Output format.")(function)
    return decorate


def at_option(function):
    """`--at REV`: a view as committed at REV, read from git objects (see funnel.git.snapshot)."""
    return click.option("--at", "at", metavar="REV",
                        help="The view as committed at REV (a commit, tag, branch, or YYYY-MM-DD: the last commit "
                             "on HEAD before that day ends), read from git; the working tree is not touched. "
                             "Today is the commit's date unless FUNNEL_TODAY is set.")(function)


def shown_path(root: Path, relative: str) -> str:
    """A path for people: relative to the current directory when that is inside the workspace (as git shows
    paths, so an editor opened there can jump to it), else relative to the workspace root."""
    here = Path.cwd().resolve()
    resolved_root = root.resolve()
    if here == resolved_root or not here.is_relative_to(resolved_root):
        return relative
    return os.path.relpath(resolved_root / relative, here)


def _no_pager(ctx, param, value):
    if value:
        from .. import output

        output.allow_pager(False)


@click.group(cls=FunnelGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="funnel")
@click.option("--no-pager", is_flag=True, expose_value=False, is_eager=True, callback=_no_pager,
              help="Never page long output (default on a terminal: FUNNEL_PAGER, else PAGER, else less -FRX).")
def main():
    """funnel: a sales funnel that lives in git.

    Contacts and deals are Markdown files with YAML front matter; schema.yaml declares the pipeline.

    \b
    Example:
      funnel check                 validate the whole workspace
    """
