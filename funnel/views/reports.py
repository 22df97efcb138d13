"""Funnel reports — funnel, losses, velocity, forecast, payments — as plain data computed from deals.

Every report reads what a deal's `history` says happened, so it is computed once per deal (`Timeline`, in
model/timeline.py) and then counted. Nothing here knows a stage by name: the stages, their order, probabilities and gates come from
schema.yaml. Field names and the loss reason below are the ones SPEC fixes (a schema without them simply has
nothing to show in that part of a report).

What each report counts, and so what `--since/--until` (inclusive dates, read in each timestamp's own offset)
filter on:

- funnel: the first time a deal reached each stage (a deal counts at most once per stage; a reopened deal
  re-entering a stage is not reached again); won and lost: the moment the deal was closed. The open count and
  open amount are a snapshot of now, whatever the period. Within a period, conversion compares the deals that
  reached two stages in it, so it can exceed 100%.
- losses: the moment the deal was closed as lost (its last `lost` entry); the finance-ban headline's
  denominator is the deals that first reached the ban's stage in the period.
- velocity: the moment a visit started (entering the stage); cycle time: the moment the deal was won.
- forecast: a snapshot of open deals now; no period.
- payments: the moment the payment became due: entering the invoicing stage for a prepayment, entering the
  final-payment stage for a final payment.

`--owner` keeps one owner's deals; `--by FIELD` splits them by a choice or plain string field of the deal or of
its contact (`contact.source`), a multi-choice deal counting in each of its options, and keeps the report of
all of them beside the groups.

Velocity's median and mean are over completed visits only (a visit ends when the next history entry begins;
a backward move starts a new visit of the earlier stage; consecutive entries of one stage are one visit).
The current, open visit of each open deal is reported beside them (`open`, `open_median_days`, counted in
whole days up to today), because its length is not known yet: counting it as finished would make stuck deals
look fast. Completed durations are exact, from the timestamps, in fractional days.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable, Iterable

from ..errors import FunnelError, UsageError
from .query import QueryError, ViewContext, column, owner_condition, select
from ..model.fieldtypes import exact_product, exact_sum
from ..model.matching import normal_form
from ..model.records import Record, Workspace
from ..model.schema import LOSS_REASON, Schema, Stage
from ..model.timeline import Pipeline, Timeline
from ..valueclass import field, valueclass

REPORT_NAMES = ("funnel", "losses", "velocity", "forecast", "payments")

# reports of how things stand now: they take no period
SNAPSHOT_REPORTS = ("forecast",)

# The loss reason SPEC names for "stopped at the finance/legal check". Its stage is not named here: it is
# where those deals were lost (their `lost_at`), so another pipeline's check stage works unchanged.
GATE_BAN_REASON = "finance_ban"

AMOUNT = "amount"
PREPAYMENT_INVOICE = "prepayment_invoice"
PREPAYMENT_AMOUNT = "prepayment_amount"
PREPAYMENT_PAID = "prepayment_paid_on"
FINAL_AMOUNT = "postpayment_amount"
FINAL_PAID = "postpayment_paid_on"

DAY = 86400  # seconds

UNSPECIFIED = "(none)"  # the bucket for a lost deal without a (valid) reason or stage; never an option id


class ReportError(FunnelError, ValueError):
    """The report cannot be made as asked; one line for the person."""


class PeriodError(ReportError, UsageError):
    """A period the report cannot take (a usage error, exit 2)."""


# -- the period --------------------------------------------------------------------------------------------

@valueclass(frozen=True)
class Period:
    """Inclusive dates; either may be open. The one place that says which periods a report takes."""

    since: date | None = None
    until: date | None = None

    def __post_init__(self):
        if self.since and self.until and self.since > self.until:
            raise PeriodError(f"--since {self.since} is after --until {self.until}")

    def check_for(self, report: str) -> None:
        """Refuse a period for a report that is a snapshot of now."""
        if report in SNAPSHOT_REPORTS and not self.unbounded:
            raise PeriodError(f"the {report} report is a snapshot of now and takes no --since/--until")

    @property
    def unbounded(self) -> bool:
        return self.since is None and self.until is None

    def __contains__(self, moment: datetime | date | None) -> bool:
        if self.unbounded:
            return True
        if moment is None:
            return False
        day = moment.date() if isinstance(moment, datetime) else moment
        return (self.since is None or self.since <= day) and (self.until is None or day <= self.until)

    def as_json(self) -> dict:
        return {"since": self.since, "until": self.until}


# -- what a deal's history says (model/timeline.py), and its amount -----------------------------------------

_UNREAD = object()

class DealTimeline(Timeline):
    """A deal's Timeline with what the reports add to it: its amount (0 without one), given as the caller read
    it (a whole column: deal_timelines), else read from the record."""

    def __init__(self, record, pipeline: Pipeline, summary=None, stage_id=None, amount=_UNREAD):
        super().__init__(record, pipeline, summary, stage_id)
        if amount is _UNREAD:
            amount = record.fields.get(AMOUNT)
        self.amount: Decimal = amount if isinstance(amount, Decimal) else Decimal(0)


def _decimal(value) -> Decimal | None:
    return value if isinstance(value, Decimal) else None


def rate(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide by."""
    return part / whole if whole else None


