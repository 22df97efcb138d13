"""funnel report: funnel, losses, velocity, forecast, payments, and all of them as one HTML page."""

from __future__ import annotations


import click

from .. import output
from .base import DATE, at_option, format_option, main, root_option
from .views import _view_context, _viewable


# -- reports ----------------------------------------------------------------------------------------------------

@main.command()
@click.argument("name", metavar="REPORT",
                type=click.Choice(("funnel", "losses", "velocity", "forecast", "payments", "html")))
@click.option("--since", type=DATE, metavar="DATE",
              help="Count only events on or after DATE (YYYY-MM-DD); which events: see above.")
@click.option("--until", type=DATE, metavar="DATE",
              help="Count only events on or before DATE (YYYY-MM-DD).")
@click.option("--owner", metavar="NAME", help="Only the deals of this owner.")
@click.option("--by", "by", metavar="FIELD",
              help="One report per value of a choice or plain string field of the deal or its contact "
                   "(owner, categories, contact.source, contact.client_type); a deal with several "
                   "categories counts in each.")
@click.option("-o", "--output", "output_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="html: write the page to FILE (replaced atomically) instead of stdout.")
@at_option
@root_option
@format_option("text", "json", "jsonl", "csv", "tsv")
def report(name, since, until, owner, by, output_file, at, root, output_format):
    """Funnel reports: funnel, losses, velocity, forecast, payments; html: all of them and the board as a page.

    \b
      funnel    per stage: deals that reached it, conversion from the previous
                stage and from the first, open deals and amount now; won, lost,
                win rate = won / (won + lost); a chart of the funnel
      losses    lost deals by reason, by the stage they were lost at, and both,
                with shares and amounts; how many the finance/legal check banned
      velocity  median and mean days in each stage (completed visits; the open
                visit of each deal shown apart), cycle time first stage → won
      forecast  open amount per stage weighted by the stage's probability
      payments  prepayment invoices not paid and final payments awaited, with
                amounts and days waiting, oldest first; totals
      html      one self-contained page (no network, no script) with the board
                and every report above, each deal on the board linked to its
                card; --since/--until/--owner/--at apply as they do above

    \b
    What --since/--until filter on (dates inclusive):
      funnel    a cohort: the deals that entered the funnel in the period,
                followed to today (every stage they reached, won or lost
                since), so no conversion exceeds 100%; "open now" is a
                snapshot of them today
      losses    closing as lost
      velocity  entering a stage; cycle time: winning
      payments  falling due: entering the invoicing stage (prepayment) or the
                final-payment stage (final payment)
      forecast  nothing: a snapshot of open deals now (no period allowed)

    json prints all of it (with --by: the report of all deals plus "groups", one report per value); csv, tsv and
    jsonl print the report's main table (with --by: a first column holding the group's value).

    \b
    Examples:
      funnel report funnel --since 2026-01-01 --until 2026-03-31
      funnel report losses --by owner --format json
      funnel report payments --format csv > awaited.csv
      funnel report html -o pipeline.html
    """
    from ..views import report_text
    from ..views.reports import Period, build_report

    period = Period(since, until)
    if name == "html":
        return html_report(period, owner, by, output_file, at, root, output_format)
    if output_file is not None:
        raise click.UsageError("-o FILE is for report html; redirect the output of the other reports")
    context = _view_context(root, at)
    data = build_report(name, context.workspace, _viewable(context, "deal"), context.today, period, owner, by)
    if output_format == "json":
        output.write_json(data)
    elif output_format == "text":
        output.write_lines(report_text.text_lines(name, data, output.terminal_width()))
    else:
        rows, columns = report_text.table_rows(name, data)
        output.write_rows(rows, columns, output_format)


def html_report(period, owner, by, output_file, at, root, output_format):
    """`report html`: the page to stdout, or to FILE by an atomic replace (a reader never sees half a page)."""
    from datetime import datetime

    from ..git.describe import describe
    from ..store.atomic import atomic_write
    from ..views.html import PageMeta, build_page

    if by is not None:
        raise click.UsageError("report html takes no --by")
    if output_format != "text":
        raise click.UsageError("report html is HTML; it takes no --format")
    context = _view_context(root, at)
    root_dir = context.workspace.root
    commit = context.snapshot.commit if at is not None else None
    meta = PageMeta(root_dir.resolve().name, describe(root_dir, commit), datetime.now().astimezone())
    page = build_page(context, _viewable(context, "deal"), meta, period, owner)
    if output_file is None:
        output.write_document(page)
    else:
        try:
            atomic_write(output_file, page.encode("utf-8"))
        except OSError as exc:  # name the file asked for, not the temporary file beside it
            raise OSError(exc.errno, exc.strerror, output_file) from None
