"""The kanban: one column per active stage (won and lost too with `--all`), a card per deal.

Per column: the stage, how many deals, the exact sum of their `amount`. Per card: id, title, company or contact
name, amount, days in stage, and marks for a deal sitting past its stage's `rot_days` (stale) or past its
`next_action_due` (overdue). Cards run oldest in stage first, so what is stalling is on top.

Text comes in two layouts, chosen by the width it must fit: side-by-side columns when every column gets at
least MIN_COLUMN cells, else one section per stage, stacked. Widths are terminal cells, so Cyrillic and CJK
text line up, and no line is wider than asked.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property
from typing import Any

from ..model import aging
from ..output import display_width, fit, paint, plural, truncate, wrap
from . import query
from .query import ViewContext
from ..model.fieldtypes import exact_sum, grouped_amount as format_amount
from ..model.records import Record
from ..model.schema import Stage
from ..valueclass import field, valueclass

MIN_COLUMN = 12  # cells of a side-by-side column: an 8-character id with its prefix, an amount to 999 999 999
MAX_COLUMN = 32
CARD_LIMIT = 20  # cards per column a person is shown by default (the text board and the HTML page)
JOINER = " │ "
STALE_STYLE = "yellow"
OVERDUE_STYLE = "red"


@valueclass  # one per deal, 10,000 made per board: in slots, by an __init__ as plain as can be
class BoardCard:
    id: str
    title: str
    client: str
    contact: str | None
    owner: str | None
    amount: Decimal | None
    days_in_stage: int | None
    stale_days: int | None
    overdue_days: int | None

    __slots__ = ("id", "title", "client", "contact", "owner", "amount", "days_in_stage", "stale_days",
                 "overdue_days")

    def __init__(self, id, title, client, contact, owner, amount, days_in_stage, stale_days, overdue_days):
        self.id = id
        self.title = title
        self.client = client
        self.contact = contact
        self.owner = owner
        self.amount = amount
        self.days_in_stage = days_in_stage
        self.stale_days = stale_days
        self.overdue_days = overdue_days

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "amount": self.amount, "client": self.client,
                "contact": self.contact, "owner": self.owner, "days_in_stage": self.days_in_stage,
                "stale_days": self.stale_days, "overdue_days": self.overdue_days}

    def marks(self) -> list[tuple[str, str]]:
        """(text, style) of each mark the card carries."""
        shown = []
        if self.stale_days is not None:
            shown.append((f"stale +{self.stale_days}d", STALE_STYLE))
        if self.overdue_days is not None:
            shown.append((f"overdue +{self.overdue_days}d", OVERDUE_STYLE))
        return shown


@valueclass
class BoardColumn:
    stage: Stage
    cards: list[BoardCard] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.cards)

    @cached_property  # read by the heading, the layout and the footer; the cards are final once built
    def amount(self) -> Decimal:
        return exact_sum(card.amount for card in self.cards)

    def as_json(self) -> dict[str, Any]:
        return {"stage": self.stage.id, "label": self.stage.label, "count": self.count, "amount": self.amount,
                "deals": [card.as_json() for card in self.cards]}


def board_cards(deals: list[Record], context: ViewContext) -> list[BoardCard]:
    """A card per deal, in the deals' order; every value is read as a whole column (`query.Column.values`)."""
    from ..store.cache import field_columns

    days = query.days_in_stage(deals, context)
    today = context.today
    stale_by, overdue_by = aging.stale_by, aging.overdue_by
    # positional, and the overdue rule asked only of a deal with a due date: this runs 10,000 times a board
    return [BoardCard(deal.id, title or "", client or "", contact, owner,
                      amount if isinstance(amount, Decimal) else None, days_in_stage,
                      stale_by(stage, days_in_stage), None if due is None else overdue_by(stage, due, today))
            for deal, client, days_in_stage, stage, title, contact, owner, amount, due in zip(
                deals, query.clients(deals, context), days, query.stages(deals, context),
                *field_columns(deals, ("title", "contact", "owner", "amount", aging.NEXT_ACTION_DUE)))]


