"""Moving deals through the pipeline: move, win, lose — one gate implementation with `check`.

Each function here is a *plan* for writes.update_record: from the deal as it is now (read under the lock) it
says which fields change, which history entry to append, and what to call the change. The gate itself is
gates.unmet_requirements, the very function `check` uses, so a move the CLI accepts never introduces a
`check` error.
"""

from __future__ import annotations

from typing import Any

from ..model import clock
from ..model.gates import unmet_requirements
from ..model.records import Record
from ..model.schema import LOSS_COMMENT, LOSS_REASON, LOST_AT, Schema, Stage
from .writes import Refused



def next_stage(schema: Schema, current: Stage) -> Stage:
    """The next stage on the main path: optional stages are entered only by name."""
    for stage in schema.main_path:
        if stage.index > current.index:
            return stage
    won = schema.terminal_stage("won")
    if won is None or current.terminal is not None:
        raise Refused(f"no stage after '{current.id}'")
    return won


def previous_stage(schema: Schema, current: Stage) -> Stage:
    if current.terminal is not None:
        raise Refused(f"the deal is closed ({current.id}); name the stage to reopen it in, with --reopen")
    for stage in reversed(schema.main_path):
        if stage.index < current.index:
            return stage
    raise Refused(f"no stage before '{current.id}'")


def resolve_target(schema: Schema, current: Stage, stage_id: str | None, step: str | None) -> Stage:
    if step == "next":
        return next_stage(schema, current)
    if step == "prev":
        return previous_stage(schema, current)
    target = schema.stage(stage_id or "")
    if target is None:
        raise Refused(f"unknown stage '{stage_id}' (stages: {', '.join(s.id for s in schema.stages)})")
    return target


def current_stage(schema: Schema, record: Record) -> Stage:
    stage = schema.stage(record.fields.get("stage") or "")
    if stage is None:
        raise Refused(f"{record.path}: the deal has no valid stage; fix it first (funnel check shows where)")
    return stage


def stage_change(tx, record: Record, target: Stage, changes: dict[str, Any], reopen: bool) \
        -> tuple[dict[str, Any], dict | None, str]:
    """The plan of a stage change: fields, stage and history entry, refused unless the target's gates hold."""
    schema = tx.schema
    current = current_stage(schema, record)
    what = f"deal {record.id}: {current.id} → {target.id}"
    if current.terminal is not None and target.id != current.id and not reopen:
        raise Refused(f"deal {record.id} is {current.id}; moving it back to '{target.id}' needs --reopen")
    if target.terminal == "lost" and current.terminal is None:
        changes.setdefault(LOST_AT, current.id)
    if target.id == current.id:
        return changes, None, f"deal {record.id}: stays in {current.id}"
    changes["stage"] = target.id
    proposed = _with_changes(record, changes)
    unmet = [u for u in unmet_requirements(proposed, schema, tx.context.replacing(proposed))
             if u.severity == "error"]
    if unmet:
        raise Refused(f"cannot move {record.id} from {current.id} to {target.id}; unmet:",
                      [_describe(u) for u in unmet])
    return changes, {"stage": target.id, "at": clock.now()}, what


def _describe(unmet) -> str:
    return f"{unmet.message} (gate of stage '{unmet.stage}')" if unmet.stage else unmet.message


def _with_changes(record: Record, changes: dict[str, Any]) -> Record:
    fields = {name: value for name, value in record.fields.items() if changes.get(name, value) is not None}
    fields.update({name: value for name, value in changes.items() if value is not None})
    return Record(record.kind, record.path, fields, dict(record.unknown), dict(record.positions))


def move_plan(target_id: str | None, step: str | None, changes: dict[str, Any], reopen: bool):
    def plan(tx, record: Record):
        if record.kind != "deal":
            raise Refused(f"{record.id} is a contact; only deals move through stages")
        target = resolve_target(tx.schema, current_stage(tx.schema, record), target_id, step)
        return stage_change(tx, record, target, dict(changes), reopen)
    return plan


def win_plan(changes: dict[str, Any], reopen: bool):
    def plan(tx, record: Record):
        if record.kind != "deal":
            raise Refused(f"{record.id} is a contact; only deals are won")
        won = tx.schema.terminal_stage("won")
        if current_stage(tx.schema, record).id == won.id:
            raise Refused(f"deal {record.id} is already won")
        if current_stage(tx.schema, record).terminal is not None and not reopen:
            raise Refused(f"deal {record.id} is {record.fields['stage']}; winning it needs --reopen")
        return stage_change(tx, record, won, dict(changes), True)
    return plan


def lose_plan(reason: str, comment: str, changes: dict[str, Any]):
    def plan(tx, record: Record):
        if record.kind != "deal":
            raise Refused(f"{record.id} is a contact; only deals are lost")
        current = current_stage(tx.schema, record)
        if current.terminal is not None:
            raise Refused(f"deal {record.id} is already {current.id}; only an open deal can be lost")
        lost = tx.schema.terminal_stage("lost")
        merged = dict(changes)
        merged[LOSS_REASON] = reason
        merged[LOSS_COMMENT] = comment
        merged[LOST_AT] = current.id
        return stage_change(tx, record, lost, merged, False)
    return plan
