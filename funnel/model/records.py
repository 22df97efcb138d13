"""Records: typed values read by the schema, and where each came from.

A Record is an immutable value (it pickles), so a cache can sit under `load_workspace` without changing its
callers. Typing is by the field's declared type only (fieldtypes.py): a string field keeps exactly the
characters typed, a decimal is a `Decimal`, a date a `date`; nothing is guessed from how a value looks.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from collections import Counter
from itertools import compress
from operator import and_, attrgetter, not_
from typing import Any, Callable, Mapping

from ..frontmatter.reader import Problem, parse_record_bytes
from .schema import Kind, Schema
from ..valueclass import field, valueclass

ID_PATTERN = re.compile(r"[a-z0-9-]{3,40}\Z")


@valueclass(frozen=True)
class Record:
    kind: str  # "contact" | "deal"
    path: str  # relative to the workspace root, with '/'
    fields: Mapping[str, Any]  # typed values of the schema's fields (and id, stage, history)
    unknown: Mapping[str, Any] = field(default_factory=dict)  # keys the schema does not declare, untyped
    positions: Mapping = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()  # reading and typing problems
    readable: bool = True  # False when no front matter could be read at all
    invalid: frozenset[str] = frozenset()  # fields whose value was refused while typing
    stat_key: tuple | None = None  # (mtime_ns, ctime_ns, size, inode) of the file when it was read, for the cache

    def __init__(self, kind, path, fields, unknown=None, positions=None, problems=(), readable=True,
                 invalid=frozenset(), stat_key=None):
        # one per file read (100,000 for a cold check): written out, straight into the instance's dict past the
        # frozen guard, twice as fast as a dataclass's __init__
        self.__dict__.update(kind=kind, path=path, fields=fields, unknown={} if unknown is None else unknown,
                             positions={} if positions is None else positions, problems=problems,
                             readable=readable, invalid=invalid, stat_key=stat_key)

    # Derived values are computed once, on first use (a frozen value class still has its __dict__ for them).
    @cached_property  # read everywhere (lookups, sorting, output)
    def id(self) -> str | None:
        value = self.fields.get("id")
        return value if isinstance(value, str) else None

    @cached_property
    def stem(self) -> str:
        return file_stem(self.path)

    @cached_property
    def broken(self) -> bool:
        """A record a view must skip: unreadable, without an id, or with an error while reading or typing (a deal
        that merely misses a gate is not broken)."""
        return not self.readable or self.id is None or any(problem.severity == "error" for problem in self.problems)

    def where(self, name: str | None = None) -> tuple[int, int]:
        """Line and column to point a message about `name` at (the record's start when it is absent)."""
        if name is not None:
            return self.positions.get((name,), (1, 1))
        return 1, 1


def record_data(record: Record, schema: Schema) -> dict[str, Any]:
    """Every field the record holds, by name, in schema order (id and stage first), then unknown keys:
    the shape of `show --format json`."""
    get = record.fields.get  # one lookup per field (`in` then `[]` was three on a cached record's mapping)
    data = {}
    for name in schema.kind(record.kind).fields:
        value = get(name, _ABSENT)
        if value is not _ABSENT:
            data[name] = value
    data.update(record.unknown)
    return data


_ABSENT = object()
_BROKEN, _ID, _KIND, _STEM = attrgetter("broken"), attrgetter("id"), attrgetter("kind"), attrgetter("stem")


def file_stem(path: str) -> str:
    """A record file's name without `.md`: what its id must be."""
    return path.rsplit("/", 1)[-1][:-3]


def records_data(records: list[Record], schema: Schema,
                 columns: Callable[[list[Record], list[str]], list[list | None]]) -> list[dict]:
    """`record_data` of each record (all of one kind), reading each field of them all at once: `columns(records,
    names)` is, per name, the field's value of each record (None: absent), or None when no record holds it
    (e.g. the cache's whole columns)."""
    if not records:
        return []
    names = list(schema.kind(records[0].kind).fields)
    held = [(name, column) for name, column in zip(names, columns(records, names)) if column is not None]
    names = [name for name, _ in held]
    found = []
    rows = zip(*(column for _, column in held)) if held else [()] * len(records)
    for record, row in zip(records, rows):
        data = {name: value for name, value in zip(names, row) if value is not None}
        data.update(record.unknown)
        found.append(data)
    return found


# -- typing by the schema -------------------------------------------------------------------------------

class _Typing:
    """Types one record's untyped tree by its kind's fields (each field's type reads its own value), collecting
    problems with positions."""

    def __init__(self, schema: Schema, positions):
        self.schema = schema
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

    def known_stage(self, stage_id: str) -> bool:
        return self.schema.stage(stage_id) is not None


def build_record(schema: Schema, kind_name: str, path: str, data: bytes, stat_key: tuple | None = None) -> Record:
    """One file's bytes → a Record (never raises for bad content: problems are in the record)."""
    record = _typed_record(schema, kind_name, path, data, False, stat_key)
    if record.problems and record.readable:
        # read again with every position, so messages point at the exact value
        record = _typed_record(schema, kind_name, path, data, True, stat_key)
    return record


def _typed_record(schema: Schema, kind_name: str, path: str, data: bytes, all_positions: bool,
                  stat_key: tuple | None) -> Record:
    parsed = parse_record_bytes(data, all_positions)
    if parsed.tree is None:
        return Record(kind_name, path, {}, positions=parsed.positions, problems=tuple(parsed.problems),
                      readable=False, stat_key=stat_key)
    kind: Kind = schema.kind(kind_name)
    typing = _Typing(schema, parsed.positions)
    fields: dict[str, Any] = {}
    unknown: dict[str, Any] = {}
    for key, raw in parsed.tree.items():
        spec = kind.fields.get(key)
        if spec is None:
            unknown[key] = raw
            continue
        if raw is None:
            continue  # absent
        value = spec.fieldtype.read(raw, typing, (key,), spec.name)  # None when refused (with a problem)
        if value is not None:
            fields[key] = value
    return Record(kind_name, path, fields, unknown, parsed.positions, tuple(parsed.problems) + tuple(typing.problems),
                  True, frozenset(typing.invalid_fields), stat_key)


def refused_record(kind_name: str, path: str, code: str, message: str) -> Record:
    """A record file funnel did not read (a symbolic link, a file it may not open): `check` reports it as an
    error, views skip it, writes refuse it."""
    return Record(kind_name, path, {}, problems=(Problem(1, 1, code, message),), readable=False)


@valueclass
class Workspace:
    root: Path
    schema: Schema
    records: list[Record]
    strays: list = field(default_factory=list)  # store.paths.Stray: what keeps folders from being read

    @cached_property
    def by_id(self) -> dict[str, list[Record]]:
        """Every record holding each id, in the workspace's order."""
        by_id: dict[str, list[Record]] = {}
        for record in self.records:
            if record.id is not None:
                by_id.setdefault(record.id, []).append(record)
        return by_id

    @cached_property
    def _id_counts(self) -> Counter:
        """How many records hold each id (counted in C: a view asks it of every record)."""
        return Counter(map(_ID, self.records))

    @cached_property
    def _contacts_by_id(self) -> dict[str, Record]:
        found: dict[str, Record] = {}
        for record in self.records:
            if record.kind == "contact" and record.id is not None:
                found.setdefault(record.id, record)
        return found

    @property
    def contacts(self) -> list[Record]:
        return [record for record in self.records if record.kind == "contact"]

    @property
    def deals(self) -> list[Record]:
        return [record for record in self.records if record.kind == "deal"]

    def viewable(self, kind: str | None = None) -> tuple[list[Record], list[Record]]:
        """(records a view can show, records it must skip), in the workspace's order; new lists each call. A
        record is skipped when it could not be read, a value could not be typed, or its id is not its own (the
        id of another file too, or not the file's name): a view never counts one deal twice. A deal that merely
        misses a gate is still shown. Split once per workspace (its records never change), for every kind at
        once: a view asks for its kind and for what every kind skipped."""
        split = self.__dict__.get("_viewable")
        if split is None:
            split = self._viewable = self._split_viewable()
        shown, skipped = split.get(kind, ((), ()))
        return list(shown), list(skipped)

    def _split_viewable(self) -> dict[str | None, tuple[list[Record], list[Record]]]:
        # column by column (C-level map and compress): this runs over every record of every view
        records = self.records
        counts = self._id_counts
        good = [not broken and record_id == stem and counts[record_id] == 1
                for broken, record_id, stem in zip(map(_BROKEN, records), map(_ID, records), map(_STEM, records))]
        bad = list(map(not_, good))
        split = {None: (list(compress(records, good)), list(compress(records, bad)))}
        kinds = list(map(_KIND, records))
        for kind in dict.fromkeys(kinds):
            mine = list(map(kind.__eq__, kinds))
            split[kind] = (list(compress(records, map(and_, good, mine))),
                           list(compress(records, map(and_, bad, mine))))
        return split

    def owns_its_id(self, record: Record) -> bool:
        """True when `record`'s id is its file's name and no other file's: a view never counts one deal
        twice, nor a deal under a name that is not its own."""
        return record.id == record.stem and len(self.by_id.get(record.id, ())) == 1

    def unowned_ids(self, records: list[Record]) -> tuple[int, int]:
        """Of `records`, how many share their id with another file, and how many hold another id than their
        file name says: for the note of a view that skipped them."""
        shared = sum(1 for record in records if record.id is not None and len(self.by_id.get(record.id, ())) > 1)
        renamed = sum(1 for record in records if record.id is not None and record.id != record.stem
                      and len(self.by_id.get(record.id, ())) == 1)
        return shared, renamed

    def contact(self, contact_id: str) -> Record | None:
        return self._contacts_by_id.get(contact_id)
