"""funnel report: funnel, losses, velocity, forecast, payments."""

from __future__ import annotations


import click

from .. import output
from .base import DATE, at_option, format_option, main, root_option
from .views import _view_context, _viewable


# -- reports ----------------------------------------------------------------------------------------------------

@main.command()
@click.argument("name", metavar="REPORT", type=click.Choice(("funnel", "losses", "velocity", "forecast", "payments")))
@click.option("--since", type=DATE, metavar="DATE",
              help="Count only events on or after DATE (YYYY-MM-DD); which events: see above.")
@click.option("--until", type=DATE, metavar="DATE",
              help="Count only events on or before DATE (YYYY-MM-DD).")
@click.option("--owner", metavar="NAME", help="Only the deals of this owner.")
@click.option("--by", "by", metavar="FIELD",
              help="One report per value of a choice or plain string field of the deal or its contact "
                   "(owner, categories, contact.source, contact.client_type); a deal with several "
                   "categories counts in each.")
@at_option
@root_option
@format_option("text", "json", "jsonl", "csv", "tsv")
def report(name, since, until, owner, by, at, root, output_format):
    """Funnel reports: funnel, losses, velocity, forecast, payments.

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

    \b
    What --since/--until filter on (dates inclusive):
      funnel    the first time a deal reached each stage; won/lost: closing
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
    """
    from ..views import report_text
    from ..views.reports import Period, build_report

    period = Period(since, until)
    context = _view_context(root, at)
    data = build_report(name, context.workspace, _viewable(context, "deal"), context.today, period, owner, by)
    if output_format == "json":
        output.write_json(data)
    elif output_format == "text":
        output.write_lines(report_text.text_lines(name, data, output.terminal_width()))
    else:
        rows, columns = report_text.table_rows(name, data)
        output.write_rows(rows, columns, output_format)
