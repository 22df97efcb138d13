"""One cell of a source → the typed value of its field, or a CellError saying why not.

Source cells are text (CSV) or JSON values. Before typing, a cell is made funnel's own form: a `--value`
translation, a stage or choice matched by id or by label (case-insensitively, in any language), a date read
with `--date-format`, a number with `--decimal-comma`, a JSON number as the exact decimal it spells. The
typing itself is the field type's own reading of a text value (`model/fieldtypes.py`), the same as for
`--set FIELD=VALUE`, so an imported value is exactly what a command line would accept.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Callable

from ..model.fieldtypes import InvalidValue, read_timestamp
from ..model.matching import is_blank, normal_form
from ..model.records import ID_PATTERN
from ..model.schema import FieldSpec, Schema

SPACES = re.compile(r"[\s\u00a0\u202f\u2009']+")
OPTION_TYPES = ("choice", "stage", "loss_reason")


class CellError(Exception):
    """A cell that does not fit its field; the message does not repeat the field's name."""


def fold(text: str) -> str:
    """How column names, labels and options compare: as every name does (matching.normal_form: NFKC,
    case-folded, spaces collapsed), with `_` as a space (`sales_agent` names the label "Sales agent")."""
    return normal_form(text.replace("_", " "))


class CellReader:
    """Reads cells for one kind of record under one import's options."""

    def __init__(self, schema: Schema, translations: dict[str, dict[str, str]], date_format: str | None,
                 decimal_comma: bool, contact_lookup: Callable[[str], str] | None = None):
        self.schema = schema
        self.translations = {name: (table, {fold(source): target for source, target in table.items()})
                             for name, table in translations.items()}
        self.date_format = date_format
        self.decimal_comma = decimal_comma
        self.contact_lookup = contact_lookup
        self._options: dict[str, dict[str, str]] = {}
        self._moments: dict[str, datetime] = {}
        self._dates: dict[str, date] = {}

    def read(self, spec: FieldSpec, raw: Any) -> Any:
        """The typed value of `raw` for `spec`, None for an empty cell; CellError when it does not fit."""
        if raw is None or (isinstance(raw, str) and is_blank(raw)):
            return None
        if isinstance(raw, bool):
            raise CellError(f"expected {spec.type}, not {str(raw).lower()}")
        if isinstance(raw, str) and spec.name in self.translations:
            exact, folded = self.translations[spec.name]
            raw = exact.get(raw, folded.get(fold(raw), raw))
        kind = spec.type
        if spec.name == "id":
            return self.read_id(raw)
        if kind in OPTION_TYPES:
            return self.option(spec, self.text(raw))
        if kind == "multichoice":
            items = raw if isinstance(raw, list) else self.text(raw).split(",")
            chosen = [self.option(spec, self.text(item)) for item in items if self.text(item).strip()]
            return list(dict.fromkeys(chosen)) or None
        if kind in ("decimal", "integer"):
            return self.number(spec, raw)
        if kind == "date":
            return self.date(raw)
        if kind == "contact":
            text = self.text(raw).strip()
            return self.contact_lookup(text) if self.contact_lookup is not None else text
        if kind in ("objects", "attachments"):
            return self.objects(spec, raw)
        if kind == "history":
            return self.history(raw)
        if spec.name == "imported_at":
            return self.timestamp(self.text(raw).strip())
        text = self.text(raw)
        return self.parse(spec, text.strip() if kind in ("email", "phone") else text)

    # -- by type -----------------------------------------------------------------------------------------
    def text(self, raw: Any) -> str:
        if isinstance(raw, str):
            return raw
        if isinstance(raw, Decimal):
            return format(raw, "f")
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            return str(raw)
        raise CellError(f"expected text, not {'a list' if isinstance(raw, list) else 'an object'}")

    def parse(self, spec: FieldSpec, text: str) -> Any:
        try:
            return spec.fieldtype.parse(text)
        except InvalidValue as exc:
            message = str(exc)
            prefix = f"{spec.name}: "
            raise CellError(message[len(prefix):] if message.startswith(prefix) else message) from None

    def read_id(self, raw: Any) -> str:
        text = self.text(raw).strip()
        if not ID_PATTERN.match(text):
            raise CellError(f"'{text}' is not a funnel id (3 to 40 lowercase letters, digits or '-')")
        return text

    def options(self, spec: FieldSpec) -> dict[str, str]:
        """folded id or label -> option id, for a choice, stage or loss-reason field."""
        table = self._options.get(spec.name)
        if table is None:
            if spec.type == "stage":
                pairs = [(stage.id, stage.label) for stage in self.schema.stages]
            else:
                pairs = list(spec.options.items())
            table = {}
            for option, label in pairs:
                table.setdefault(fold(label), option)
            for option, _ in pairs:
                table[fold(option)] = option  # an id wins over another option's label
            self._options[spec.name] = table
        return table

    def option(self, spec: FieldSpec, text: str) -> str:
        text = text.strip()
        if text in spec.options:
            return text
        found = self.options(spec).get(fold(text))
        if found is None:
            shown = ", ".join(spec.options)
            hint = f" (translate it: --value {spec.name}:{text}=ID)"
            raise CellError(f"'{text}' is not one of {shown}{hint}")
        return found

    def number(self, spec: FieldSpec, raw: Any) -> Any:
        if isinstance(raw, Decimal):
            text = format(raw, "f")
        else:
            original = self.text(raw)
            text = original.strip()
            if self.decimal_comma:
                text = SPACES.sub("", text).replace(".", "").replace(",", ".")
        try:
            return spec.fieldtype.parse(text)
        except InvalidValue:
            shown = raw if isinstance(raw, str) else text
            what = "a whole number" if spec.type == "integer" else "a number"
            raise CellError(f'not {what}: "{shown}"') from None

    def date(self, raw: Any) -> date:
        text = self.text(raw).strip()
        known = self._dates.get(text)
        if known is None:
            known = self._dates[text] = self._date(text)
        return known

    def _date(self, text: str) -> date:
        if self.date_format:
            try:
                return datetime.strptime(text, self.date_format).date()
            except ValueError:
                raise CellError(f'not a date in the form {self.date_format}: "{text}"') from None
        try:
            return date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else _fail()
        except ValueError:
            raise CellError(f'not a date YYYY-MM-DD: "{text}" (give the form with --date-format)') from None

    def moment(self, raw: Any) -> datetime:
        """A history date: a timestamp with offset, or a date (in --date-format or ISO) meaning 00:00 UTC."""
        text = self.text(raw).strip()
        known = self._moments.get(text)
        if known is None:
            known = self._moments[text] = self._moment(text)  # dates repeat across thousands of rows
        return known

    def _moment(self, text: str) -> datetime:
        moment = read_timestamp(text)
        if moment is not None:
            return moment
        if self.date_format:
            try:
                parsed = datetime.strptime(text, self.date_format)
            except ValueError:
                raise CellError(f'not a date in the form {self.date_format}: "{text}"') from None
            return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)
        day = self._date(text)
        return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)

    def timestamp(self, text: str) -> datetime:
        moment = read_timestamp(text)
        if moment is not None:
            return moment
        raise CellError(f"expected a timestamp with offset like 2026-03-14T10:02:00+00:00, not '{text}'")

    def objects(self, spec: FieldSpec, raw: Any) -> list[dict] | None:
        text = raw if isinstance(raw, str) else json.dumps(_plain(raw), ensure_ascii=False)
        try:
            items = spec.fieldtype.parse(text)
        except InvalidValue as exc:
            message = str(exc)
            raise CellError(message[len(spec.name):].lstrip(": ") if message.startswith(spec.name) else message) \
                from None
        return items or None

    def history(self, raw: Any) -> list[dict] | None:
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError:
                raise CellError("expected a JSON list of {stage, at}") from None
        if not isinstance(raw, list):
            raise CellError("expected a list of {stage, at}")
        entries = []
        for index, item in enumerate(raw, 1):
            if not isinstance(item, dict) or not isinstance(item.get("stage"), str) or "at" not in item:
                raise CellError(f"[{index}]: expected {{stage, at}}")
            stage = self.schema.stage(item["stage"])
            if stage is None:
                raise CellError(f"[{index}]: unknown stage '{item['stage']}'")
            moment = read_timestamp(item["at"]) if isinstance(item["at"], str) else None
            if moment is None:
                raise CellError(f"[{index}]: 'at' must be a timestamp with offset, not '{item['at']}'")
            entry = {"stage": stage.id, "at": moment}
            entry.update({key: value for key, value in item.items() if key not in ("stage", "at")
                          and isinstance(value, str)})
            entries.append(entry)
        return entries or None


def _fail():
    raise ValueError


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value
