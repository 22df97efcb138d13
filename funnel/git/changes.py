"""What changed in one record between two versions of its file: every field old → new, in the schema's labels.

`value_text` and `same_value` are the one place this package asks how a field's value reads for people and
when two values are equal; history, diff and textconv all go through them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..model.records import Record
from ..model.schema import FieldSpec, Schema
from ..output import format_amount, to_json_value
from ..views.cards import option_text, stage_text

EMPTY = "—"
BODY = "body"
BODY_LABEL = "Notes"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` with control characters shown as `\\xNN`: a file from anyone never drives the terminal."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def same_value(spec: FieldSpec | None, old: Any, new: Any) -> bool:
    """Whether two typed values of a field are the same value (empty and absent are the same)."""
    if old in (None, "", []) and new in (None, "", []):
        return True
    return old == new


def value_text(spec: FieldSpec | None, value: Any, schema: Schema) -> str:
    """One typed value as one line for people: labels for stages and options, grouped amounts, ISO dates."""
    if value is None or value == "" or value == []:
        return EMPTY
    kind = spec.type if spec is not None else None
    if kind in ("choice", "loss_reason"):
        return printable(option_text(spec, value))
    if kind == "stage":
        return printable(stage_text(schema, value))
    if kind == "multichoice":
        return printable(", ".join(option_text(spec, item) for item in value))
    if kind == "decimal":
        return format_amount(value)
    if kind == "objects":
        return "; ".join(item_text(spec, item, schema) for item in value)
    if kind == "attachments":
        return ", ".join(printable(str(item.get("path", ""))) for item in value)
    if kind == "history":
        return "; ".join(history_text(entry, schema) for entry in value)
    if isinstance(value, str):
        return printable(" ⏎ ".join(value.rstrip("\n").split("\n")))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (list, dict)):
        return printable(str(to_json_value(value)))
    return printable(str(value))


def item_text(spec: FieldSpec, item: dict, schema: Schema) -> str:
    """One item of a list of objects: its sub-values in the schema's order, `·`-separated."""
    return " · ".join(value_text(spec.subfields.get(key), item[key], schema)
                      for key in spec.subfields if item.get(key) not in (None, ""))


def history_text(entry: dict, schema: Schema) -> str:
    at = entry.get("at")
    when = at.isoformat(sep=" ", timespec="minutes") if at is not None else "?"
    return f"{when} {printable(stage_text(schema, entry.get('stage') or '?'))}"


@dataclass(frozen=True)
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
    label = printable((spec.label if spec is not None and spec.label else None) or name)
    kind = spec.type if spec is not None else None
    if kind in ("objects", "attachments", "history") and isinstance(old or [], list) and isinstance(new or [], list):
        lines = tuple(f"{label}: {line}" for line in _item_lines(spec, old or [], new or [], schema))
    else:
        lines = (f"{label}: {value_text(spec, old, schema)} → {value_text(spec, new, schema)}",)
    return FieldChange(name, label, old, new, lines)


def _item_lines(spec: FieldSpec, old: list, new: list, schema: Schema) -> list[str]:
    """Items added, removed and changed: items equal on both sides are left out; the others are paired in
    order as changed, the surplus added or removed."""
    def text(item):
        if spec.type == "objects" and isinstance(item, dict):
            return item_text(spec, item, schema)
        if spec.type == "history" and isinstance(item, dict):
            return history_text(item, schema)
        if isinstance(item, dict):
            return printable(str(item.get("path", item)))
        return printable(str(item))

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
