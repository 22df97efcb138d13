"""An import: a source's rows → new and updated records → one batch write, all or nothing.

Everything is judged before anything is written: each cell by its field's type, each row's keys and history,
then every record together against the workspace as it will be (the batch). Any problem anywhere refuses the
whole import, naming every bad row as `FILE:LINE: field: message`. The workspace is read once, under the lock
the write then holds: a 10,000-row import never re-reads it per row.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import PurePath
from typing import Any, Callable

from ..errors import FunnelError, UsageError
from ..model import clock
from ..model.gates import normalize_text
from ..model.records import Record
from ..model.schema import LOST_AT, Kind, Schema
from ..writing.batch import Batch, BatchRefused, NewRecord, RecordUpdate
from .cells import CellError, CellReader, fold
from .mapping import BODY, ImportOptions, Mapping, build_mapping
from .sources import Row, read_table
from ..valueclass import field, valueclass

Ticker = Callable[[int], None]
ProgressFor = Callable[[int], Ticker]
DERIVED = ("created", "imported_from", "imported_at")  # set only when a record is created


class ImportRefused(FunnelError):
    """Rows that do not fit: nothing was written. `problems` are `FILE:LINE: field: message` lines."""

    def __init__(self, problems: list[str], rows: int, unmapped: list[str]):
        super().__init__(f"import refused, nothing written: {len(problems)} problem(s) in {rows} row(s)")
        self.problems = problems
        self.unmapped = unmapped  # columns feeding nothing: often why a field is "required"


@valueclass
class Planned:
    action: str  # "create" | "update" | "unchanged"
    line: int
    record_id: str | None = None
    path: str | None = None
    fields: list[str] = field(default_factory=list)  # what an update changes

    def __init__(self, action, line, record_id=None, path=None, fields=None):  # one per row: written out
        self.action = action
        self.line = line
        self.record_id = record_id
        self.path = path
        self.fields = [] if fields is None else fields


@valueclass
class ImportSummary:
    created: int
    updated: int
    unchanged: int
    written: bool
    dry_run: bool
    unmapped: list[str]
    records: list[Planned]


def import_records(root, data: bytes, source_name: str, options: ImportOptions, input_format: str | None = None,
                   encoding: str | None = None, progress_for: ProgressFor | None = None,
                   before_write: Callable[[list[str]], None] | None = None) -> ImportSummary:
    """Import `data` (the bytes of `source_name`, "stdin" for a pipe) into the workspace at `root`.
    `before_write(paths)`: a last refusal once everything is valid (see Batch.write)."""
    table = read_table(data, source_name, input_format, encoding)
    with Batch(root) as batch:
        mapping = build_mapping(batch.schema, table.columns, options)
        tick = progress_for(len(table.rows) * 3) if progress_for is not None and table.rows else (lambda n: None)
        plan = _RowPlanner(batch, mapping, options, source_name)
        for row in table.rows:
            plan.row(row)
            tick(1)
        problems = [(line, message) for line, message in plan.problems]
        try:
            result = batch.write(plan.creates, plan.updates, dry_run=options.dry_run or bool(problems),
                                 progress=tick, before_write=before_write)
        except BatchRefused as refused:
            problems += [(problem.origin, problem.message) for problem in refused.problems]
            result = None
        if problems:
            problems.sort(key=lambda item: item[0])
            raise ImportRefused([f"{source_name}:{line}: {message}" for line, message in problems],
                                len({line for line, _ in problems}), mapping.unmapped)
    for planned, item in zip([p for p in plan.planned if p.action == "create"], plan.creates):
        planned.record_id = item.values["id"]
        planned.path = f"{'contacts' if item.kind == 'contact' else 'deals'}/{item.values['id']}.md"
    counts = {action: sum(1 for p in plan.planned if p.action == action) for action in ("create", "update",
                                                                                       "unchanged")}
    return ImportSummary(counts["create"], counts["update"], counts["unchanged"], result.written,
                         options.dry_run, mapping.unmapped, plan.planned)


class _RowPlanner:
    """Turns rows into NewRecord / RecordUpdate values, collecting every row's problems."""

    def __init__(self, batch: Batch, mapping: Mapping, options: ImportOptions, source_name: str):
        self.batch = batch
        self.schema: Schema = batch.schema
        self.kind: Kind = self.schema.kind(options.kind)
        self.mapping = mapping
        self.options = options
        self.moment = clock.now()  # `imported_at`, and no history date may be as late
        # a stage entered "now" (no date in the file): the second before `imported_at`, so that a write right
        # after the import (timestamps are whole seconds) never ties with it (gates.historical_exemption)
        self.entered = self.moment - timedelta(seconds=1)
        self.source = "stdin" if source_name in ("-", "stdin") else PurePath(source_name).name
        records = [record for record in batch.workspace.records if record.kind == options.kind
                   and record.id is not None]
        lookup = None
        if options.contact_key:
            lookup = _contact_lookup(batch.workspace.contacts, _key_field(self.schema.contacts, options.contact_key))
        self.reader = CellReader(self.schema, mapping.translations, options.date_format, options.decimal_comma,
                                 lookup)
        self.constants = {}
        for name, text in mapping.constants.items():
            try:
                value = self.reader.read(self.kind.fields[name], text) if name != BODY else text
            except CellError as exc:
                raise UsageError(f"--set {name}: {exc}") from None
            if value is not None:
                self.constants[name] = value
        self.key = options.key and _key_field(self.kind, options.key)
        self.key_index: dict[Any, list[Record]] = {}
        if self.key:
            for record in records:
                value = record.fields.get(self.key)
                if value is not None:
                    self.key_index.setdefault(key_form(value), []).append(record)
        self.seen_keys: dict[Any, int] = {}
        self.problems: list[tuple[int, str]] = []
        self.creates: list[NewRecord] = []
        self.updates: list[RecordUpdate] = []
        self.planned: list[Planned] = []

    def fail(self, row: Row, message: str) -> None:
        self.problems.append((row.line, message))

    # -- one row ---------------------------------------------------------------------------------------------
    def row(self, row: Row) -> None:
        before = len(self.problems)
        values: dict[str, Any] = {}
        body = ""
        for name, column in self.mapping.fields.items():
            raw = row.cells.get(column)
            if name == BODY:
                body = raw if isinstance(raw, str) else ""
                continue
            try:
                value = self.reader.read(self.kind.fields[name], raw)
            except CellError as exc:
                self.fail(row, f"{name}: {exc}")
                continue
            if value is not None:
                values[name] = value
        for name, value in self.constants.items():
            if name == BODY:
                body = body or value
            else:
                values.setdefault(name, value)
        existing = self.match_key(row, values)
        dated = self.dated_history(row, values) if self.options.kind == "deal" else []
        if len(self.problems) > before:
            return
        if existing is not None:
            self.update(row, existing, values, dated)
        else:
            self.create(row, values, dated, body)

    def match_key(self, row: Row, values: dict) -> Record | None:
        if not self.key:
            return None
        value = values.get(self.key)
        if value is None:
            if not any(message.startswith(f"{self.key}:") for line, message in self.problems if line == row.line):
                self.fail(row, f"{self.key}: empty, but it is the key (--key {self.key})")
            return None
        form = key_form(value)
        shown = _shown(value)
        if form in self.seen_keys:
            self.fail(row, f"{self.key}: '{shown}' repeats the key of line {self.seen_keys[form]}")
            return None
        self.seen_keys[form] = row.line
        matches = self.key_index.get(form, [])
        if len(matches) > 1:
            self.fail(row, f"{self.key}: '{shown}' matches {len(matches)} records "
                           f"({', '.join(record.id for record in matches)})")
            return None
        return matches[0] if matches else None

    def dated_history(self, row: Row, values: dict) -> list[dict]:
        """The history entries the --history columns give this row, in time order (schema order on ties)."""
        stage = self.schema.stage(values.get("stage") or self.schema.first_stage.id)
        entries = []
        for entered, column in self.mapping.history:
            raw = row.cells.get(column)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            if entered.terminal is not None and entered is not stage:
                continue  # a won date on a lost deal: that stage was never entered
            if stage.terminal is None and entered.index > stage.index:
                self.fail(row, f"history: {column} gives a date for stage '{entered.id}', later than the "
                               f"deal's stage '{stage.id}'")
                continue
            try:
                at = self.reader.moment(raw)
            except CellError as exc:
                self.fail(row, f"{column}: {exc}")
                continue
            if at >= self.moment:
                self.fail(row, f"{column}: {at.isoformat()} is not before the import")
                continue
            entries.append({"stage": entered.id, "at": at, "_index": entered.index})
        entries.sort(key=lambda entry: (entry["at"], entry["_index"]))
        for entry in entries:
            del entry["_index"]
        return entries

    def create(self, row: Row, values: dict, dated: list[dict], body: str) -> None:
        if self.options.kind == "deal":
            stage = self.schema.stage(values.setdefault("stage", self.schema.first_stage.id))
            if "history" not in values:
                history = list(dated)
                if not any(entry["stage"] == stage.id for entry in history):
                    history.append({"stage": stage.id, "at": self.entered})
                values["history"] = history
            if "created" in self.kind.fields and "created" not in values:
                dates = [entry["at"] for entry in values["history"] if isinstance(entry.get("at"), datetime)]
                values["created"] = min(dates).date() if dates else self.entered.date()
            if stage.terminal == "lost" and LOST_AT in self.kind.fields and LOST_AT not in values:
                lost_from = _last_active_stage(self.schema, values["history"])
                if lost_from is not None:
                    values[LOST_AT] = lost_from
        if self.options.historical:
            values.setdefault("imported_from", self.source)
            values.setdefault("imported_at", self.moment)
        self.creates.append(NewRecord(self.options.kind, values, body, row.line))
        self.planned.append(Planned("create", row.line, values.get("id")))

    def update(self, row: Row, record: Record, values: dict, dated: list[dict]) -> None:
        if "id" in values and values["id"] != record.id:
            self.fail(row, f"id: '{values['id']}' differs from '{record.id}', the record whose "
                           f"{self.key} matches")
            return
        changes = {}
        for name, value in values.items():
            if name in DERIVED and name != "created" or name in ("id", "history"):
                continue
            if name == "created" and "created" not in self.mapping.fields:
                continue
            if record.fields.get(name) != value:
                changes[name] = value
        appended: list[dict] = []
        new_stage = changes.get("stage")
        if new_stage is not None:
            known = {(entry.get("stage"), entry.get("at")) for entry in record.fields.get("history") or ()}
            last = max((entry.get("at") for entry in record.fields.get("history") or ()
                        if isinstance(entry.get("at"), datetime)), default=None)
            appended = [entry for entry in dated if (entry["stage"], entry["at"]) not in known
                        and (last is None or entry["at"] >= last)]
            if not any(entry["stage"] == new_stage for entry in appended):
                appended.append({"stage": new_stage, "at": self.entered})
            stage = self.schema.stage(new_stage)
            current = self.schema.stage(record.fields.get("stage") or "")
            if stage.terminal == "lost" and LOST_AT in self.kind.fields and LOST_AT not in values \
                    and current is not None and current.terminal is None:
                changes[LOST_AT] = current.id
        if not changes and not appended:
            self.planned.append(Planned("unchanged", row.line, record.id, record.path))
            return
        self.updates.append(RecordUpdate(record, changes, appended, row.line))
        self.planned.append(Planned("update", row.line, record.id, record.path, list(changes)))


