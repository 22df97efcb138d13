"""`FIELD=VALUE` from the command line, read by the field's declared type (fieldtypes.py reads the VALUE).

A multi-choice field takes comma-separated options (`categories=small,standard`); a list of objects takes a
JSON value (`proposals='[{"option":"economy","equipment":"Wilo COR-3","price":890000}]'`); dates are
YYYY-MM-DD; amounts are decimals with a `.` (`1250000.50` stays exactly that). A value that does not fit is
refused with the field named. An empty VALUE (`FIELD=`) means "remove the field".
"""

from __future__ import annotations

from typing import Any

from .matching import did_you_mean
from ..errors import UsageError
from .fieldtypes import InvalidValue
from .schema import FieldSpec, Kind

__all__ = ["InvalidValue", "AssignmentSyntaxError", "split_assignment", "field_spec", "parse_value"]


class AssignmentSyntaxError(UsageError):
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
        hint = did_you_mean(name, kind.fields)
        raise InvalidValue(f"unknown field '{name}' for {kind.name}{hint}")
    return spec


def parse_value(spec: FieldSpec, text: str) -> Any:
    """The typed value of `text` for `spec`, or None for an empty text (remove the field)."""
    if text == "":
        return None
    return spec.fieldtype.parse(text)