def build_board(deals: list[Record], context: ViewContext, include_closed: bool = False) -> list[BoardColumn]:
    """The columns, in pipeline order, each holding its deals; empty stages included."""
    from ..store.cache import field_values

    stages = context.schema.stages if include_closed else context.schema.active_stages
    columns = {stage.id: BoardColumn(stage) for stage in stages}
    placed = [(deal, columns[stage_id]) for deal, stage_id in zip(deals, field_values(deals, "stage"))
              if isinstance(stage_id, str) and stage_id in columns]
    for (_, column), card in zip(placed, board_cards([deal for deal, _ in placed], context)):
        column.cards.append(card)
    for column in columns.values():
        column.cards.sort(key=lambda card: (-(card.days_in_stage or 0), card.id))
    return list(columns.values())


def board_json(columns: list[BoardColumn]) -> dict[str, Any]:
    return {"columns": [column.as_json() for column in columns]}


# -- text ----------------------------------------------------------------------------------------------------

Cell = tuple[str, str | None]  # text and its style


def render_board(columns: list[BoardColumn], width: int, colour: bool = False, limit: int | None = None) \
        -> list[str]:
    """The board in at most `width` cells per line: side by side when it fits, else stacked sections.
    `limit`: at most that many cards per column (the oldest in stage), then a "+N more" line; counts, sums
    and the footer still cover every deal."""
    needed = max([MIN_COLUMN] + [display_width(format_amount(column.amount)) for column in columns])
    count = len(columns)
    column_width = (width - display_width(JOINER) * (count - 1)) // max(count, 1)
    if count and column_width >= needed:
        lines = side_by_side(columns, min(column_width, MAX_COLUMN), colour, limit)
    else:
        lines = stacked(columns, width, colour, limit)
    return lines + [""] + footer(columns, width)


def footer(columns: list[BoardColumn], width: int) -> list[str]:
    """Totals of the whole board: deals, amount, how many stale and overdue (on more lines when narrow)."""
    cards = [card for column in columns for card in column.cards]
    total = exact_sum(column.amount for column in columns)
    parts = [plural(len(cards), "deal"), format_amount(total)]
    stale = sum(1 for card in cards if card.stale_days is not None)
    overdue = sum(1 for card in cards if card.overdue_days is not None)
    if stale:
        parts.append(f"{stale} stale")
    if overdue:
        parts.append(f"{overdue} overdue")
    lines = [parts[0]]
    for part in parts[1:]:
        if display_width(f"{lines[-1]} · {part}") <= width:
            lines[-1] += f" · {part}"
        else:
            lines.append(part)
    return [truncate(line, width) for line in lines]


def _days(card: BoardCard) -> str:
    return "" if card.days_in_stage is None else f"{card.days_in_stage}d"


def _pair(left: str, right: str, width: int) -> list[str]:
    """`left` and `right` on one line of `width` cells (right flush right), or on two when they do not fit."""
    if not right:
        return [left]
    if display_width(left) + 1 + display_width(right) <= width:
        return [left + " " * (width - display_width(left) - display_width(right)) + right]
    return [left, " " * max(0, width - display_width(right)) + right]


def visible(column: BoardColumn, limit: int | None) -> list[BoardCard]:
    return column.cards if not limit else column.cards[:limit]


def more_line(column: BoardColumn, limit: int | None) -> str | None:
    hidden = column.count - len(visible(column, limit))
    return f"+{hidden} more" if hidden > 0 else None


