"""The write API: one function per writing command, plain values in, a WriteResult out.

Each call is one locked, validated, atomic write (writes.py). A refusal raises, having written nothing:
`Refused` (its `diagnostics` are the result's problems as `check` reports them: path, line, column, code),
`InvalidValue` (a value that does not fit its field), `WorkspaceError`/`SchemaError` (no usable workspace),
`errors.UsageError` (a call that asks for nothing or for two things at once); all are `errors.FunnelError`s.
An OSError (a read-only disk) also leaves every file as it was.

`assignments` are FIELD=VALUE texts, as the command line gives them, or a mapping {field: value}: a str is read
by the field's type as the command line's text would be, None removes the field, anything else is the typed
value itself (Decimal, date, list…). A contact reference may be any unique prefix of the contact's id.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Literal, Mapping

from ..errors import UsageError
from . import lifecycle
from .attachments import attach as _attach
from .writes import Assignments, Edit, WriteResult, add_record, new_deal_values, update_record

__all__ = ["WriteResult", "add_contact", "add_deal", "set_fields", "move", "win", "lose", "attach"]


def add_contact(root: str | os.PathLike, assignments: Assignments) -> WriteResult:
    """A new contact with a fresh id."""
    return add_record(Path(root), "contact", assignments)


def add_deal(root: str | os.PathLike, contact: str, assignments: Assignments = ()) -> WriteResult:
    """A new deal of `contact` (an id or a unique prefix) in the first stage, with `created` and a first
    history entry."""
    values = {**assignments, "contact": contact} if isinstance(assignments, Mapping) else \
        [*assignments, f"contact={contact}"]
    return add_record(Path(root), "deal", values, new_deal_values)


def set_fields(root: str | os.PathLike, record: str, assignments: Assignments = (),
               unset: Iterable[str] = ()) -> WriteResult:
    """Change fields of a deal or a contact (`record`: an id or a unique prefix); stages change only with
    move, win and lose. Refused when the result breaks a gate or rule of the deal's current stage."""
    unset = tuple(unset)
    if not isinstance(assignments, Mapping):
        assignments = tuple(assignments)
    if not assignments and not unset:
        raise UsageError("nothing to change: give FIELD=VALUE or --unset FIELD")
    return update_record(Path(root), "set", record, _as_asked, assignments, unset)


def move(root: str | os.PathLike, deal: str, stage: str | None = None, *,
         step: Literal["next", "prev"] | None = None, assignments: Assignments = (),
         reopen: bool = False) -> WriteResult:
    """Move `deal` to `stage`, or a `step` along the main path, through the gate of the stage it enters,
    setting `assignments` in the same write. A closed deal moves back only with `reopen`."""
    if (stage is None) == (step is None):
        raise UsageError("give either STAGE or one of --next / --prev")
    return update_record(Path(root), "move", deal, lambda tx, record, changes: lifecycle.move_edit(
        tx.schema, record, changes, stage, step, reopen), assignments, kind="deal")


def win(root: str | os.PathLike, deal: str, *, assignments: Assignments = (), reopen: bool = False) -> WriteResult:
    """Close `deal` as won, through the gate of the won stage; a lost deal only with `reopen`."""
    return update_record(Path(root), "win", deal, lambda tx, record, changes: lifecycle.win_edit(
        tx.schema, record, changes, reopen), assignments, kind="deal")


def lose(root: str | os.PathLike, deal: str, reason: str, comment: str, *,
         assignments: Assignments = ()) -> WriteResult:
    """Close an open `deal` as lost with a reason from the schema's list and a comment; records the stage it
    was lost at."""
    return update_record(Path(root), "lose", deal, lambda tx, record, changes: lifecycle.lose_edit(
        tx.schema, record, changes, reason, comment), assignments, kind="deal")


def attach(root: str | os.PathLike, deal: str, file: str | os.PathLike,
           field: str = "acceptance_docs") -> WriteResult:
    """Copy `file` under deals/<id>/ (a safe name, never overwriting a different file) and record its path and
    sha256 in the attachments field `field`; `WriteResult.attached` is the stored path."""
    return _attach(Path(root), deal, Path(file), field)


def _as_asked(tx, record, changes) -> Edit:
    return Edit(changes)
