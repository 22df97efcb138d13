"""The reports of reports.py for people (text lines: tables, percentages, exact amounts, a funnel chart) and
for pipelines (the main table of each report as rows for csv, tsv and jsonl). Nothing here prints."""

from __future__ import annotations

from ..model.fieldtypes import grouped_amount as format_amount
from ..output import display_width, fit, format_table, plural, wrap

WIDTH = 80  # when the caller does not say how wide the terminal is
BLOCKS = " ▏▎▍▌▋▊▉█"  # eighths of a cell, so a bar's length is exact to 1/8 of a character
SHADE = "░"  # an optional stage's bar: drawn apart from the main path

# the main table of each report: its rows (a key of the report's data) and columns, for csv/tsv/jsonl
ROW_COLUMNS = {
    "funnel": ["stage", "label", "reached", "conversion", "conversion_from_first", "open", "open_amount"],
    "losses": ["stage", "reason", "lost", "share", "amount"],
    "velocity": ["stage", "label", "visits", "median_days", "mean_days", "open", "open_median_days"],
    "forecast": ["stage", "label", "probability", "count", "amount", "weighted"],
    "payments": ["payment", "deal", "title", "client", "owner", "stage", "invoice", "amount", "since", "days"],
}


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def days(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def period_text(data: dict, what: str) -> str:
    """"all time", or what the period counted and when: "closed 2026-02-01 to 2026-02-28"."""
    since, until = data.get("since"), data.get("until")
    if since is None and until is None:
        return "all time"
    if since is None:
        return f"{what} until {until.isoformat()}"
    if until is None:
        return f"{what} since {since.isoformat()}"
    return f"{what} {since.isoformat()} to {until.isoformat()}"


# -- rows for pipelines ----------------------------------------------------------------------------------

def table_rows(name: str, data: dict) -> tuple[list[dict], list[str]]:
    """(rows, columns) of the report's main table; with `--by`, each row starts with the group's value, in a
    column named `by:FIELD` (never clashing with the table's own columns, e.g. `--by stage`)."""
    columns = ROW_COLUMNS[name]
    if "groups" in data:
        group_column = f"by:{data['by']}"
        rows = [{group_column: group["value"], **row} for group in data["groups"] for row in _rows(name, group)]
        return rows, [group_column] + columns
    return _rows(name, data), columns


def _rows(name: str, data: dict) -> list[dict]:
    if name == "losses":
        return data["matrix"]
    if name == "payments":
        rows = data["prepayments"]["deals"] + data["final_payments"]["deals"]
        return sorted(rows, key=lambda row: (row["since"] is None, row["since"] or "", row["deal"]))
    return data["stages"]


# -- text for people ------------------------------------------------------------------------------------

def text_lines(name: str, data: dict, width: int = WIDTH) -> list[str]:
    """The report for people, fitted to `width` terminal cells (tables shrink their widest text first)."""
    render = {"funnel": funnel_lines, "losses": losses_lines, "velocity": velocity_lines,
              "forecast": forecast_lines, "payments": payments_lines}[name]
    if "groups" not in data:
        return render(data, width)
    if not data["groups"]:
        return [f"No deals to split by {data['by']}."]
    lines: list[str] = []
    for group in data["groups"]:
        if lines:
            lines.append("")
        heading = f"── {data['by']}: {group['label']} "
        lines.append(heading + "─" * max(3, width - display_width(heading)))
        lines.extend(render(group, width))
    return lines


def _stage_name(row: dict) -> str:
    return row["stage"] + ("*" if row.get("optional") else "")


def funnel_heading(data: dict) -> str:
    """Which deals the funnel counts: all of them, or the cohort that entered it in the period."""
    if data.get("cohort"):
        since, until = data.get("since"), data.get("until")
        when = f"from {since.isoformat()} to {until.isoformat()}" if since and until else \
            f"since {since.isoformat()}" if since else f"until {until.isoformat()}"
        return (f"Funnel of the {plural(data['deals'], 'deal')} that entered it {when} (a cohort), followed "
                "to today; open now: a snapshot of them today")
    return f"Funnel of {plural(data['deals'], 'deal')}, all time; open now: a snapshot of today"


def funnel_lines(data: dict, width: int = WIDTH) -> list[str]:
    stages = data["stages"]
    lines = wrap(funnel_heading(data), width)
    table = [[_stage_name(row), str(row["reached"]), percent(row["conversion"]),
              percent(row["conversion_from_first"]), str(row["open"]), format_amount(row["open_amount"])]
             for row in stages]
    lines += format_table(table, ["stage", "reached", "conversion", "from first", "open now", "open amount"],
                          right=[False, True, True, True, True, True], width=width)
    lines.append("")
    lines += funnel_chart(stages, width)
    lines.append("")
    lines.append(f"Won {data['won']} ({format_amount(data['won_amount'])}) · lost {data['lost']} "
                 f"({format_amount(data['lost_amount'])}) · win rate {percent(data['win_rate'])}")
    if any(row["optional"] for row in stages):
        lines += wrap("* optional (↳, shaded): only deals that were in it; the next stage's conversion skips it",
                      width)
    return lines


def funnel_chart(stages: list[dict], width: int = WIDTH) -> list[str]:
    """A bar per stage, its length proportional to `reached`, the conversion beside it; `width` cells wide.
    An optional stage (a step only some deals take) is drawn apart — indented under the stage before it, its
    bar shaded — so its smaller count does not read as a leak. With no deals every bar is empty."""
    if not stages:
        return []
    names = [("↳ " if row.get("optional") else "") + row["stage"] for row in stages]
    name_width = min(18, max(display_width(name) for name in names))
    count_width = max(len(str(row["reached"])) for row in stages)
    bar_width = max(10, width - name_width - count_width - 10)  # 3 spaces and a conversion "100.0%"
    top = max(row["reached"] for row in stages)
    lines = []
    for name, row in zip(names, stages):
        eighths = round(row["reached"] * bar_width * 8 / top) if top else 0
        if row.get("optional"):
            bar = SHADE * round(eighths / 8)
        else:
            bar = BLOCKS[-1] * (eighths // 8) + (BLOCKS[eighths % 8] if eighths % 8 else "")
        conversion = percent(row["conversion"]) if row["conversion"] is not None else ""
        lines.append(f"{fit(name, name_width)} {bar.ljust(bar_width)} "
                     f"{str(row['reached']).rjust(count_width)} {conversion.rjust(6)}".rstrip())
    return lines


def losses_lines(data: dict, width: int = WIDTH) -> list[str]:
    lines = [f"Lost {plural(data['lost'], 'deal')} ({format_amount(data['amount'])}), "
             f"{period_text(data, 'closed')}"]
    reason_label = {row["reason"]: row.get("label") or row["reason"] for row in data["reasons"]}
    stage_label = {row["stage"]: row.get("label") or row["stage"] for row in data["stages"]}
    banned = data["banned"]
    if banned is not None:
        if not banned["lost"]:
            text = "no deals"
        elif banned["stage"] is None:
            text = plural(banned["lost"], "deal")
        else:
            text = (f"{plural(banned['at_stage'], 'deal')} at {stage_label.get(banned['stage'], banned['stage'])} = {percent(banned['share'])} of "
                    f"the {plural(banned['reached'], 'deal')} that reached it")
            if banned["at_stage"] != banned["lost"]:
                text = f"{plural(banned['lost'], 'deal')}; {text}"
        if banned["lost"]:
            text += f" ({percent(banned['share_of_lost'])} of losses)"
        lines += wrap(f"{banned['label']}: {text}", width)
    if not data["lost"]:
        return lines
    lines.append("")
    reasons = [row for row in data["reasons"] if row["lost"]]
    lines += format_table([[reason_label[row["reason"]], str(row["lost"]), percent(row["share"]), format_amount(row["amount"])]
                           for row in reasons], ["reason", "lost", "share", "amount"],
                          right=[False, True, True, True], width=width)
    lines.append("")
    table = []
    for row in data["stages"]:
        if not row["lost"]:
            continue
        table.append([stage_label[row["stage"]], str(row["lost"]), percent(row["share"]), percent(row["loss_rate"]),
                      format_amount(row["amount"])])
        table += [[f"  {reason_label.get(reason, reason)}", str(count), "", "", ""]
                  for reason, count in row["by_reason"].items()]
    lines += format_table(table, ["lost at / reason", "lost", "share", "of reached", "amount"],
                          right=[False, True, True, True, True], width=width)
    return lines


def velocity_lines(data: dict, width: int = WIDTH) -> list[str]:
    lines = wrap(f"Days in stage: completed visits, {period_text(data, 'entered')}; open: deals there now, "
                 "days so far", width)
    lines += format_table([[_stage_name(row), str(row["visits"]), days(row["median_days"]), days(row["mean_days"]),
                            str(row["open"]), days(row["open_median_days"])] for row in data["stages"]],
                          ["stage", "visits", "median", "mean", "open now", "open median"],
                          right=[False, True, True, True, True, True], width=width)
    cycle = data["cycle"]
    lines.append("")
    lines.append(f"Cycle time {cycle['from']} → {cycle['to']}: {plural(cycle['deals'], 'deal')}, "
                 f"median {days(cycle['median_days'])} days, mean {days(cycle['mean_days'])} days")
    return lines


def forecast_lines(data: dict, width: int = WIDTH) -> list[str]:
    lines = [f"Forecast of {plural(data['count'], 'open deal')} on {data['today'].isoformat()}"]
    table = [[row["stage"], str(row["count"]), format_amount(row["amount"]), f"{row['probability'] * 100:g}%",
              format_amount(row["weighted"])] for row in data["stages"]]
    table.append(["total", str(data["count"]), format_amount(data["amount"]), "",
                  format_amount(data["weighted"])])
    lines += format_table(table, ["stage", "deals", "amount", "probability", "weighted"],
                          right=[False, True, True, True, True], width=width)
    if data["unpriced"]:
        lines.append(f"({plural(data['unpriced'], 'open deal')} without an amount counted as 0)")
    return lines


def payments_lines(data: dict, width: int = WIDTH) -> list[str]:
    due = "" if data["since"] is None and data["until"] is None else f", {period_text(data, 'falling due')}"
    lines = wrap(f"Payments awaited on {data['today'].isoformat()}{due}: {plural(data['count'], 'deal')}, "
                 f"{format_amount(data['amount'])}", width)
    parts = (("Prepayment invoices not paid", data["prepayments"], data["invoicing_stage"], True),
             ("Final payments awaited", data["final_payments"], data["final_payment_stage"], False))
    for title, part, stage, with_invoice in parts:
        lines.append("")
        since = f", days since entering {stage}" if stage else ""
        lines.append(f"{title}: {plural(part['count'], 'deal')}, {format_amount(part['amount'])}{since}")
        if not part["deals"]:
            continue
        headers = ["deal", "client", "title"] + (["invoice"] if with_invoice else []) + \
            ["amount", "since", "days"]
        table = [[row["deal"], str(row["client"] or ""), str(row["title"] or "")]
                 + ([str(row["invoice"] or "")] if with_invoice else [])
                 + [format_amount(row["amount"]), row["since"].isoformat() if row["since"] else "—",
                    str(row["days"]) if row["days"] is not None else "—"] for row in part["deals"]]
        right = [False, False, False] + ([False] if with_invoice else []) + [True, False, True]
        lines += format_table(table, headers, right=right, width=width, whole=(0,))
    return lines
