"""How long a deal has been where it is: days in stage, stale (past the stage's rot_days), overdue next action.
When it entered its stage is the timeline's to say (timeline.entered_current_stage).

All of it is read from the record (`history`, `next_action_due`) against "today" (clock.today()), so the
board, `list --stale/--due` and the reports agree."""

from __future__ import annotations

from datetime import date

from .schema import Schema, Stage
from .timeline import entered_current_stage

NEXT_ACTION_DUE = "next_action_due"  # the field SPEC names for when the next step is due


def days_in_stage(record, today: date) -> int | None:
    return days_since(entered_current_stage(record), today)


def days_since(entered: date | None, today: date) -> int | None:
    return None if entered is None else max(0, (today - entered).days)


def stale_days(record, schema: Schema, today: date, days: int | None = None) -> int | None:
    """Days past the stage's rot_days (None when not stale, closed, or the stage sets no rot_days).
    `days`: the deal's days in stage, when the caller has them already."""
    stage = schema.stage(record.fields.get("stage") or "")
    if not rots(stage):
        return None
    return stale_by(stage, days_in_stage(record, today) if days is None else days)


def rots(stage: Stage | None) -> bool:
    """A deal in `stage` can go stale: an open stage with rot_days."""
    return stage is not None and stage.terminal is None and stage.rot_days is not None


def stale_by(stage: Stage | None, days: int | None) -> int | None:
    """`stale_days` of a deal `days` in `stage`."""
    if not rots(stage) or days is None or days <= stage.rot_days:
        return None
    return days - stage.rot_days


def overdue_days(record, schema: Schema, today: date, field: str = NEXT_ACTION_DUE) -> int | None:
    """Days past `next_action_due` on an open deal (None when not overdue): the one rule for `show`, `list --due`
    and the board. A closed (won or lost) deal is never overdue."""
    return overdue_by(schema.stage(record.fields.get("stage") or ""), record.fields.get(field), today)


def overdue_by(stage: Stage | None, due, today: date) -> int | None:
    """`overdue_days` of a deal in `stage` whose next action is due on `due`."""
    if stage is None or stage.terminal is not None or not isinstance(due, date) or due >= today:
        return None
    return (today - due).days
