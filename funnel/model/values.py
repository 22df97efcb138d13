"""`FIELD=VALUE` from the command line, read by the field's declared type.

A multi-choice field takes comma-separated options (`categories=small,standard`); a list of objects takes a
JSON value (`proposals='[{"option":"economy","equipment":"Wilo COR-3","price":890000}]'`); dates are
YYYY-MM-DD; amounts are decimals with a `.` (`1250000.50` stays exactly that). A value that does not fit is
refused with the field named. An empty VALUE (`FIELD=`) means "remove the field".
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from .records import NUMBER_FORMS, SHA256, text_problem, typed_number
from .schema import FieldSpec, Kind
from ..errors import FunnelError


class ValueError_(FunnelError, ValueError):
    """A value from the command line that does not fit its field; the message names the field."""


class AssignmentSyntaxError(ValueError_):
    """An argument that is not FIELD=VALUE at all: a usage error (exit 2), not a refused value."""


def split_assignment(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise AssignmentSyntaxError(f"'{text}' is not FIELD=VALUE")
    return name, value


def field_spec(kind: Kind, name: str) -> FieldSpec:
    spec = kind.fields.get(name)
    if spec is None:
        import difflib

        close = difflib.get_close_matches(name, kind.fields, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise ValueError_(f"unknown field '{name}' for {kind.name}{hint}")
    return spec


def parse_value(spec: FieldSpec, text: str) -> Any:
    """The typed value of `text` for `spec`, or None for an empty text (remove the field)."""
    name = spec.name
    kind = spec.type
    if text == "":
        return None
    if kind in ("string", "text", "contact"):
        return text
    if kind in ("phone", "email"):
        problem = text_problem(kind, text)
        if problem is not None:
            raise ValueError_(f"{name}: {problem}")
        return text
    if kind in ("choice", "loss_reason", "stage"):
        if text not in spec.options:
            raise ValueError_(f"{name}: '{text}' is not one of {', '.join(spec.options)}")
        return text
    if kind == "multichoice":
        items = [item.strip() for item in text.split(",") if item.strip()]
        wrong = [item for item in items if item not in spec.options]
        if wrong:
            raise ValueError_(f"{name}: '{wrong[0]}' is not one of {', '.join(spec.options)}")
        return list(dict.fromkeys(items))
    if kind in NUMBER_FORMS:
        value = typed_number(kind, text)
        if value is None:
            raise ValueError_(f"{name}: '{text}' is not {NUMBER_FORMS[kind][2]}")
        return value
    if kind in ("objects", "attachments"):
        return parse_objects(spec, text)
    raise ValueError_(f"{name}: cannot be set from the command line")


def parse_objects(spec: FieldSpec, text: str) -> list[dict]:
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise ValueError_(f"{spec.name}: not a JSON list of objects ({exc.msg} at character {exc.pos + 1})")
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ValueError_(f"{spec.name}: expected a JSON list of objects like '[{{\"option\": …}}]'")
    if spec.type == "attachments":
        for item in data:
            if set(item) != {"path", "sha256"} or not isinstance(item["path"], str) \
                    or not (isinstance(item["sha256"], str) and SHA256.match(item["sha256"])):
                raise ValueError_(f"{spec.name}: each item is {{\"path\": …, \"sha256\": 64 hex digits}}; "
                                  "use 'funnel attach' to add a file")
        return data
    items = []
    for index, item in enumerate(data, 1):
        typed = {}
        for key, value in item.items():
            sub = spec.subfields.get(key)
            if sub is None:
                raise ValueError_(f"{spec.name}[{index}]: unknown field '{key}' (known: {', '.join(spec.subfields)})")
            if value is None:
                continue
            if isinstance(value, bool) or isinstance(value, (list, dict)):
                raise ValueError_(f"{spec.name}[{index}].{key}: expected a single value")
            if sub.type in ("decimal", "integer") and isinstance(value, (int, Decimal)):
                value = str(value)
            if not isinstance(value, str):
                raise ValueError_(f"{spec.name}[{index}].{key}: expected text")
            try:
                typed[key] = parse_value(sub, value)
            except ValueError_ as exc:
                raise ValueError_(f"{spec.name}[{index}].{exc}") from None
        missing = [name for name in spec.required_subfields if typed.get(name) in (None, "")]
        if missing:
            raise ValueError_(f"{spec.name}[{index}]: {', '.join(missing)} required")
        items.append(typed)
    return items


def parse_assignments(kind: Kind, assignments: list[str], protected: tuple[str, ...] = ()) -> dict[str, Any]:
    """{field: typed value or None} from FIELD=VALUE texts; protected fields are refused."""
    changes: dict[str, Any] = {}
    for text in assignments:
        name, raw = split_assignment(text)
        if name in protected:
            raise ValueError_(f"'{name}' cannot be set directly" + (
                "; stages change with 'funnel move', 'win' or 'lose'" if name in ("stage", "history") else ""))
        changes[name] = parse_value(field_spec(kind, name), raw)
    return changes
