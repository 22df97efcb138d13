"""The reading commands for people and pipelines: show, list, board."""

from __future__ import annotations


import click

from .. import output
from .base import Context, at_option, format_option, main, root_option, shown_path


# -- views: show, list, board; init ----------------------------------------------------------------------------

WHERE_HELP = ("A condition FIELD OP VALUE, OP one of = != < <= > >= (repeatable, all must hold): typed by the "
              "field ('amount>=1000000', 'created<2026-04-01': quote < and > from the shell); stage and choices "
              "follow the schema's order ('stage>=contract'); on a multi-choice field = means contains "
              "(categories=small); an empty VALUE "
              "means empty (next_action_due=); contact.FIELD reads a deal's contact (contact.source=exhibition).")


def _view_context(root, at: str | None = None, record_id: str | None = None):
    """What every view (board, list, show, report) starts from: the working tree's workspace with today's date
    (FUNNEL_TODAY in tests); `at` (--at REV, `at_option`): as committed at that revision, today being the
    commit's date unless FUNNEL_TODAY says otherwise; `record_id`: only what showing that record needs."""
    root_dir = Context(root).root()
    if at is None:
        from ..views.query import open_view

        return open_view(root_dir, record_id)
    from ..git.snapshot import view_at  # git only when asked: a plain view never pays for it

    return view_at(root_dir, at)


def _note_skipped(context, kind: str) -> None:
    """What a view of `kind` does not show, on stderr: folders it could not read (a link out of the
    workspace, no permission), and how many files it skipped as invalid (a deal view reads contacts too),
    saying when an id was shared by files (counted in none of them) or was not the file's name."""
    workspace = context.workspace
    for stray in workspace.strays:
        output.note(f"{shown_path(workspace.root, stray.path)}: {stray.message}; not read")
    _, skipped = workspace.viewable(None if kind == "deal" else kind)
    if skipped:
        shared, renamed = workspace.unowned_ids(skipped)
        why = "".join([f"; {shared} share an id with another file (counted in none)" if shared else "",
                       f"; {renamed} hold an id that is not their file name" if renamed else ""])
        output.note(f"{output.plural(len(skipped), 'file')} skipped (invalid{why}); run 'funnel check'")


def _viewable(context, kind: str) -> list:
    """The valid records of `kind`; what the view skips is said on stderr."""
    from ..views.query import viewable

    shown, _ = viewable(context, kind)
    _note_skipped(context, kind)
    return shown


@main.command()
@click.argument("record_id", metavar="ID")
@click.option("--all", "show_all", is_flag=True, help="Every field of the schema, not only the card's.")
@at_option
@root_option
@format_option("text", "json")
def show(record_id, show_all, at, root, output_format):
    """The card of a deal or contact: the fields in use at its stage, with labels, then its notes.

    A field not yet relevant at the deal's stage is left out; a relevant one still empty shows as "—". A
    contact's card lists its deals. ID may be any unique prefix of an id. JSON holds every field the record
    has, whatever --all says.

    \b
    Examples:
      funnel show d-7k3m
      funnel show c-4f8h --all
      funnel show d-7k3m9x2q --format json | jq .amount
    """
    from ..views.cards import card_lines
    from ..model.records import record_data
    from ..store.workspace import resolve_id

    context = _view_context(root, at, record_id)
    workspace = context.workspace
    record = resolve_id(workspace, record_id)
    if any(problem.severity == "error" for problem in record.problems):
        path = shown_path(workspace.root, record.path)
        output.note(f"{path}: invalid, some values are not shown; run 'funnel check {path}'")
    if output_format == "json":
        output.write_json(record_data(record, workspace.schema))
        return
    if record.kind == "contact":
        _viewable(context, "deal")
    output.write_lines(card_lines(record, workspace, context.today, show_all, context.record_body(record)))


@main.command("list")
@click.argument("kind", type=click.Choice(["deals", "contacts"]))
@click.option("--where", "conditions", multiple=True, metavar="COND", help=WHERE_HELP)
@click.option("--fields", metavar="A,B", help="Columns to print, in order: fields, contact.FIELD, or computed "
                                             "client, days_in_stage, stale_days, overdue_days.")
