"""Git as the team's engine: the merge driver git calls for record files, and the hooks that install it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import output
from .base import Context, main, root_option


@main.command("merge-driver")
@click.argument("ancestor", type=click.Path(dir_okay=False))
@click.argument("ours", type=click.Path(dir_okay=False))
@click.argument("theirs", type=click.Path(dir_okay=False))
@click.argument("path")
def merge_driver(ancestor, ours, theirs, path):
    """Merge a record file field by field; what git calls as `funnel merge-driver %O %A %B %P`.

    The result is written over OURS. Exit status 1 when a field (or the body) changed differently on both
    sides: that field's lines are left between conflict markers, which `funnel check` reports.

    \b
    Example (what `funnel hooks install` configures; by hand):
      git config merge.funnel.driver 'funnel merge-driver %O %A %B %P'
      echo 'deals/*.md merge=funnel' >> .git/info/attributes
    """
    from ..git.merge import merge_driver as merge_record_files

    result = merge_record_files(Path(ancestor), Path(ours), Path(theirs), path, Path.cwd())
    if result.textual:
        output.note(f"funnel merge-driver: {path}: merged as plain text: {result.textual}")
    for name in result.conflicts:
        output.note(f"funnel merge-driver: {path}: conflict in {name}")
    raise SystemExit(1 if result.conflicted else 0)


@main.group()
def hooks():
    """Git hooks and drivers for this clone: `funnel hooks install`.

    \b
    Example:
      funnel hooks install            # this clone: hooks, drivers, .git/info/attributes
      funnel hooks install --shared   # attributes in the committed .gitattributes instead
    """


@hooks.command("install")
@click.option("--shared", is_flag=True,
              help="Map the record files to the drivers in the workspace's committed .gitattributes, so the whole "
                   "team shares it (each clone still runs `funnel hooks install` to define the drivers).")
@click.option("--uninstall", is_flag=True, help="Take back everything install wrote (a hook that was there "
                                                  "before is put back).")
@root_option
def hooks_install(shared, uninstall, root):
    """Install the pre-commit and pre-merge-commit hooks (`funnel check --staged`), the merge driver for
    record files and the textconv driver for `git diff`, for this clone. Idempotent; a hook already there
    is kept and runs first; `core.hooksPath` is honoured.

    \b
    Examples:
      funnel hooks install
      funnel hooks install --uninstall
    """
    from ..git import hooks as setup

    root_dir = Context(root).root()
    if uninstall:
        report = setup.uninstall(root_dir)
    else:
        report = setup.install(root_dir, [sys.executable, "-m", "funnel"], "textconv" in main.commands, shared)
    output.write_lines(report.changed or ["nothing to change: already " + ("removed" if uninstall else "installed")])
