"""What changed in one record between two versions of its file: every field old → new, in the schema's labels.

`value_text`, `item_text` and `same_value` are where history, diff and textconv ask how a value reads for
people and when two values are equal; each asks the field's type (funnel.model.fieldtypes).
"""

from __future__ import annotations

from typing import Any

from ..model.records import Record
from ..model.schema import FieldSpec, Schema
from ..output import terminal_safe, to_json_value
from ..views.cards import stage_text
from ..valueclass import valueclass

EMPTY = "—"
BODY = "body"
BODY_LABEL = "Notes"


def same_value(spec: FieldSpec | None, old: Any, new: Any) -> bool:
    """Whether two typed values of a field say the same thing (empty and absent are the same); the field's
    type decides (a multi-choice field's order does not matter)."""
    if old in (None, "", []) and new in (None, "", []):
        return True
    if spec is None:
        return old == new
    return spec.fieldtype.equal(old, new)


class ReviewView:
    """How stages and contacts read in a review: stage labels from the schema, a contact as its id only (so a
    line depends on the record file alone, never on another file or on the day)."""

    def __init__(self, schema: Schema):
        self.schema = schema

    def stage_text(self, stage_id: str) -> str:
        return stage_text(self.schema, stage_id)

    def contact_text(self, contact_id: str) -> str:
        return contact_id


def value_text(spec: FieldSpec | None, value: Any, schema: Schema) -> str:
    """One typed value as one line for people, as its field type writes it (labels for stages and options,
    grouped amounts, ISO dates); the lines of a longer value joined by ` ⏎ `."""
    if value is None or value == "" or value == []:
        return EMPTY
    if spec is None:
        return terminal_safe(str(to_json_value(value)))
    return terminal_safe(" ⏎ ".join(spec.fieldtype.lines(value, ReviewView(schema))))


def item_text(spec: FieldSpec, item: Any, schema: Schema) -> str:
    """One item of a list field (a proposal, an attachment, a history entry, an option) as one line."""
    return terminal_safe(spec.fieldtype.item_text(item, ReviewView(schema)))


@valueclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: Any  # the typed value (None: absent)
    new: Any
    lines: tuple[str, ...]  # for people: `Label: old → new`, or one line per list item added/removed/changed

    def as_json(self) -> dict:
        return {"field": self.field, "label": self.label, "old": to_json_value(self.old),
                "new": to_json_value(self.new)}


def field_change(spec: FieldSpec | None, name: str, old: Any, new: Any, schema: Schema) -> FieldChange:
    label = terminal_safe((spec.label if spec is not None and spec.label else None) or name)
    if spec is not None and spec.fieldtype.itemized and isinstance(old or [], list) and isinstance(new or [], list):
        lines = tuple(f"{label}: {line}" for line in _item_lines(spec, old or [], new or [], schema))
    else:
        lines = (f"{label}: {value_text(spec, old, schema)} → {value_text(spec, new, schema)}",)
    return FieldChange(name, label, old, new, lines)


def _item_lines(spec: FieldSpec, old: list, new: list, schema: Schema) -> list[str]:
    """Items added, removed and changed: items equal on both sides are left out; the others are paired in
    order as changed, the surplus added or removed."""
    def text(item):
        return item_text(spec, item, schema)

    remaining_new = list(new)
    gone = []
    for item in old:
        if item in remaining_new:
            remaining_new.remove(item)
        else:
            gone.append(item)
    lines = [f"~ {text(before)} → {text(after)}" for before, after in zip(gone, remaining_new)]
    lines += [f"- {text(item)}" for item in gone[len(remaining_new):]]
    lines += [f"+ {text(item)}" for item in remaining_new[len(gone):]]
    return lines


def record_changes(schema: Schema, old: Record | None, new: Record | None, old_body: str = "",
                   new_body: str = "") -> list[FieldChange]:
    """Every field whose value differs between two versions of one record (either may be None: absent), in
    schema order, then keys the schema does not declare, then the body."""
    kind_name = (new or old).kind
    kind = schema.kind(kind_name)
    old_values = _values(old)
    new_values = _values(new)
    names = list(kind.fields)
    if old is None or new is None:
        names.remove("id")  # a record added or removed: its id heads the entry, it is no change of a value
    names += [name for name in dict.fromkeys([*old_values, *new_values]) if name not in kind.fields]
    changes = []
    for name in names:
        spec = kind.fields.get(name)
        before, after = old_values.get(name), new_values.get(name)
        if not same_value(spec, before, after):
            changes.append(field_change(spec, name, before, after, schema))
    if old_body.strip() != new_body.strip():
        changes.append(_body_change(old_body, new_body))
    return changes


def _values(record: Record | None) -> dict[str, Any]:
    if record is None:
        return {}
    return {**record.unknown, **record.fields}


def _body_change(old_body: str, new_body: str) -> FieldChange:
    old_lines = old_body.strip("\n").splitlines()
    new_lines = new_body.strip("\n").splitlines()
    added = len([line for line in new_lines if line not in old_lines])
    removed = len([line for line in old_lines if line not in new_lines])
    return FieldChange(BODY, BODY_LABEL, old_body, new_body, (f"{BODY_LABEL}: changed (+{added} −{removed} lines)",))