def side_by_side(columns: list[BoardColumn], width: int, colour: bool, limit: int | None = None) -> list[str]:
    headers = [wrap(column.stage.label, width, max_lines=2) for column in columns]
    header_height = max(len(lines) for lines in headers)
    cells: list[list[Cell]] = []
    for column, label in zip(columns, headers):
        lines: list[Cell] = [(line, "bold") for line in label] + [("", None)] * (header_height - len(label))
        lines.append((plural(column.count, "deal"), None))
        lines.append((format_amount(column.amount), None))
        lines.append(("─" * width, None))
        for card in visible(column, limit):
            lines.extend((text, None) for text in _pair(card.id, _days(card), width))
            lines.extend((text, None) for text in wrap(card.title or "—", width, max_lines=2))
            if card.client:
                lines.append((card.client, None))
            lines.append((format_amount(card.amount), None))
            lines.extend(card.marks())
            lines.append(("", None))
        more = more_line(column, limit)
        if more:
            lines.append((more, None))
        cells.append(lines)
    for lines in cells:
        while lines and not lines[-1][0]:
            lines.pop()
    height = max(len(lines) for lines in cells)
    blank = " " * width
    grid = []
    for lines in cells:
        fitted = []
        for text, style in lines:
            cell = fit(text, width)
            core = cell.rstrip(" ")
            fitted.append(paint(core, style, colour) + cell[len(core):] if style and colour else cell)
        grid.append(fitted + [blank] * (height - len(fitted)))
    return [JOINER.join(row).rstrip() for row in zip(*grid)]


def stacked(columns: list[BoardColumn], width: int, colour: bool, limit: int | None = None) -> list[str]:
    """One section per stage: a heading line, then a row per card (marks on a line below the card). When the
    titles and clients do not fit one row, a card takes two: its id and whole title (wrapped, at most two
    lines), then client, amount and days — so four "Насосная станция повышения д…" are told apart."""
    cards = [card for column in columns for card in visible(column, limit)]
    indent = "  "
    gap = "  "
    id_width = max((display_width(card.id) for card in cards), default=0)
    amount_width = max((display_width(format_amount(card.amount)) for card in cards), default=0)
    days_width = max((display_width(_days(card)) for card in cards), default=0)
    fixed = len(indent) + id_width + amount_width + days_width + 4 * len(gap)
    title_natural = max((display_width(card.title) for card in cards), default=0)
    client_natural = max((display_width(card.client) for card in cards), default=0)
    room = max(2, width - fixed)
    two_rows = title_natural + client_natural > room
    lead = indent + " " * (id_width + len(gap))
    client_width = max(1, width - len(lead) - amount_width - days_width - 2 * len(gap))
    out: list[str] = []
    for column in columns:
        if out:
            out.append("")
        out.append(section_heading(column, width, colour))
        for card in visible(column, limit):
            numbers = (fit(format_amount(card.amount), amount_width, right=True), fit(_days(card), days_width, right=True))
            if two_rows:
                titles = wrap(card.title or "—", max(1, width - len(lead)), max_lines=2)
                out.append(truncate((indent + fit(card.id, id_width) + gap + titles[0]).rstrip(), width))
                out.extend(truncate(lead + more, width) for more in titles[1:])
                out.append(truncate((lead + gap.join((fit(card.client, client_width),) + numbers)).rstrip(), width))
            else:
                row = indent + gap.join((fit(card.id, id_width), fit(card.title or "—", title_natural),
                                         fit(card.client, client_natural)) + numbers)
                out.append(truncate(row.rstrip(), width))
            marks = card.marks()
            if marks:
                texts = [truncate(text, max(1, width - len(lead))) for text, _ in marks]
                joined = ", ".join(paint(text, style, colour) for text, (_, style) in zip(texts, marks))
                if display_width(lead + ", ".join(texts)) <= width:
                    out.append(lead + joined)
                else:
                    out.extend(lead + paint(text, style, colour) for text, (_, style) in zip(texts, marks))
        more = more_line(column, limit)
        if more:
            out.append(truncate(indent + more, width))
    return out


def section_heading(column: BoardColumn, width: int, colour: bool) -> str:
    count = plural(column.count, "deal")
    tail = f" · {count} · {format_amount(column.amount)} "
    label = truncate(column.stage.label, max(1, width - display_width(tail) - 2))
    rule = "─" * max(0, width - display_width(label + tail))
    return paint(label, "bold", colour) + truncate(tail + rule, max(0, width - display_width(label)))
