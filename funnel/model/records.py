"""Records: typed values read by the schema, and where each came from.

A Record is plain data (it pickles), so a cache can sit under `load_workspace` without changing its callers.
Typing is by the field's declared type only: a string field keeps exactly the characters typed, a decimal is
a `Decimal`, a date a `date`; nothing is guessed from how a value looks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path
from typing import Any

from ..frontmatter.reader import Problem, parse_record_bytes
from .schema import FieldSpec, Kind, Schema

ID_PATTERN = re.compile(r"[a-z0-9-]{3,40}\Z")
DECIMAL = re.compile(r"[-+]?\d+(\.\d+)?\Z")
INTEGER = re.compile(r"[-+]?\d+\Z")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})\Z")
SHA256 = re.compile(r"[0-9a-f]{64}\Z")
PHONE_CHARS = re.compile(r"[0-9 +\-().]+\Z")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.][^@\s]*\Z")
# decimal, integer and date values: the exact form accepted, its conversion, and how a message describes it
NUMBER_FORMS = {
    "decimal": (DECIMAL, Decimal, "a decimal number like 1250000.50"),
    "integer": (INTEGER, int, "a whole number"),
    "date": (DATE, date.fromisoformat, "a date YYYY-MM-DD"),
}


def typed_number(kind: str, text: str):
    """The value of `text` for a decimal, integer or date field, or None when it does not fit the form.
    One reading for files, the command line and FUNNEL_TODAY."""
    pattern, convert, _ = NUMBER_FORMS[kind]
    if not pattern.match(text):
        return None
    try:
        return convert(text)
    except (ValueError, InvalidOperation):
        return None


def text_problem(kind: str, text: str) -> str | None:
    """Why `text` is not a valid phone or e-mail value (None when it is, or for other kinds)."""
    if kind == "phone" and not _is_phone(text):
        return f"'{text}' is not a phone number (digits, spaces and + - ( ) ., 7 to 15 digits)"
    if kind == "email" and not EMAIL.match(text):
        return f"'{text}' is not an e-mail address"
    return None


TEXT_TYPES = frozenset(("string", "text", "email", "phone", "contact", "choice", "loss_reason", "stage"))


@dataclass
class Record:
    kind: str  # "contact" | "deal"
    path: str  # relative to the workspace root, with '/'
    fields: dict[str, Any]  # typed values of the schema's fields (and id, stage, history)
    unknown: dict[str, Any] = field(default_factory=dict)  # keys the schema does not declare, untyped
    positions: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)  # reading and typing problems
    readable: bool = True  # False when no front matter could be read at all
    invalid: set[str] = field(default_factory=set)  # fields whose value was refused while typing
    stat_key: tuple | None = None  # (mtime_ns, ctime_ns, size, inode) of the file when it was read, for the cache

    @cached_property  # read everywhere (lookups, sorting, output); a record's fields are final once read
    def id(self) -> str | None:
        value = self.fields.get("id")
        return value if isinstance(value, str) else None

    @property
    def stem(self) -> str:
        return self.path.rsplit("/", 1)[-1][:-3]

    def where(self, name: str | None = None) -> tuple[int, int]:
        """Line and column to point a message about `name` at (the record's start when it is absent)."""
        if name is not None:
            return self.positions.get((name,), (1, 1))
        return 1, 1



def record_data(record: Record, schema: Schema) -> dict[str, Any]:
    """Every field the record holds, by name, in schema order (id and stage first), then unknown keys:
    the shape of `show --format json`."""
    kind = schema.kind(record.kind)
    data = {name: record.fields[name] for name in kind.fields if name in record.fields}
    data.update(record.unknown)
    return data


# -- typing by the schema -------------------------------------------------------------------------------

class _Typer:
    """Types one record's untyped tree by its kind's fields, collecting problems with positions."""

    def __init__(self, schema: Schema, kind: Kind, positions):
        self.schema = schema
        self.kind = kind
        self.positions = positions
        self.problems: list[Problem] = []
        self.invalid_fields: set[str] = set()

    def problem(self, path, code: str, message: str) -> None:
        self.invalid_fields.add(path[1] if path[0] == "=" else path[0])
        position = self.positions.get(path)
        if position is None and len(path) == 1:
            position = self.positions.get(("=",) + tuple(path))
        while position is None and path:
            path = path[:-1]
            position = self.positions.get(path)
        line, column = position or (1, 1)
        self.problems.append(Problem(line, column, code, message))

    def value_path(self, path):
        return ("=",) + path if len(path) == 1 else path

    def type_value(self, spec: FieldSpec, raw, path, shown: str | None = None):
        """The typed value of `raw`, or None with a problem; `shown` names the value in messages."""
        if raw is None:
            return None
        kind = spec.type
        name = shown or spec.name
        where = self.value_path(path)
        if kind in TEXT_TYPES:
            if not isinstance(raw, str):
                self.problem(where, "type", f"{name}: expected {_a(kind)}, not {_shape(raw)}")
                return None
            if kind in ("choice", "loss_reason", "stage") and raw not in spec.options:
                code = {"stage": "unknown-stage", "loss_reason": "unknown-loss-reason"}.get(kind, "choice")
                self.problem(where, code, f"{name}: '{raw}' is not one of {_listing(spec.options)}")
                return None
            problem = text_problem(kind, raw)
            if problem is not None:
                self.problem(where, "type", f"{name}: {problem}")
            return raw
        if kind in NUMBER_FORMS:
            value = typed_number(kind, raw) if isinstance(raw, str) else None
            if value is None:
                self.problem(where, "type", f"{name}: expected {NUMBER_FORMS[kind][2]}, not {_show(raw)}")
            return value
        if kind == "multichoice":
            items = raw if isinstance(raw, list) else None
            if items is None or not all(isinstance(item, str) for item in items):
                self.problem(where, "type", f"{name}: expected a list of options like [a, b], not {_show(raw)}")
                return None
            for index, item in enumerate(items):
                if item not in spec.options:
                    self.problem(path + (index,), "choice",
                                 f"{name}: '{item}' is not one of {_listing(spec.options)}")
            return [item for item in items if item in spec.options]
        if kind == "objects":
            return self.type_objects(spec, raw, path)
        if kind == "attachments":
            return self.type_attachments(spec, raw, path)
        if kind == "history":
            return self.type_history(spec, raw, path)
        raise AssertionError(f"unhandled field type {kind}")

    def type_objects(self, spec: FieldSpec, raw, path):
        if not isinstance(raw, list):
            self.problem(self.value_path(path), "type", f"{spec.name}: expected a list of {{…}} items, not {_shape(raw)}")
            return None
        items = []
        for index, item in enumerate(raw):
            item_path = path + (index,)
            if not isinstance(item, dict):
                self.problem(item_path, "type", f"{spec.name}[{index + 1}]: expected {{…}} with "
                                                f"{', '.join(spec.subfields)}, not {_shape(item)}")
                continue
            typed = {}
            for key, value in item.items():
                sub = spec.subfields.get(key)
                if sub is None:
                    self.problem(item_path + (key,), "unknown-field",
                                 f"{spec.name}[{index + 1}]: unknown field '{key}' (known: {', '.join(spec.subfields)})")
                    continue
                typed[key] = self.type_value(sub, value, item_path + (key,), f"{spec.name}[{index + 1}]: {key}")
            missing = [name for name in spec.required_subfields if typed.get(name) in (None, "")]
            if missing:
                self.problem(item_path, "missing-field",
                             f"{spec.name}[{index + 1}]: {', '.join(missing)} required")
            items.append(typed)
        return items

    def type_attachments(self, spec: FieldSpec, raw, path):
        if not isinstance(raw, list):
            self.problem(self.value_path(path), "type", f"{spec.name}: expected a list of {{path, sha256}}, not {_shape(raw)}")
            return None
        items = []
        for index, item in enumerate(raw):
            item_path = path + (index,)
            if not (isinstance(item, dict) and isinstance(item.get("path"), str)):
                self.problem(item_path, "type", f"{spec.name}[{index + 1}]: expected {{path, sha256}}")
                continue
            digest = item.get("sha256")
            if not (isinstance(digest, str) and SHA256.match(digest)):
                self.problem(item_path, "type", f"{spec.name}[{index + 1}]: sha256 must be 64 lowercase hex digits")
                digest = None
            extra = set(item) - {"path", "sha256"}
            if extra:
                self.problem(item_path, "unknown-field", f"{spec.name}[{index + 1}]: unknown field {sorted(extra)[0]!r}")
            items.append({"path": item["path"], "sha256": digest})
        return items

    def type_history(self, spec: FieldSpec, raw, path):
        if not isinstance(raw, list):
            self.problem(self.value_path(path), "type", f"history: expected a list of {{stage, at}}, not {_shape(raw)}")
            return None
        entries = []
        for index, item in enumerate(raw):
            item_path = path + (index,)
            if not isinstance(item, dict) or not isinstance(item.get("stage"), str):
                self.problem(item_path, "type", f"history[{index + 1}]: expected {{stage: STAGE, at: TIMESTAMP}}")
                continue
            stage = item["stage"]
            if self.schema.stage(stage) is None:
                self.problem(item_path + ("stage",), "unknown-stage",
                             f"history[{index + 1}]: unknown stage '{stage}'")
            at = item.get("at")
            moment = _datetime(at) if isinstance(at, str) else None
            if moment is None:
                self.problem(item_path + ("at",), "type", f"history[{index + 1}]: 'at' must be an ISO 8601 "
                                                          f"timestamp with offset, like 2026-03-14T10:02:00+03:00, not {_show(at)}")
            entries.append({"stage": stage, "at": moment})
        return entries


def _datetime(text: str) -> datetime | None:
    if not DATETIME.match(text):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _is_phone(text: str) -> bool:
    return bool(PHONE_CHARS.match(text)) and 7 <= sum(ch.isdigit() for ch in text) <= 15


def _a(kind: str) -> str:
    return {"text": "text", "contact": "a contact id", "choice": "one option", "stage": "a stage id",
            "loss_reason": "a loss reason", "email": "an e-mail address", "phone": "a phone number"}.get(kind, "a string")


def _shape(raw) -> str:
    return "a list" if isinstance(raw, list) else "a mapping" if isinstance(raw, dict) else f"'{raw}'"


def _show(raw) -> str:
    return _shape(raw) if not isinstance(raw, str) else f"'{raw}'"


def _listing(options) -> str:
    return ", ".join(options)


def build_record(schema: Schema, kind_name: str, path: str, data: bytes) -> Record:
    """One file's bytes → a Record (never raises for bad content: problems are in the record)."""
    record = _typed_record(schema, kind_name, path, data, all_positions=False)
    if record.problems and record.readable:
        # read again with every position, so messages point at the exact value
        record = _typed_record(schema, kind_name, path, data, all_positions=True)
    return record


def _typed_record(schema: Schema, kind_name: str, path: str, data: bytes, all_positions: bool) -> Record:
    parsed = parse_record_bytes(data, all_positions)
    kind = schema.kind(kind_name)
    record = Record(kind_name, path, {}, positions=parsed.positions, problems=list(parsed.problems))
    if parsed.tree is None:
        record.readable = False
        return record
    typer = _Typer(schema, kind, parsed.positions)
    fields = record.fields
    for key, raw in parsed.tree.items():
        spec = kind.fields.get(key)
        if spec is None:
            record.unknown[key] = raw
            continue
        value = typer.type_value(spec, raw, (key,))
        if value is not None:
            fields[key] = value
    record.problems.extend(typer.problems)
    record.invalid = typer.invalid_fields
    return record


@dataclass
class Workspace:
    root: Path
    schema: Schema
    records: list[Record]

    def __post_init__(self):
        self.by_id: dict[str, list[Record]] = {}
        for record in self.records:
            if record.id is not None:
                self.by_id.setdefault(record.id, []).append(record)

    @property
    def contacts(self) -> list[Record]:
        return [record for record in self.records if record.kind == "contact"]

    @property
    def deals(self) -> list[Record]:
        return [record for record in self.records if record.kind == "deal"]

    def viewable(self, kind: str | None = None) -> tuple[list[Record], list[Record]]:
        """(records a view can show, records it must skip). A record is skipped when it could not be read
        or a value could not be typed; a deal that merely misses a gate is still shown."""
        shown, skipped = [], []
        for record in self.records:
            if kind is not None and record.kind != kind:
                continue
            broken = not record.readable or record.id is None or any(
                problem.severity == "error" for problem in record.problems)
            (skipped if broken else shown).append(record)
        return shown, skipped

    def contact(self, contact_id: str) -> Record | None:
        for record in self.by_id.get(contact_id, ()):
            if record.kind == "contact":
                return record
        return None
