"""The pipeline as one self-contained HTML page, for the person who would rather look than read.

The page lays out the very data the other views compute — `build_board` for the board, `build_report` for the
funnel, losses, velocity, forecast and payments, `card_entries` for each deal's card as `funnel show` prints it —
and computes nothing of its own. It is one file with no network at all: inline CSS, inline SVG bars, no script,
no web fonts (a system font stack with Cyrillic glyphs), and a Content-Security-Policy that forbids loading
anything, so even a value that escaped escaping could not fetch or run. Every value from the workspace passes
through `html.escape`.

At 10,000 deals it stays small and usable: a board column shows the same cards the text board does (the
longest in stage first, CARD_LIMIT of them, then "+N more"), and only the deals shown get a card section.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from html import escape
from typing import Iterable

from ..model.gates import GateContext
from ..model.records import Record
from ..model.fieldtypes import grouped_amount as format_amount
from ..output import plural, terminal_safe
from .board import CARD_LIMIT, OVERDUE_STYLE, STALE_STYLE, BoardColumn, build_board, footer, more_line, visible
from .cards import body_lines, card_entries
from .html_style import STYLESHEET
from .query import QueryError, ViewContext, owner_condition, select, viewable
from .report_text import days, funnel_heading, percent, period_text
from .reports import REPORT_NAMES, Period, ReportError, build_reports
from ..valueclass import valueclass

# nothing may be loaded from anywhere: styles are inline, pictures are inline SVG, there is no script
CONTENT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
TABLE_LIMIT = 50  # rows of a list that grows with the workspace (payments awaited): the oldest, then "+N more"
MARK_CLASSES = {STALE_STYLE: "stale", OVERDUE_STYLE: "overdue"}
EMPTY = "—"


@valueclass(frozen=True)
class PageMeta:
    """What the header says besides the data: where the page comes from and when it was made."""

    workspace_name: str
    revision: str | None  # `git describe` of the revision shown; None outside a repository
    made: datetime


def e(value: object) -> str:
    """Any value as HTML text: escaped, quotes included, so it is safe in text and in attributes alike; control
    characters, bidi overrides and undecodable bytes shown escaped as the terminal shows them (`\\x1b`,
    `\\u202e`), so a title cannot reorder the text around it and the page is always valid UTF-8."""
    return escape(terminal_safe(value if isinstance(value, str) else str(value)), quote=True)


def amount(value: Decimal | None) -> str:
    return e(format_amount(value))


def deal_anchor(deal_id: str) -> str:
    # prefixed, so a deal whose id is "board" or "losses" cannot take a section's anchor
    return f"deal-{deal_id}"


def build_page(context: ViewContext, deals: list[Record], meta: PageMeta, period: Period = Period(),
               owner: str | None = None) -> str:
    """The whole page for `deals` (the viewable ones of the context's workspace, working tree or a commit): the
    board and the reports now, the reports that count events over `period`, all for one `owner` when given."""
    workspace, today = context.workspace, context.today
    if owner is not None:
        try:
            deals = select(deals, [owner_condition(workspace.schema, owner)], context)
        except QueryError as exc:
            raise ReportError(f"--owner: {exc}") from None
    columns = build_board(deals, context)
    reports = build_reports(REPORT_NAMES, workspace, deals, today, period)
    shown_ids = [card.id for column in columns for card in visible(column, CARD_LIMIT)]
    for part in ("prepayments", "final_payments"):
        shown_ids += [row["deal"] for row in reports["payments"][part]["deals"][:TABLE_LIMIT]]
    by_id = {deal.id: deal for deal in deals}
    carded = [by_id[deal_id] for deal_id in dict.fromkeys(shown_ids) if deal_id in by_id]
    linked = {deal.id for deal in carded}
    _, skipped = viewable(context, "deal")

    parts = [
        header(meta, today, period, owner, skipped),
        navigation(),
        '<main>',
        board_section(columns, linked),
        '<div class="reports">',
        funnel_section(reports["funnel"]),
        losses_section(reports["losses"]),
        velocity_section(reports["velocity"]),
        forecast_section(reports["forecast"]),
        payments_section(reports["payments"], linked),
        '</div>',
        cards_section(carded, context),
        '</main>',
    ]
    return document(f"Pipeline · {meta.workspace_name}", parts)


def document(title: str, parts: Iterable[str]) -> str:
    return "\n".join([
        '<!DOCTYPE html>',
        '<html lang="en">',
        '<head>',
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{e(CONTENT_POLICY)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="color-scheme" content="light">',
        f'<title>{e(title)}</title>',
        f'<style>{STYLESHEET}</style>',
        '</head>',
        '<body>',
        *parts,
        '</body>',
        '</html>',
    ]) + "\n"


# -- header and navigation -----------------------------------------------------------------------------------

def header(meta: PageMeta, today: date, period: Period, owner: str | None, skipped: int) -> str:
    facts = [("Workspace", meta.workspace_name),
             ("Revision", meta.revision or "not in a git repository"),
             ("Period", period_text(period.as_json(), "events")
              + ("" if period.unbounded else " (the board and the forecast: now)")),
             ("As of", today.isoformat()),
             ("Made", meta.made.isoformat(sep=" ", timespec="minutes"))]
    if owner is not None:
        facts.insert(3, ("Owner", owner))
    items = "".join(f'<div><dt>{e(label)}</dt><dd>{e(value)}</dd></div>' for label, value in facts)
    warning = ""
    if skipped:
        warning = (f'<p class="warning" role="alert">{e(plural(skipped, "file"))} skipped as invalid: '
                   f'not counted anywhere on this page. Run <code>funnel check</code>.</p>')
    return f'<header><h1>Sales pipeline</h1><dl class="facts">{items}</dl>{warning}</header>'


SECTIONS = (("board", "Board"), ("funnel", "Funnel"), ("losses", "Losses"), ("velocity", "Velocity"),
            ("forecast", "Forecast"), ("payments", "Payments"), ("cards", "Deal cards"))


def navigation() -> str:
    links = "".join(f'<li><a href="#{anchor}">{e(label)}</a></li>' for anchor, label in SECTIONS)
    return f'<nav aria-label="Sections"><ul>{links}</ul></nav>'


# -- the board -------------------------------------------------------------------------------------------------

def board_section(columns: list[BoardColumn], linked: set[str]) -> str:
    summary = footer(columns, width=10_000)[0]
    out = ['<section id="board" aria-labelledby="board-h">',
           f'<h2 id="board-h">Board of open deals</h2><p class="lead">{e(summary)} · the longest in stage first'
           f'{e(f", at most {CARD_LIMIT} per stage")}</p>',
           '<div class="board">']
    for column in columns:
        out.append(f'<section class="column" data-stage="{e(column.stage.id)}" data-count="{column.count}" '
                   f'aria-label="{e(column.stage.label)}">')
        out.append(f'<h3>{e(column.stage.label)}</h3>'
                   f'<p class="colsum"><span class="count">{e(plural(column.count, "deal"))}</span>'
                   f'<span class="num">{amount(column.amount)}</span></p>')
        cards = visible(column, CARD_LIMIT)
        if cards:
            out.append('<ol class="cards">')
            for card in cards:
                title = e(card.title or EMPTY)
                if card.id in linked:
                    title = f'<a href="#{e(deal_anchor(card.id))}">{title}</a>'
                marks = "".join(f'<span class="mark {MARK_CLASSES.get(style, "")}">{e(text)}</span>'
                                for text, style in card.marks())
                days_in = "" if card.days_in_stage is None else f'{card.days_in_stage} d in stage'
                out.append(
                    f'<li class="card"><p class="title">{title}</p>'
                    + (f'<p class="client">{e(card.client)}</p>' if card.client else '')
                    + f'<p class="row"><span class="num amount">{amount(card.amount)}</span>'
                      f'<span class="days">{e(days_in)}</span></p>'
                    + f'<p class="row"><span class="id">{e(card.id)}</span>{marks}</p></li>')
            out.append('</ol>')
        more = more_line(column, CARD_LIMIT)
        if more:
            out.append(f'<p class="more">{e(more)}: <code class="nowrap">funnel board --limit 0</code></p>')
        out.append('</section>')
    out.append('</div></section>')
    return "\n".join(out)


# -- the funnel --------------------------------------------------------------------------------------------------

def funnel_section(data: dict) -> str:
    stages = data["stages"]
    top = max((row["reached"] for row in stages), default=0)
    rows = []
    for row in stages:
        share = row["reached"] / top if top else 0
        width = round(share * 100, 2)
        optional = row["optional"]
        conversion = "" if row["conversion"] is None else percent(row["conversion"])
        bar = (f'<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">'
               f'<rect x="{(100 - width) / 2:g}" y="0" width="{width:g}" height="10"/></svg>')
        label = e(row["label"]) + (' <small>optional</small>' if optional else '')
        rows.append(f'<li class="{"stage optional" if optional else "stage"}" data-stage="{e(row["stage"])}">'
                    f'<span class="name">{label}</span>{bar}'
                    f'<span class="num reached">{row["reached"]}</span>'
                    f'<span class="num conv" title="conversion from the previous stage">{e(conversion)}</span>'
                    f'</li>')
    notes = []
    if any(row["optional"] for row in stages):
        notes.append('<p class="note">An optional stage (drawn apart, dashed) counts only the deals that went '
                     'through it; the next stage\'s conversion is from the stage before it.</p>')
    tiles = [("Won", str(data["won"]), format_amount(data["won_amount"])),
             ("Lost", str(data["lost"]), format_amount(data["lost_amount"])),
             ("Win rate", percent(data["win_rate"]), "won / (won + lost)"),
             ("Open now", str(data["open"]), format_amount(data["open_amount"]))]
    return "\n".join([
        '<section id="funnel" aria-labelledby="funnel-h">',
        f'<h2 id="funnel-h">Funnel</h2><p class="lead">{e(funnel_heading(data))}. Bars: how many reached '
        f'each stage; beside them the conversion from the stage before.</p>',
        f'<div class="funnelwrap"><div class="tiles">{"".join(tile(*item) for item in tiles)}</div>',
        '<ol class="funnel" aria-label="Deals that reached each stage">',
        '<li class="head" aria-hidden="true"><span class="name">stage</span><span></span>'
        '<span class="num">reached</span><span class="num">conversion</span></li>',
        *rows,
        '</ol></div>',
        *notes,
        '</section>',
    ])


def tile(label: str, value: str, detail: str) -> str:
    return (f'<div class="tile"><span class="tlabel">{e(label)}</span><span class="tvalue">{e(value)}</span>'
            f'<span class="tdetail">{e(detail)}</span></div>')


# -- losses ------------------------------------------------------------------------------------------------------

def ban_sentence(data: dict) -> str | None:
    """The customer's question — how many deals fail because of the finance ban — answered in words."""
    banned = data["banned"]
    if banned is None:
        return None
    label = banned["label"]
    if not banned["lost"]:
        return f"{label}: no deals, {period_text(data, 'closed')}."
    of_losses = f"{percent(banned['share_of_lost'])} of all {plural(data['lost'], 'lost deal')}"
    if banned["stage"] is None:
        return f"{label}: {plural(banned['lost'], 'deal')}, {of_losses}."
    at_stage = (f"{percent(banned['share'])} of the {plural(banned['reached'], 'deal')} that reached "
                f"{stage_label(data, banned['stage'])}")
    if banned["at_stage"] == banned["lost"]:
        return f"{label}: {plural(banned['lost'], 'deal')} — {at_stage}, and {of_losses}."
    return f"{label}: {plural(banned['lost'], 'deal')}, {of_losses}; {banned['at_stage']} of them {at_stage}."


def stage_label(data: dict, stage_id: str) -> str:
    return next((row["label"] for row in data["stages"] if row["stage"] == stage_id), stage_id)


def losses_section(data: dict) -> str:
    reasons = data["reasons"]
    top = max((count for stage in data["by_stage"].values() for count in stage.values()), default=0)
    head = "".join(f'<th scope="col" class="reason"><span>{e(row["label"])}</span></th>' for row in reasons)
    body = []
    for row in data["stages"]:
        cells = []
        for reason in reasons:
            count = data["by_stage"][row["stage"]].get(reason["reason"], 0)
            cells.append(heat_cell(count, top))
        body.append(f'<tr><th scope="row">{e(row["label"])}</th>{"".join(cells)}'
                    f'<td class="num total">{row["lost"]}</td><td class="num">{e(percent(row["loss_rate"]))}</td>'
                    f'<td class="num">{amount(row["amount"])}</td></tr>')
    totals = "".join(f'<td class="num">{row["lost"]}</td>' for row in reasons)
    sentence = ban_sentence(data)
    return "\n".join([
        '<section id="losses" aria-labelledby="losses-h">',
        f'<h2 id="losses-h">Losses</h2><p class="lead">{e(plural(data["lost"], "deal"))} lost '
        f'({amount(data["amount"])}), {e(period_text(data, "closed"))}, by the stage they were lost at and '
        f'the reason; the darker the cell, the more deals.</p>',
        f'<p class="headline">{e(sentence)}</p>' if sentence else '',
        '<div class="scroll"><table class="heat">',
        f'<thead><tr><th scope="col">lost at</th>{head}<th scope="col" class="num">lost</th>'
        f'<th scope="col" class="num">of reached</th><th scope="col" class="num">amount</th></tr></thead>',
        '<tbody>', *body, '</tbody>',
        f'<tfoot><tr><th scope="row">all stages</th>{totals}<td class="num total">{data["lost"]}</td><td></td>'
        f'<td class="num">{amount(data["amount"])}</td></tr></tfoot>',
        '</table></div>',
        heat_list(data, top),
        '</section>',
    ])


def heat_list(data: dict, top: int) -> str:
    """The heat table's non-empty rows as a list, for a phone, where nine columns do not fit."""
    labels = {row["reason"]: row["label"] for row in data["reasons"]}
    items = []
    for row in data["stages"]:
        if not row["lost"]:
            continue
        reasons = "".join(f'<li class="heat{" hot" if count / top > 0.55 else ""}" style="--heat:{count / top:.2f}">'
                          f'{e(labels.get(reason, reason))}: {count}</li>' for reason, count in row["by_reason"].items())
        items.append(f'<li><p><strong>{e(row["label"])}</strong>: {row["lost"]} lost, '
                     f'{e(percent(row["loss_rate"]))} of reached, {amount(row["amount"])}</p><ul>{reasons}</ul></li>')
    return f'<ul class="heatlist">{"".join(items)}</ul>' if items else ""


def heat_cell(count: int, top: int) -> str:
    if not count:
        return '<td class="num heat0">·</td>'
    heat = count / top
    hot = " hot" if heat > 0.55 else ""
    return f'<td class="num heat{hot}" style="--heat:{heat:.2f}">{count}</td>'


# -- velocity, forecast, payments -------------------------------------------------------------------------

def table(caption: str, headers: list[tuple[str, str]], rows: list[list[str]], foot: list[str] | None = None,
          css: str = "") -> str:
    """A table of already-escaped cells; `headers` are (text, class) pairs: "num" right-aligns a column of
    numbers, "nowrap" keeps ids and dates on one line. At phone width each row becomes a small block: its
    first cell a heading, the others "label: value" (the stylesheet's `stack`)."""
    def attribute(kind: str) -> str:
        return f' class="{kind}"' if kind else ""

    head = "".join(f'<th scope="col"{attribute(kind)}>{e(text)}</th>' for text, kind in headers)

    def cells(row: list[str]) -> str:
        return "".join(f'<td{attribute(kind)} data-label="{e(text)}">{cell}</td>'
                       for cell, (text, kind) in zip(row, headers))

    body = "".join(f"<tr>{cells(row)}</tr>" for row in rows)
    tail = f"<tfoot><tr>{cells(foot)}</tr></tfoot>" if foot else ""
    return (f'<div class="scroll"><table class="{e(" ".join(["stack", css]).strip())}"><caption>{e(caption)}</caption>'
            f'<thead><tr>{head}</tr></thead><tbody>{body}</tbody>{tail}</table></div>')


def velocity_section(data: dict) -> str:
    longest = max((row["median_days"] or 0 for row in data["stages"]), default=0)
    rows = []
    for row in data["stages"]:
        width = (row["median_days"] or 0) / longest * 100 if longest else 0
        bar = (f'<svg class="minibar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">'
               f'<rect width="{width:.1f}" height="10"/></svg>')
        rows.append([e(row["label"]), str(row["visits"]), f'{e(days(row["median_days"]))}{bar}',
                     e(days(row["mean_days"])), str(row["open"]), e(days(row["open_median_days"]))])
    cycle = data["cycle"]
    cycle_text = (f"Cycle time {cycle['from']} → {cycle['to']}: {plural(cycle['deals'], 'won deal')}, "
                  f"median {days(cycle['median_days'])} days, mean {days(cycle['mean_days'])} days.")
    return "\n".join([
        '<section id="velocity" aria-labelledby="velocity-h">',
        f'<h2 id="velocity-h">Velocity</h2><p class="lead">Days in each stage: completed visits, '
        f'{e(period_text(data, "entered"))}; open: the deals there now, days so far.</p>',
        table("Days in stage", [("stage", ""), ("visits", "num"), ("median days", "num"), ("mean days", "num"),
                                ("open now", "num"), ("open median", "num")], rows, css="velocity"),
        f'<p class="headline">{e(cycle_text)}</p>',
        '</section>',
    ])


def forecast_section(data: dict) -> str:
    rows = [[e(row["label"]), str(row["count"]), amount(row["amount"]), e(f"{row['probability'] * 100:g}%"),
             amount(row["weighted"])] for row in data["stages"]]
    foot = ["total", str(data["count"]), amount(data["amount"]), "", amount(data["weighted"])]
    note = (f'<p class="note">{e(plural(data["unpriced"], "open deal"))} without an amount counted as 0.</p>'
            if data["unpriced"] else "")
    return "\n".join([
        '<section id="forecast" aria-labelledby="forecast-h">',
        f'<h2 id="forecast-h">Forecast</h2><p class="lead">Open deals on {e(data["today"].isoformat())}, each '
        f'stage\'s amount weighted by its win probability: <strong>{amount(data["weighted"])}</strong> expected '
        f'of {amount(data["amount"])} open.</p>',
        table("Weighted forecast", [("stage", ""), ("deals", "num"), ("amount", "num"), ("probability", "num"),
                                    ("weighted", "num")], rows, foot),
        note,
        '</section>',
    ])


def payments_section(data: dict, linked: set[str]) -> str:
    def deal_cell(row: dict) -> str:
        text = e(row["deal"])
        return f'<a href="#{e(deal_anchor(row["deal"]))}">{text}</a>' if row["deal"] in linked else text

    def since(row: dict) -> str:
        return e(row["since"].isoformat() if row["since"] else EMPTY)

    def waiting(row: dict) -> str:
        return e(EMPTY if row["days"] is None else row["days"])

    pre, final = data["prepayments"], data["final_payments"]
    pre_rows = [[deal_cell(row), e(row["client"] or ""), e(row["title"] or ""), e(row["invoice"] or ""),
                 amount(row["amount"]), since(row), waiting(row)] for row in pre["deals"][:TABLE_LIMIT]]
    final_rows = [[deal_cell(row), e(row["client"] or ""), e(row["title"] or ""), amount(row["amount"]),
                   since(row), waiting(row)] for row in final["deals"][:TABLE_LIMIT]]
    headers = [("deal", "nowrap"), ("client", ""), ("title", ""), ("amount", "num"), ("since", "nowrap"),
               ("days", "num")]
    due = "" if data["since"] is None and data["until"] is None else f", {period_text(data, 'falling due')}"
    return "\n".join([
        '<section id="payments" aria-labelledby="payments-h">',
        f'<h2 id="payments-h">Payments awaited</h2><p class="lead">On {e(data["today"].isoformat())}{e(due)}: '
        f'{plural(data["count"], "deal")}, <strong>{amount(data["amount"])}</strong>; oldest first, days since the deal entered '
        f'the stage.</p>',
        table(f"Prepayment invoices not paid: {plural(pre['count'], 'deal')}, {format_amount(pre['amount'])}",
              headers[:3] + [("invoice", "nowrap")] + headers[3:], pre_rows, css="payments"),
        more_rows(pre["count"]),
        table(f"Final payments awaited: {plural(final['count'], 'deal')}, {format_amount(final['amount'])}",
              headers, final_rows, css="payments"),
        more_rows(final["count"]),
        '</section>',
    ])


def more_rows(count: int) -> str:
    hidden = count - TABLE_LIMIT
    if hidden <= 0:
        return ""
    return f'<p class="more">+{hidden} more, newer: <code class="nowrap">funnel report payments</code></p>'


# -- deal cards ------------------------------------------------------------------------------------------------

def cards_section(deals: list[Record], context: ViewContext) -> str:
    out = ['<section id="cards" aria-labelledby="cards-h">',
           '<h2 id="cards-h">Deal cards</h2><p class="lead">Each deal on the board, as <code>funnel show</code> '
           'prints it: the fields in use at its stage.</p>', '<div class="deals">']
    gates = GateContext.of(context.workspace)  # one for every card: it indexes every deal's counterparty
    for deal in deals:
        entries = "".join(
            f'<div><dt>{e(label)}</dt><dd>{"<br>".join(e(line) for line in lines)}</dd></div>'
            for label, lines in card_entries(deal, context.workspace, context.today, gates=gates))
        notes = body_lines(context.record_body(deal))
        body = f'<pre class="notes">{e(chr(10).join(notes))}</pre>' if notes else ""
        out.append(f'<article class="deal" id="{e(deal_anchor(deal.id))}">'
                   f'<h3><span class="id">deal {e(deal.id)}</span> {e(deal.fields.get("title") or "")}</h3>'
                   f'<dl>{entries}</dl>{body}<p class="back"><a href="#board">back to the board</a></p></article>')
    out.append('</div></section>')
    return "\n".join(out)
