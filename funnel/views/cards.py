"""Which fields a card shows, and the card as text.

schema.yaml's `card` list says, per kind, which fields a card shows and, for deals, from which stage on a field
is relevant (`from: STAGE`) or in which stages only (`only: [STAGE, …]`):

- an open deal shows an entry once its stage's position reaches the entry's `from` stage; an entry whose `from`
  stage is optional (a step some deals skip) shows only once the deal has been in that stage;
- a lost deal is judged at the stage it was lost from (`lost_at`), so a deal lost at `approval` does not show
  the contract fields; a won deal shows every entry that is not limited by `only`;
- `only: [lost]` entries show only in those stages;
- a contact shows its card list.

A relevant field that is still empty is shown as "—" on an open deal and on a contact: the manager sees what is
still to fill in — unless the schema asks for it but not of this record (gates.excused: the `when` of every
requirement naming it does not hold, as the debt check of a first-time client; or its `any_of` group is met by
another field, as the e-mail of a contact who gave a phone). A closed deal has nothing left to fill in, so its
card shows only the fields that hold values. `--all` shows every field of the schema, empty ones as "—".
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ..model import aging
from ..model.gates import GateContext, excused
from ..model.fieldtypes import labelled, grouped_amount as format_amount
from ..model.timeline import lost_from
from ..output import days_text, display_width, format_table, pad
from ..model.records import Record, Workspace
from ..model.schema import IMPORT_FIELDS, CardEntry, FieldSpec, Schema
from ..valueclass import valueclass

EMPTY = "—"
NEVER = -1
ALWAYS = float("inf")


@valueclass(frozen=True)
class CardField:
    spec: FieldSpec
    value: Any  # None when the record does not hold it


def card_position(record: Record, schema: Schema) -> float:
    """Where the deal stands for the card's `from` entries: its stage's index; for a lost deal the stage it was
    lost from (timeline.lost_from); past every stage for a won deal."""
    stage = schema.stage(record.fields.get("stage") or "")
    if stage is None:
        return NEVER
    if stage.terminal == "won":
        return ALWAYS
    if stage.terminal == "lost":
        lost_at = lost_from(record, schema)
        return lost_at.index if lost_at is not None else NEVER
    return stage.index


def entry_relevant(entry: CardEntry, record: Record, schema: Schema, position: float | None = None) -> bool:
    stage_id = record.fields.get("stage")
    if entry.only:
        return stage_id in entry.only
    if entry.from_stage is None:
        return True
    from_stage = schema.stage(entry.from_stage)
    if from_stage is None:
        return False
    if position is None:
        position = card_position(record, schema)
    if from_stage.optional and stage_id != from_stage.id and not any(
            item.get("stage") == from_stage.id for item in record.fields.get("history") or []):
        return False
    return position >= from_stage.index


def is_closed(record: Record, schema: Schema) -> bool:
    stage = schema.stage(record.fields.get("stage") or "")
    return stage is not None and stage.terminal is not None


def card_fields(record: Record, schema: Schema, show_all: bool = False, context=None) -> list[CardField]:
    """The fields the card shows, in the schema's card order (`show_all`: every field, in schema order).
    `context` (a GateContext) lets a `when` that reads other records (a repeat client) decide; without it such
    a field is kept."""
    kind = schema.kind(record.kind)
    values = record.fields
    if show_all:
        return [CardField(spec, values.get(name)) for name, spec in kind.fields.items() if name not in ("id", "stage")
                and not (name in IMPORT_FIELDS and values.get(name) is None)]  # built in, not a blank to fill
    if record.kind == "deal":
        position = card_position(record, schema)
        chosen = [entry.field for entry in kind.card if entry_relevant(entry, record, schema, position)]
    else:
        chosen = [entry.field for entry in kind.card]
    keep_empty = not (record.kind == "deal" and is_closed(record, schema))
    shown = []
    for name in dict.fromkeys(chosen):
        value = values.get(name)
        if value is None and (not keep_empty or excused(record, name, schema, context)):
            continue
        shown.append(CardField(kind.fields[name], value))
    return shown


# -- the card as text ----------------------------------------------------------------------------------------

def option_text(spec: FieldSpec, value: str) -> str:
    return labelled(spec.options.get(value), value)


def stage_text(schema: Schema, stage_id: str) -> str:
    stage = schema.stage(stage_id)
    return labelled(stage.label if stage is not None else None, stage_id)


def contact_summary(contact: Record | None) -> str:
    """`Иванов Пётр Сергеевич, ООО «Водоканал-Сервис»`: who the deal is with."""
    if contact is None:
        return ""
    parts = [contact.fields.get("name"), contact.fields.get("company")]
    return ", ".join(part.strip() for part in parts if isinstance(part, str) and part.strip())


class WorkspaceCardView:
    """How a stage and a contact read on a card of this workspace (what a field type asks of a card)."""

    def __init__(self, workspace: Workspace):
        self.workspace = workspace

    def stage_text(self, stage_id: str) -> str:
        return stage_text(self.workspace.schema, stage_id)

    def contact_text(self, contact_id: str) -> str:
        contact = self.workspace.contact(contact_id)
        if contact is None:
            return f"{contact_id} (no such contact)"
        summary = contact_summary(contact)
        return f"{contact_id} — {summary}" if summary else contact_id


def value_lines(spec: FieldSpec, value: Any, workspace: Workspace) -> list[str]:
    """A field's value as one or more lines of text (its type says how)."""
    if value is None or value == [] or value == "":
        return [EMPTY]
    return spec.fieldtype.lines(value, WorkspaceCardView(workspace)) or [EMPTY]


