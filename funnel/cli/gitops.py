"""Git as the team's engine: the merge driver git calls for record files, and the hooks that install it."""

from __future__ import annotations

from pathlib import Path

import click

from .. import output
from .base import main
from ..git.merge import merge_driver as merge_record_files


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
    Configured by `funnel hooks install`; by hand:
      git config merge.funnel.driver 'funnel merge-driver %O %A %B %P'
      echo 'deals/*.md merge=funnel' >> .git/info/attributes
    """
    try:
        result = merge_record_files(Path(ancestor), Path(ours), Path(theirs), path, Path.cwd())
    except OSError as exc:
        raise click.ClickException(f"{path}: cannot merge: {exc.strerror or exc}")
    if result.textual:
        output.note(f"funnel merge-driver: {path}: merged as plain text: {result.textual}")
    for name in result.conflicts:
        output.note(f"funnel merge-driver: {path}: conflict in {name}")
    raise SystemExit(1 if result.conflicted else 0)
