"""Moving deals through the pipeline: move, win, lose — one gate implementation with `check`.

Each `*_edit` here decides, from the deal as it is now (read under the lock) and the fields asked for, which
fields change and which history entry to append (a writes.Edit). The write then judges the result with
checks.check_gates, the very check `check` runs, so a move the API accepts never introduces a `check` error.
"""

from __future__ import annotations

from typing import Any

from ..model import clock
from ..model.records import Record
from ..model.schema import LOSS_COMMENT, LOSS_REASON, LOST_AT, Schema, Stage
from ..model.values import InvalidValue, field_spec, parse_value
from ..model.matching import did_you_mean, find_option
from .writes import Edit, Refused


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
        stage_ids = [s.id for s in schema.stages]
        found = find_option(stage_id or "", stage_ids)
        if found is None:
            raise Refused(f"unknown stage '{stage_id}' (stages: {', '.join(stage_ids)}){did_you_mean(stage_id or '', stage_ids)}")
        target = schema.stage(found)
    return target


def current_stage(schema: Schema, record: Record) -> Stage:
    stage = schema.stage(record.fields.get("stage") or "")
    if stage is None:
        raise Refused(f"{record.path}: the deal has no valid stage; fix it first (funnel check shows where)")
    return stage


def stage_change(record: Record, current: Stage, target: Stage, changes: dict[str, Any], reopen: bool) -> Edit:
    """The edit of a stage change: fields, stage and history entry; the write refuses it unless the result
    meets every gate of `target`."""
    if current.terminal is not None and target.id != current.id and not reopen:
        raise Refused(f"deal {record.id} is {current.id}; moving it back to '{target.id}' needs --reopen")
    if target.terminal == "lost" and current.terminal is None:
        changes.setdefault(LOST_AT, current.id)
    if target.id == current.id:
        return Edit(changes)
    changes["stage"] = target.id
    loss = None
    if current.terminal == "lost":
        # reopened: the loss goes into the history entry of the loss, so `--where loss_reason=price` never
        # lists an open deal and the reason and comment the person wrote stay in the file
        loss = {name: record.fields.get(name) for name in LOSS_FIELDS if record.fields.get(name) is not None}
        for name in LOSS_FIELDS:
            changes.setdefault(name, None)
    return Edit(changes, {"stage": target.id, "at": clock.now()},
                gate=f"cannot move {record.id} from {current.id} to {target.id}; unmet:", into_lost_entry=loss)


# what a lost deal carries about its loss, moved into its `lost` history entry when it is reopened
LOSS_FIELDS = (LOSS_REASON, LOSS_COMMENT, LOST_AT)


def _deal_only(record: Record, what: str) -> None:
    if record.kind != "deal":
        raise Refused(f"{record.id} is a contact; only deals {what}")


def move_edit(schema: Schema, record: Record, changes: dict[str, Any], target_id: str | None, step: str | None,
              reopen: bool) -> Edit:
    _deal_only(record, "move through stages")
    current = current_stage(schema, record)
    return stage_change(record, current, resolve_target(schema, current, target_id, step), changes, reopen)


def win_edit(schema: Schema, record: Record, changes: dict[str, Any], reopen: bool) -> Edit:
    _deal_only(record, "are won")
    won = schema.terminal_stage("won")
    current = current_stage(schema, record)
    if current.id == won.id:
        raise Refused(f"deal {record.id} is already won")
    if current.terminal is not None and not reopen:
        raise Refused(f"deal {record.id} is {current.id}; winning it needs --reopen")
    return stage_change(record, current, won, changes, True)


def lose_edit(schema: Schema, record: Record, changes: dict[str, Any], reason: str, comment: str) -> Edit:
    _deal_only(record, "are lost")
    current = current_stage(schema, record)
    if current.terminal is not None:
        raise Refused(f"deal {record.id} is already {current.id}; only an open deal can be lost")
    try:
        reason = parse_value(field_spec(schema.kind("deal"), LOSS_REASON), reason)
    except InvalidValue as exc:
        raise InvalidValue(f"--reason: {exc}") from None
    changes[LOSS_REASON] = reason
    changes[LOSS_COMMENT] = comment
    changes[LOST_AT] = current.id
    return stage_change(record, current, schema.terminal_stage("lost"), changes, False)
