"""Reviewing the pipeline through git: history, diff, textconv."""

from __future__ import annotations

import sys

import click

from .. import output
from ..errors import FunnelError
from .base import Context, format_option, main, root_option


@main.command()
@click.argument("record_id", metavar="ID")
@root_option
@format_option("text", "json")
def history(record_id, root, output_format):
    """A deal's or contact's timeline, oldest first.

    Its own history entries (every stage change, with its date) merged with every commit that touched its
    file — author, date, subject and the fields it changed old → new — following the file across renames;
    uncommitted changes come last. Outside a git repository only the history entries are shown (and a note
    says why). ID may be any unique prefix of an id; a record removed since is found by its whole id.

    \b
    Examples:
      funnel history d-7k3m
      funnel history d-7k3m9x2q --format json | jq '.entries[] | select(.source == "commit")'
    """
    from ..git.history import history_lines, record_history, removed_record
    from ..store.workspace import WorkspaceError, load_workspace, resolve_id

    workspace = load_workspace(Context(root).root(), cached=True)
    try:
        record = resolve_id(workspace, record_id)
    except WorkspaceError:
        record = removed_record(workspace, record_id)  # a record removed since: its file's last version
        if record is None:
            raise
    result = record_history(workspace, record)
    if result.note and output_format == "json":
        output.note(result.note)
    if output_format == "json":
        output.write_json(result.as_json())
    else:
        output.write_lines(history_lines(result))


@main.command()
@click.argument("revisions", metavar="[REV | A..B | A...B]", required=False)
@click.option("--stat", is_flag=True, help="Print the summary line alone.")
@root_option
@format_option("text", "json")
def diff(revisions, stat, root, output_format):
    """What changed in the pipeline, per record and field, for a review.

    Without REV: the working tree (untracked record files included) against HEAD; REV: REV against the
    working tree; A..B: from A to B; A...B: from where B forked off A to B. Records are grouped by change —
    moved (stage labels), won, lost (reason and comment), new, removed, edited — each with its changed fields
    old → new in the newer schema's labels; a summary line first, with the change in open pipeline value.
    Changes to schema.yaml name the stages, fields, gates and loss reasons added, removed or changed; a file
    that cannot be read on one side is named with its problem.

    \b
    Examples:
      funnel diff
      funnel diff main...my-branch
      funnel diff v2026-Q3..HEAD --stat
    """
    from ..git.diff import diff_lines, pipeline_diff, summary_line

    result = pipeline_diff(Context(root).root(), revisions)
    if output_format == "json":
        data = result.as_json()
        if stat:
            data.pop("records")
        output.write_json(data)
    elif stat:
        output.write_lines([summary_line(result)])
    else:
        output.write_lines(diff_lines(result))


@main.command()
@click.argument("path", type=click.Path(dir_okay=False))
@root_option
def textconv(path, root):
    """A record file as stable "Label: value" lines, for git's textconv.

    One line per field in schema order, list items one per line, the body after a blank line; a file that
    is not a record is printed unchanged. The schema is the one of the workspace it runs in (git hands the
    command a temporary copy of the file).

    \b
    Example (what `git diff` and `git log -p` run once enabled):
      funnel textconv deals/d-7k3m9x2q.md
    Enable it for this clone:
      echo 'contacts/*.md diff=funnel' >> .gitattributes
      echo 'deals/*.md diff=funnel' >> .gitattributes
      git config diff.funnel.textconv 'funnel textconv'
    """
    from ..git.textconv import textconv_lines
    from ..model.schema import load_schema
    from ..store.workspace import find_root

    with open(path, "rb") as handle:
        data = handle.read()
    try:
        schema = load_schema(find_root(explicit=root) / "schema.yaml")
        lines = textconv_lines(data, schema)
    except FunnelError:
        lines = None  # no usable workspace here: git still gets the file as it is
    if lines is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        return
    output.write_lines(lines)