def _last_active_stage(schema: Schema, history: list[dict]) -> str | None:
    found = None
    for entry in history:
        stage = schema.stage(entry.get("stage") or "")
        if stage is not None and stage.terminal is None:
            found = stage.id
    return found


def _key_field(kind: Kind, name: str) -> str:
    from .mapping import find_field

    return find_field(kind, name) or name


def key_form(value: Any) -> Any:
    """How two key values compare: text folded (case, spaces), numbers by value, lists item by item."""
    if isinstance(value, str):
        return fold(value)
    if isinstance(value, Decimal):
        return value.normalize()
    if isinstance(value, list):
        return tuple(key_form(item) for item in value)
    if isinstance(value, dict):
        return tuple(sorted((key, key_form(item)) for key, item in value.items()))
    return value


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _contact_lookup(contacts: list[Record], field_name: str) -> Callable[[str], str]:
    """contact-key value -> the one contact id holding it (compared trimmed, white space collapsed,
    case-folded); a CellError for no match or several."""
    index: dict[str, list[str]] = {}
    for contact in contacts:
        if contact.id is None:
            continue
        value = contact.fields.get(field_name)
        if value is not None:
            index.setdefault(normalize_text(value), []).append(contact.id)

    def lookup(text: str) -> str:
        ids = index.get(normalize_text(text), [])
        if not ids:
            raise CellError(f"no contact whose {field_name} is '{text}'")
        if len(ids) > 1:
            raise CellError(f"{len(ids)} contacts have {field_name} '{text}' ({', '.join(ids[:5])})")
        return ids[0]

    return lookup
