"""`funnel list`: the records a list shows, their columns, the order of their rows and each row's content."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Iterable

from ..errors import UsageError
from ..model.records import records_data
from ..store.cache import field_values
from ..valueclass import valueclass
from .query import (Column, ViewContext, columns, default_columns, select, unmatched_notes, view_conditions,
                    viewable)

@valueclass(frozen=True)
class Listing:
    rows: Sequence[dict[str, Any]]  # one per record, in the list's order (whole rows: made as read)
    columns: list[Column]  # what the rows hold (a whole-record row holds more: every field)
    skipped: int  # files the list had to skip as invalid
    whole: bool  # each row is the whole record (`show --format json`), plus the days over of --stale/--due
    notes: tuple[str, ...] = ()  # filters whose value no record holds (a typo?), for stderr
    body: bool = False  # each row also holds the record's Markdown body as `body` (json, jsonl: import reads it)

    @property
    def names(self) -> list[str]:
        return [item.name for item in self.columns] + (["body"] if self.body else [])

    @property
    def right_aligned(self) -> set[str]:
        return {item.name for item in self.columns if item.spec.fieldtype.is_number}


class WholeRows(Sequence):
    """The rows of a whole-record list (`record_data` of each record, plus the days over of --stale/--due),
    made a chunk at a time as they are read, column by column from the cache: 100,000 of them are never all
    in memory at once."""

    CHUNK = 1000

    def __init__(self, records: list, schema, extras: list[dict] | None):
        self.records = records
        self.schema = schema
        self.extras = extras

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return list(self._rows(self.records[index], self.extras[index] if self.extras else None))
        return next(self._rows([self.records[index]], [self.extras[index]] if self.extras else None))

    def __iter__(self):
        for start in range(0, len(self.records), self.CHUNK):
            end = start + self.CHUNK
            yield from self._rows(self.records[start:end], self.extras[start:end] if self.extras else None)

    def _rows(self, records: list, extras: list[dict] | None):
        from ..store.cache import json_columns

        rows = records_data(records, self.schema, json_columns)
        return iter(rows) if extras is None else ({**row, **extra} for row, extra in zip(rows, extras))


class ColumnRows(Sequence):
    """The rows of a list of chosen columns, kept column by column (`column(name)`: what text and CSV output
    read); a row as a dict is made only when asked for (JSON)."""

    def __init__(self, names: list[str], values: dict[str, list], count: int):
        self.names = names
        self.values = values
        self.count = count

    def column(self, name: str) -> list:
        return self.values.get(name) or [None] * self.count

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.count))]
        if index < 0:
            index += self.count
        if not 0 <= index < self.count:
            raise IndexError(index)
        return {name: self.values[name][index] for name in self.names}

    def __iter__(self):
        names = self.names
        return (dict(zip(names, cells)) for cells in zip(*(self.values[name] for name in names))) if names else \
            ({} for _ in range(self.count))


def list_records(context: ViewContext, kind: str, wheres: Iterable[str] = (), fields: str | None = None,
                 owner: str | None = None, stale: bool = False, due: bool = False,
                 whole: bool = False, body: bool = False) -> Listing:
    """The rows of `funnel list`: records of `kind` ("deal" or "contact") meeting every condition, with the
    `fields` columns (A,B; default: the kind's usual ones). Deals come most days over first (with --stale,
    --due), then in pipeline order, then by id. `whole` (JSON without --fields): each row is the record as
    `show --format json` prints it."""
    if kind == "contact" and (owner is not None or stale or due):
        raise UsageError("--owner, --stale and --due apply to deals")
    schema = context.schema
    conditions = view_conditions(schema, kind, wheres, owner, stale, due)
    chosen = columns(schema, kind, fields) if fields is not None else default_columns(schema, kind, stale, due)
    shown, skipped = viewable(context, kind)
    records = select(shown, conditions, context)
    whole = whole and fields is None
    # column by column; a whole-record list reads only what orders it and the days over it adds
    extra = [item.name for item in chosen if item.name in ("stale_days", "overdue_days")]
    read = [item for item in chosen if item.name in extra] if whole else chosen
    values = {item.name: item.values(records, context) for item in read}
    if kind == "deal":
        # the key of each row, column by column: most days over first (--stale, then --due), pipeline order, id
        over = [[-(days or 0) for days in values["stale_days"]] if stale else None,
                [-(days or 0) for days in values["overdue_days"]] if due else None]
        unknown_stage = len(schema.stages)
        stage_index = {stage.id: stage.index for stage in schema.stages}
        keys = list(zip(*[column for column in over if column is not None],
                        [stage_index.get(stage_id, unknown_stage) if isinstance(stage_id, str) else unknown_stage
                         for stage_id in field_values(records, "stage")],
                        [record.id for record in records]))
        order = sorted(range(len(records)), key=keys.__getitem__)
        records = list(map(records.__getitem__, order))
        values = {name: list(map(column.__getitem__, order)) for name, column in values.items()}
    if whole:
        data = WholeRows(records, schema, [dict(zip(extra, cells)) for cells in zip(*(values[name] for name in extra))]
                         if extra else None)
    else:
        data = ColumnRows([item.name for item in chosen], values, len(records))
    if body:
        data = [{**row, "body": context.record_body(record)} for record, row in zip(records, data)]
    notes = tuple(unmatched_notes(conditions, shown, context, kind)) if not records else ()
    return Listing(data, chosen, skipped, whole, notes, body)