def field_lines(record: Record, spec: FieldSpec, value: Any, workspace: Workspace, today: date) -> list[str]:
    """A card's lines for one field; the next action's date says when it is overdue (aging's one rule: never on
    a closed deal)."""
    lines = value_lines(spec, value, workspace)
    if spec.name == aging.NEXT_ACTION_DUE and record.kind == "deal":
        overdue = aging.overdue_days(record, workspace.schema, today)
        if overdue is not None:
            lines[0] += f" (overdue by {days_text(overdue)})"
    return lines


def card_entries(record: Record, workspace: Workspace, today: date, show_all: bool = False,
                 gates: GateContext | None = None) -> list[tuple[str, list[str]]]:
    """(label, value lines) of every line of the card, in order: the stage first for a deal, then its fields
    in use (`show_all`: every field, and keys the schema does not know). The text card and the HTML page both
    lay out these; a page of many cards passes one GateContext (`gates`) for them all, since each builds an
    index of every deal's counterparty."""
    schema = workspace.schema
    labelled: list[tuple[str, list[str]]] = []
    if record.kind == "deal":
        labelled.append(("Stage", [deal_stage_text(record, schema, today)]))
    for shown in card_fields(record, schema, show_all, gates or GateContext.of(workspace)):
        labelled.append((shown.spec.label or shown.spec.name,
                         field_lines(record, shown.spec, shown.value, workspace, today)))
    if show_all:
        for key, value in record.unknown.items():
            labelled.append((f"{key} (not in schema)", [str(value)]))
    return labelled


def card_lines(record: Record, workspace: Workspace, today: date, show_all: bool = False,
               body: str = "") -> list[str]:
    """The text card: a heading, `Label: value` lines aligned in terminal cells, a contact's deals, the body."""
    lines = [f"{record.kind} {record.id}"]
    labelled = card_entries(record, workspace, today, show_all)
    width = max((display_width(label) for label, _ in labelled), default=0) + 2
    for label, values in labelled:
        lines.append(pad(f"{label}:", width) + values[0])
        lines.extend(" " * width + more for more in values[1:])
    if record.kind == "contact":
        lines.extend(contact_deal_lines(record, workspace))
    notes = body_lines(body)
    if notes:
        lines.append("")
        lines.extend(notes)
    return lines


def body_lines(body: str) -> list[str]:
    """A record's Markdown notes as the card shows them: without the blank lines around them, none when blank."""
    text = body.strip("\r\n")
    return [line.rstrip("\r") for line in text.split("\n")] if text.strip() else []


def deal_stage_text(record: Record, schema: Schema, today: date) -> str:
    stage_id = record.fields.get("stage")
    if not stage_id:
        return EMPTY
    text = stage_text(schema, stage_id)
    days = aging.days_in_stage(record, today)
    if days is not None:
        text += f" · {days_text(days)} in stage"
    stale = aging.stale_days(record, schema, today, days)
    if stale is not None:
        text += f" · stale: {days_text(stale)} over the {schema.stage(stage_id).rot_days} allowed"
    return text


def contact_deal_lines(contact: Record, workspace: Workspace) -> list[str]:
    """A contact's deals (every valid deal that names it), in pipeline order."""
    schema = workspace.schema
    deals, _ = workspace.viewable("deal")
    mine = [deal for deal in deals if deal.fields.get("contact") == contact.id]
    if not mine:
        return ["", "Deals: none"]
    mine.sort(key=lambda deal: (stage_order(schema, deal), deal.id))
    rows = []
    for deal in mine:
        stage = schema.stage(deal.fields.get("stage") or "")
        rows.append([deal.id, deal.fields.get("title") or EMPTY, stage.label if stage else EMPTY,
                     format_amount(deal.fields.get("amount"))])
    return ["", f"Deals ({len(mine)}):"] + ["  " + line for line in format_table(rows, right=(False, False, False, True))]


def stage_order(schema: Schema, record: Record) -> int:
    stage = schema.stage(record.fields.get("stage") or "")
    return stage.index if stage is not None else len(schema.stages)


def record_body(root, record: Record) -> str:
    """The Markdown body of one record, read from its file (views keep only the front matter)."""
    from ..frontmatter.reader import record_body as body_of

    try:
        data = (root / record.path).read_bytes()
    except OSError:
        return ""
    return body_of(data)