def _sum(values: Iterable[Decimal | None]) -> Decimal:
    return exact_sum(values)


def _median(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def _mean(values: list[float]) -> float | None:
    return float(statistics.fmean(values)) if values else None


# -- the reports -----------------------------------------------------------------------------------------

@valueclass
class Inputs:
    """What every report reads besides the deals."""

    schema: Schema
    context: ViewContext  # the workspace (contacts) and today
    period: Period = field(default_factory=Period)

    @property
    def today(self) -> date:
        return self.context.today


def reached_counts(timelines: list[Timeline], schema: Schema, period: Period) -> dict[str, int]:
    """Per active stage, how many deals first reached it in the period."""
    counts = {stage.id: 0 for stage in schema.active_stages}
    main_path = [stage.id for stage in schema.main_path]
    if period.unbounded:  # how far each deal got is enough: a deal that got to position n counts at 0..n-1
        depth = Counter(item.reach_depth for item in timelines)
        running = 0
        for position in range(len(main_path) - 1, -1, -1):
            running += depth.get(position + 1, 0)
            counts[main_path[position]] = running
        for item in timelines:
            for stage_id in item.optional_reached:
                counts[stage_id] += 1
        return counts
    for item in timelines:
        main, optional = item.reach
        for stage_id, moment in zip(main_path, main):
            if moment in period:
                counts[stage_id] += 1
        for stage_id, moment in optional.items():
            if moment in period:
                counts[stage_id] += 1
    return counts


def closed_in(timelines: list[Timeline], outcome: str, period: Period) -> list[Timeline]:
    """The deals closed as `outcome` ('won' or 'lost') in the period."""
    if period.unbounded:  # no need to find when
        return [item for item in timelines if item.outcome == outcome]
    return [item for item in timelines if item.outcome == outcome and item.closed_at in period]


def open_by_stage(timelines: list[Timeline]) -> dict[str, list[Timeline]]:
    """Open deals by the id of the stage they are in now."""
    result: dict[str, list[Timeline]] = {}
    for item in timelines:
        if item.is_open:
            result.setdefault(item.stage.id, []).append(item)
    return result


def entered_funnel(item: Timeline) -> datetime | None:
    """When a deal entered the funnel: the first moment it reached a stage (its first history entry)."""
    main, optional = item.reach
    moments = [moment for moment in [*main, *optional.values()] if moment is not None]
    if moments:
        return min(moments)
    return item.first_entered


def funnel_report(timelines: list[Timeline], inputs: Inputs) -> dict:
    """With a period, a cohort (SPEC): the deals that entered the funnel in the period, each followed to today
    (every stage it reached, won or lost since), so no conversion exceeds 100%; open deals are a snapshot of
    that cohort now. Without one, every deal."""
    schema, period = inputs.schema, inputs.period
    cohort = not period.unbounded
    if cohort:
        timelines = [item for item in timelines if entered_funnel(item) in period]
        period_of_events = Period(None, None)  # the cohort's every event counts, up to today
    else:
        period_of_events = period
    counts = reached_counts(timelines, schema, period_of_events)
    open_now = open_by_stage(timelines)
    stages = schema.active_stages
    first = stages[0] if stages else None
    rows, previous = [], None
    for stage in stages:
        here = open_now.get(stage.id, [])
        rows.append({
            "stage": stage.id, "label": stage.label, "optional": stage.optional,
            "reached": counts[stage.id],
            "conversion": None if previous is None else rate(counts[stage.id], counts[previous.id]),
            "conversion_from_first": rate(counts[stage.id], counts[first.id]),
            "open": len(here), "open_amount": _sum(item.amount for item in here),
        })
        if not stage.optional:
            previous = stage
    won, lost = closed_in(timelines, "won", period_of_events), closed_in(timelines, "lost", period_of_events)
    return {
        "stages": rows, "won": len(won), "lost": len(lost), "win_rate": rate(len(won), len(won) + len(lost)),
        "won_amount": _sum(item.amount for item in won), "lost_amount": _sum(item.amount for item in lost),
        "open": sum(row["open"] for row in rows), "open_amount": _sum(row["open_amount"] for row in rows),
        "deals": len(timelines), "cohort": cohort, **period.as_json(),
    }


def losses_report(timelines: list[Timeline], inputs: Inputs) -> dict:
    schema, period = inputs.schema, inputs.period
    lost = closed_in(timelines, "lost", period)
    reasons = dict(schema.loss_reasons)
    stage_labels = {stage.id: stage.label for stage in schema.active_stages}

    def reason_of(item):
        reason = item.record.fields.get(LOSS_REASON)
        return reason if reason in reasons else UNSPECIFIED

    def stage_of(item):
        return item.lost_from or UNSPECIFIED

    if any(reason_of(item) == UNSPECIFIED for item in lost):
        reasons[UNSPECIFIED] = "No loss reason"
    if any(stage_of(item) == UNSPECIFIED for item in lost):
        stage_labels[UNSPECIFIED] = "Unknown stage"
    count = Counter((stage_of(item), reason_of(item)) for item in lost)
    amount: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for item in lost:
        amount[stage_of(item), reason_of(item)] += item.amount
    reached = reached_counts(timelines, schema, period)
    total = len(lost)

    by_reason = {reason: sum(n for (_, r), n in count.items() if r == reason) for reason in reasons}
    by_stage = {stage: {reason: count[stage, reason] for reason in reasons} for stage in stage_labels}
    reason_rows = [{
        "reason": reason, "label": label, "lost": by_reason[reason], "share": rate(by_reason[reason], total),
        "amount": _sum(a for (_, r), a in amount.items() if r == reason),
    } for reason, label in reasons.items()]
    stage_rows = []
    for stage, label in stage_labels.items():
        lost_here = sum(by_stage[stage].values())
        stage_rows.append({
            "stage": stage, "label": label, "lost": lost_here, "share": rate(lost_here, total),
            "amount": _sum(a for (s, _), a in amount.items() if s == stage),
            "reached": reached.get(stage), "loss_rate": rate(lost_here, reached.get(stage) or 0),
            "by_reason": {reason: n for reason, n in by_stage[stage].items() if n},
        })
    matrix = [{"stage": stage, "reason": reason, "lost": count[stage, reason],
               "share": rate(count[stage, reason], total), "amount": amount[stage, reason]}
              for stage in stage_labels for reason in reasons if count[stage, reason]]
    return {
        "lost": total, "by_reason": by_reason, "by_stage": by_stage,
        "amount": _sum(item.amount for item in lost),
        "reasons": reason_rows, "stages": stage_rows, "matrix": matrix,
        "banned": _gate_ban(schema, lost, count, reached, stage_of, reason_of),
        **period.as_json(),
    }


def _gate_ban(schema, lost, count, reached, stage_of, reason_of) -> dict | None:
    """The headline: deals stopped at the finance/legal check, and their share of the deals that reached the
    stage where that happens (the most common `lost_at` of those deals, the earlier stage on a tie)."""
    if GATE_BAN_REASON not in schema.loss_reasons:
        return None
    banned = [item for item in lost if reason_of(item) == GATE_BAN_REASON]
    at = Counter(stage_of(item) for item in banned if stage_of(item) != UNSPECIFIED)
    order = {stage.id: stage.index for stage in schema.stages}
    stage = min(at, key=lambda s: (-at[s], order[s])) if at else None
    at_stage = count[stage, GATE_BAN_REASON] if stage else 0
    return {
        "reason": GATE_BAN_REASON, "label": schema.loss_reasons[GATE_BAN_REASON],
        "lost": len(banned), "share_of_lost": rate(len(banned), len(lost)),
        "stage": stage, "at_stage": at_stage,
        "reached": reached[stage] if stage else None,
        "share": rate(at_stage, reached[stage]) if stage else None,
    }


def velocity_report(timelines: list[Timeline], inputs: Inputs) -> dict:
    schema, period, today = inputs.schema, inputs.period, inputs.today
    done: dict[str, list[float]] = {stage.id: [] for stage in schema.active_stages}
    waiting: dict[str, list[int]] = {stage.id: [] for stage in schema.active_stages}
    every_visit = period.unbounded
    # each deal's visits as its summary keeps them (Timeline.spans: a visit ends when the next begins): done and
    # waiting are keyed by the open stages, so `in` says a stage is one
    for item in timelines:
        spans = item.spans
        if not spans:
            continue
        for stage_id, day, seconds in spans:
            if seconds is not None and stage_id in done and (every_visit or date.fromisoformat(day) in period):
                done[stage_id].append(seconds / DAY)
        stage_id, day, _ = spans[-1]  # the last visit goes on while the deal is open in that stage
        if stage_id in waiting and item.is_open and stage_id == item.stage.id:
            started = date.fromisoformat(day)
            if every_visit or started in period:
                waiting[stage_id].append(max(0, (today - started).days))
    rows = [{
        "stage": stage.id, "label": stage.label, "visits": len(done[stage.id]),
        "median_days": _median(done[stage.id]), "mean_days": _mean(done[stage.id]),
        "open": len(waiting[stage.id]), "open_median_days": _median(waiting[stage.id]),
    } for stage in schema.active_stages]
    cycles = [(item.closed_at - item.read_runs()[0][1]).total_seconds() / DAY
              for item in closed_in(timelines, "won", period) if item.closed_at is not None]
    return {
        "stages": rows,
        "cycle": {"from": schema.first_stage.id, "to": _won_id(schema), "deals": len(cycles),
                  "median_days": _median(cycles), "mean_days": _mean(cycles)},
        **period.as_json(),
    }


def _won_id(schema: Schema) -> str | None:
    won = schema.terminal_stage("won")
    return won.id if won else None


def forecast_report(timelines: list[Timeline], inputs: Inputs) -> dict:
    rows = []
    open_now = open_by_stage(timelines)
    for stage in inputs.schema.active_stages:
        here = open_now.get(stage.id, [])
        amount = _sum(item.amount for item in here)
        probability = Decimal(repr(stage.probability))
        rows.append({"stage": stage.id, "label": stage.label, "probability": stage.probability,
                     "count": len(here), "amount": amount, "weighted": exact_product(amount, probability),
                     "unpriced": sum(1 for item in here if _decimal(item.record.fields.get(AMOUNT)) is None)})
    return {"stages": rows, "count": sum(row["count"] for row in rows),
            "amount": _sum(row["amount"] for row in rows),
            "weighted": exact_product(_sum(row["weighted"] for row in rows), Decimal(1)),
            "unpriced": sum(row["unpriced"] for row in rows), "today": inputs.today}


def payment_stages(schema: Schema) -> tuple[Stage | None, Stage | None]:
    """(the stage where the prepayment invoice is issued, the stage where the final payment is awaited),
    read from the gates: the first stage whose gate requires the invoice number, and the last active main-path
    stage before the one whose gate requires the final payment's date."""
    invoicing = _stage_requiring(schema, PREPAYMENT_INVOICE)
    paid = _stage_requiring(schema, FINAL_PAID)
    awaiting = None
    if paid is not None:
        awaiting = next((stage for stage in reversed(schema.main_path) if stage.index < paid.index), None)
    return invoicing, awaiting


def _stage_requiring(schema: Schema, name: str) -> Stage | None:
    for stage in schema.stages:
        if any(name in requirement.condition.fields for requirement in stage.requires):
            return stage
    return None


def payments_report(timelines: list[Timeline], inputs: Inputs) -> dict:
    schema, period, today = inputs.schema, inputs.period, inputs.today
    invoicing, awaiting = payment_stages(schema)
    client = column(schema, "deal", "client")
    prepayments, finals = [], []
    for item in timelines:
        fields = item.record.fields
        if not item.is_open:
            continue
        if (fields.get(PREPAYMENT_INVOICE) or fields.get(PREPAYMENT_AMOUNT) is not None) \
                and fields.get(PREPAYMENT_PAID) is None:
            prepayments.append(_payment_row("prepayment", item, _decimal(fields.get(PREPAYMENT_AMOUNT)),
                                            item.last_entry(invoicing), today, inputs, client))
        if awaiting is not None and item.stage is awaiting and fields.get(FINAL_PAID) is None:
            finals.append(_payment_row("final", item, _final_amount(fields), item.last_entry(awaiting), today,
                                       inputs, client))

    def part(rows):
        rows = sorted((row for row in rows if row["since"] in period),
                      key=lambda row: (row["since"] is None, row["since"] or date.min, row["deal"]))
        return {"count": len(rows), "amount": _sum(row["amount"] for row in rows), "deals": rows}

    prepayments, finals = part(prepayments), part(finals)
    return {
        "prepayments": prepayments, "final_payments": finals,
        "count": prepayments["count"] + finals["count"],
        "amount": prepayments["amount"] + finals["amount"],
        "invoicing_stage": invoicing.id if invoicing else None,
        "final_payment_stage": awaiting.id if awaiting else None,
        "today": today, **period.as_json(),
    }


def _final_amount(fields) -> Decimal | None:
    explicit = _decimal(fields.get(FINAL_AMOUNT))
    if explicit is not None:
        return explicit
    amount = _decimal(fields.get(AMOUNT))
    return None if amount is None else amount - (_decimal(fields.get(PREPAYMENT_AMOUNT)) or Decimal(0))


def _payment_row(kind, item: Timeline, amount, entered: datetime | None, today: date, inputs: Inputs,
                 client) -> dict:
    fields = item.record.fields
    since = entered.date() if entered is not None else None
    return {
        "payment": kind, "deal": item.record.id, "title": fields.get("title"),
        "client": client.value(item.record, inputs.context),
        "owner": fields.get("owner"), "stage": item.stage.id,
        "invoice": fields.get(PREPAYMENT_INVOICE) if kind == "prepayment" else None,
        "amount": amount, "since": since,
        "days": max(0, (today - since).days) if since is not None else None,
    }


REPORTS: dict[str, Callable[[list[Timeline], Inputs], dict]] = {
    "funnel": funnel_report, "losses": losses_report, "velocity": velocity_report,
    "forecast": forecast_report, "payments": payments_report,
}


# -- choosing and splitting the deals ------------------------------------------------------------------------

def split_column(schema: Schema, name: str):
    """The column `--by NAME` splits on: a choice or plain string field of the deal or of its contact."""
    try:
        target = column(schema, "deal", name)
    except QueryError as exc:
        raise ReportError(f"--by: {exc}") from None
    # a field type says whether it splits (one of a few options, or a short plain string)
    if target.spec.name in ("id", "history"):
        # an id is a string, but every deal has its own: one group per deal is no report
        why = "every record has its own id, so each group would hold one" if target.spec.name == "id" else \
            "the history is a list of stage changes, not a value"
        raise ReportError(f"--by: cannot split by '{name}': {why}; split by a field deals share, e.g. owner, "
                          "categories, contact.source")
    if not target.spec.fieldtype.splits:
        raise ReportError(f"--by: cannot split by '{name}' ({target.spec.type}); choose a choice or plain "
                          f"string field, e.g. owner, categories, contact.source")
    return target


def groups(timelines: list[Timeline], target, context: ViewContext) -> list[tuple[Any, str, list[Timeline]]]:
    """(value, label, timelines) per value of the column, in the schema's option order (else sorted), deals
    without a value last; a multi-choice deal is in the group of each of its options."""
    members: dict[Any, list[Timeline]] = {}
    # a plain string groups by its normal form ("Café" typed in NFD, "CAFÉ  Ltd" and "café ltd" are one
    # company), shown as it was first written; options are the schema's own
    spelled: dict[str, str] = {}
    for item in timelines:
        value = target.value(item.record, context)
        values = value if isinstance(value, list) else [value]
        for one in dict.fromkeys(v if v not in ("", None) else None for v in values) or [None]:
            if isinstance(one, str) and one not in target.spec.options:
                one = spelled.setdefault(normal_form(one), one) if normal_form(one) else None
            members.setdefault(one, []).append(item)
    options = list(target.spec.options)

    def order(value):
        if value is None:
            return (2, 0, "")
        if value in target.spec.options:
            return (0, options.index(value), "")
        return (1, 0, str(value))

    return [(value, target.spec.option_label(value) or (UNSPECIFIED if value is None else str(value)),
             members[value]) for value in sorted(members, key=order)]


def build_report(name: str, workspace: Workspace, deals: list[Record], today: date, period: Period = Period(),
                 owner: str | None = None, by: str | None = None) -> dict:
    """The report `name` of `deals` (the viewable ones); with `by`, the same report of all of them plus "by" and
    "groups": [{"value", "label", …the report of the group's deals}, …]."""
    if name not in REPORTS:
        raise ReportError(f"unknown report '{name}' (one of {', '.join(REPORT_NAMES)})")
    period.check_for(name)
    schema = workspace.schema
    context = ViewContext(workspace, today)
    target = split_column(schema, by) if by else None
    if owner is not None:
        try:
            deals = select(deals, [owner_condition(schema, owner)], context)
        except QueryError as exc:
            raise ReportError(f"--owner: {exc}") from None
    inputs = Inputs(schema, context, period)
    timelines = deal_timelines(deals, schema)
    report = REPORTS[name]
    whole = report(timelines, inputs)
    if target is None:
        return whole
    # split: the whole report stays (its shape is what scripts read), the groups come beside it
    return {**whole, "by": by, "groups": [{"value": value, "label": label, **report(members, inputs)}
                                          for value, label, members in groups(timelines, target, context)]}


def build_reports(names: Iterable[str], workspace: Workspace, deals: list[Record], today: date,
                  period: Period = Period()) -> dict[str, dict]:
    """Several reports of the same deals, each deal's history read once for all of them (the HTML page shows
    every report); a snapshot report (forecast) is of now whatever the period."""
    unknown = [name for name in names if name not in REPORTS]
    if unknown:
        raise ReportError(f"unknown report '{unknown[0]}' (one of {', '.join(REPORT_NAMES)})")
    schema = workspace.schema
    context = ViewContext(workspace, today)
    timelines = deal_timelines(deals, schema)
    return {name: REPORTS[name](timelines, Inputs(schema, context, Period() if name in SNAPSHOT_REPORTS else period))
            for name in names}


def deal_timelines(deals: list[Record], schema: Schema) -> list[DealTimeline]:
    """Each deal's history as the reports read it (one Pipeline for them all), through its summary (the
    cache's, else made now) so no history is decoded."""
    from ..store.cache import field_columns, summaries

    pipeline = Pipeline(schema)
    return [DealTimeline(record, pipeline, summary, stage_id, amount) for record, summary, stage_id, amount in
            zip(deals, summaries(deals), *field_columns(deals, ("stage", AMOUNT)))]