@click.option("--owner", metavar="NAME", help="Only deals of this owner (same as --where owner=NAME).")
@click.option("--stale", is_flag=True, help="Only deals past their stage's rot_days, with the days over.")
@click.option("--due", is_flag=True, help="Only deals whose next_action_due has passed, with the days over.")
@click.option("--no-headers", is_flag=True, help="No header row (text, csv, tsv).")
@click.option("--body", is_flag=True, help="json, jsonl: each record's Markdown body as the key `body` "
                                          "(what `funnel import` reads back).")
@click.option("--excel-safe", is_flag=True, help="csv, tsv: prefix cells starting with = + - @ tab or CR with ' "
                                                "so a spreadsheet never runs them (alters such values).")
@at_option
@root_option
@format_option(*output.ROW_FORMATS)
def list_records(kind, conditions, fields, owner, stale, due, no_headers, body, excel_safe, at, root, output_format):
    """Deals or contacts as rows, for people and for pipelines.

    Stdout carries the rows only; notes (skipped invalid files) go to stderr. JSON and JSONL hold each
    record as `show --format json` does (only the --fields when given). Filters combine: every one must hold.

    \b
    Examples:
      funnel list deals --where 'stage>=contract' --where 'amount>=1000000'
      funnel list deals --where contact.source=exhibition --fields id,title,amount --format csv
      funnel list deals --stale
      funnel list deals --due --owner ivanov
      funnel list contacts --where company= --format jsonl
      funnel list deals --format jsonl --body > deals.jsonl
      funnel list deals --format csv --excel-safe > deals.csv
    """
    from ..views.listing import list_records

    if body and output_format not in ("json", "jsonl"):
        raise click.UsageError("--body goes with --format json or jsonl")
    if excel_safe and output_format not in ("csv", "tsv"):
        raise click.UsageError("--excel-safe goes with --format csv or tsv")
    context = _view_context(root, at)
    listing = list_records(context, kind[:-1], conditions, fields, owner, stale, due,
                           whole=output_format in ("json", "jsonl"), body=body)
    _note_skipped(context, kind[:-1])
    for note in listing.notes:
        output.note(note)
    if not listing.rows and output_format == "text":
        output.note(f"no {kind} to list")
        return
    output.write_rows(listing.rows, listing.names, output_format, headers=not no_headers, whole_json=listing.whole,
                      labels={"days_in_stage": "days"}, right_aligned=listing.right_aligned, excel_safe=excel_safe)


@main.command()
@click.option("--all", "show_all", is_flag=True, help="Also the won and lost columns.")
@click.option("--owner", metavar="NAME", help="Only deals of this owner.")
@click.option("--where", "conditions", multiple=True, metavar="COND", help=WHERE_HELP)
# the board's default, views.board.CARD_LIMIT, spelt here so that `funnel --help` imports no model
# (tests/test_board.py keeps the two equal)
@click.option("--limit", type=click.IntRange(min=0), default=20, show_default=True, metavar="N",
              help="Text: at most N cards per column, the longest in stage first (0: all). Counts and sums "
                   "always cover every deal; JSON always lists every deal.")
@at_option
@root_option
@format_option("text", "json")
def board(show_all, owner, conditions, limit, at, root, output_format):
    """The kanban of current deals: per active stage the count, the amount and the cards.

    Won and lost deals appear only with --all (as two more columns).

    Each card: id, title, company (or contact name), amount, days in stage, and "stale" (past the stage's
    rot_days) or "overdue" (past next_action_due) marks. The layout fits the terminal (COLUMNS): columns side
    by side when wide, one section per stage when narrow. Colour only on a terminal, never with NO_COLOR.

    \b
    Examples:
      funnel board
      funnel board --owner ivanov --where 'amount>=1000000'
      funnel board --all --format json
    """
    from ..views.board import board_json, build_board, render_board
    from ..views.query import select, unmatched_notes, view_conditions

    context = _view_context(root, at)
    wheres = view_conditions(context.schema, "deal", conditions, owner)
    shown = _viewable(context, "deal")
    deals = select(shown, wheres, context)
    for note in unmatched_notes(wheres, shown, context, "deal") if not deals else ():
        output.note(note)
    columns = build_board(deals, context, include_closed=show_all)
    if output_format == "json":
        output.write_json(board_json(columns))
    else:
        colour = output.colour_enabled()
        # the board's layout made every value terminal_safe; what is left raw is its own colour codes
        output.write_lines(render_board(columns, output.terminal_width(), colour, limit), styled=colour)
