"""A record cache under .funnel/ that is never stale, for the commands that only read (board, list, report, show).

What makes reading 10,000 records slow is not the disk but building a million small Python objects. The cache
therefore stores *columns*: each field's values for every record, as one marshal blob. A command decodes (and
types) only the columns it touches, on first touch; `record.fields` of a cached record is a read-only mapping
over those columns.

Freshness, as git's index does it: an entry is used only when the file's (mtime, ctime, size, inode) are what
they were, and not when the file was modified within RACY_NS before the cache was written (mtimes are coarse:
a change in the same tick would look unchanged). Added, removed and changed files are always seen; the schema
and the funnel version are part of the key. Records with any problem are never cached: they are read afresh
every time, so their messages keep exact positions. `check` does not use the cache at all.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import time
from collections.abc import Mapping
from pathlib import Path

from .. import __version__

from . import private
from ..model.records import Record, build_record
from .paths import record_files
from ..model.schema import Schema

CACHE_FILE = ".funnel/records.cache"
FORMAT = 4  # 4: plain forms from fieldtypes (a decimal is its positional text)
RACY_NS = 2_000_000_000  # two seconds: coarser than any filesystem's timestamp granularity we meet


def schema_key(schema_bytes: bytes) -> str:
    return hashlib.sha256(f"{FORMAT}:{__version__}:".encode() + schema_bytes).hexdigest()


class ColumnStore:
    """The decoded-on-demand columns of one cache file."""

    def __init__(self, blobs: dict[str, bytes], specs: dict):
        self._blobs = blobs
        self._specs = specs  # name -> FieldSpec: each field's type reads its column back from plain form
        self._columns: dict[str, list] = {}
        self.names = tuple(blobs)

    def column(self, name: str) -> list | None:
        column = self._columns.get(name)
        if column is None:
            blob = self._blobs.get(name)
            if blob is None:
                return None
            plains = marshal.loads(blob)
            spec = self._specs.get(name)
            column = spec.fieldtype.from_plain_column(plains) if spec is not None else plains
            self._columns[name] = column
        return column


class CachedFields(Mapping):
    """`record.fields` of a cached record: a read-only view of its row in the column store."""

    __slots__ = ("_store", "_row")

    def __init__(self, store: ColumnStore, row: int):
        self._store = store
        self._row = row

    def get(self, name, default=None):
        # the hot path of every view: a decoded column is one dict lookup away
        column = self._store._columns.get(name)
        if column is None:
            column = self._store.column(name)
            if column is None:
                return default
        value = column[self._row]
        return default if value is None else value

    def __getitem__(self, name):
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name) -> bool:
        return self.get(name) is not None

    def __iter__(self):
        return (name for name in self._store.names if self.get(name) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)


# -- loading -----------------------------------------------------------------------------------------------------

def load_records(root: Path, schema: Schema, schema_bytes: bytes) -> list[Record]:
    """Every record of the workspace, from the cache where it is fresh, read afresh where it is not; the
    cache is rewritten when anything was read afresh (or a file went away)."""
    key = schema_key(schema_bytes)
    cached = _read_cache(root, key, schema)
    entries, written_ns = cached if cached else ({}, 0)
    records: list[Record] = []
    fresh = 0
    seen = set()
    for kind, relative, entry in record_files(root):
        try:
            stat = entry.stat()
        except FileNotFoundError:
            continue
        stat_key = (stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size, stat.st_ino)
        seen.add(relative)
        cached_entry = entries.get(relative)
        if cached_entry is not None and cached_entry[2] == stat_key and stat.st_mtime_ns < written_ns - RACY_NS:
            store, row, _, unknown = cached_entry
            record = Record(kind, relative, CachedFields(store, row), unknown or {}, stat_key=stat_key)
        else:
            with open(entry.path, "rb") as handle:
                record = build_record(schema, kind, relative, handle.read(), stat_key)
            fresh += cacheable(record)
        records.append(record)
    if fresh or any(path not in seen for path in entries):
        _write_cache(root, key, records, schema)
    return records


def cacheable(record: Record) -> bool:
    if isinstance(record.fields, CachedFields):
        return True
    return record.readable and not record.problems and record.stat_key is not None


def _read_cache(root: Path, key: str, schema: Schema):
    """{path: (store, row, stat key, unknown keys)} and when the cache was written, or None. The path says
    the kind (contacts/, deals/)."""
    data = private.read(root / CACHE_FILE)
    if data is None:
        return None
    try:
        header = marshal.loads(data)
    except (EOFError, ValueError, TypeError):
        return None
    if not isinstance(header, dict) or header.get("key") != key:
        return None
    entries = {}
    for kind, part in header["kinds"].items():
        # one store per kind: a contact field and a deal field may share a name but not a type
        store = ColumnStore(part["columns"], schema.kind(kind).fields)
        entries.update({path: (store, row, tuple(stat), unknown) for row, (path, stat, unknown)
                        in enumerate(zip(part["paths"], part["stats"], part["unknown"]))})
    return entries, header["written_ns"]


def _write_cache(root: Path, key: str, records: list[Record], schema: Schema) -> None:
    """Cache every record without problems (a record with problems is read afresh each time)."""
    written_ns = time.time_ns()
    kinds = {}
    for kind_name, kind in (("contact", schema.contacts), ("deal", schema.deals)):
        keep = [record for record in records if record.kind == kind_name and cacheable(record)]
        types = {name: spec.type for name, spec in kind.fields.items()}
        plain_forms = {name: spec.fieldtype.to_plain for name, spec in kind.fields.items()}
        columns: dict[str, list] = {name: [] for name in types}
        for record in keep:
            fields = record.fields
            for name, column in columns.items():
                value = fields.get(name)
                column.append(value if value is None or isinstance(value, str) else plain_forms[name](value))
        kinds[kind_name] = {
            "paths": [record.path for record in keep],
            "stats": [list(record.stat_key) for record in keep],
            "unknown": [dict(record.unknown) if record.unknown else None for record in keep],  # untyped: plain
            "types": types,
            "columns": {name: marshal.dumps(column) for name, column in columns.items()},
        }
    header = {"key": key, "written_ns": written_ns, "kinds": kinds}
    private.write(root / CACHE_FILE, marshal.dumps(header))  # a read-only workspace works without it


def field_values(records: list[Record], name: str) -> list:
    """`[record.fields.get(name) for record in records]`, read straight from the column where the records
    come from the cache (a list of 10,000 rows reads a column, not 10,000 mappings)."""
    values = []
    append = values.append
    store, column = None, None
    for record in records:
        fields = record.fields
        if type(fields) is CachedFields:
            if fields._store is not store:
                store = fields._store
                column = store.column(name) or []
            append(column[fields._row] if column else None)
        else:
            append(fields.get(name))
    return values


# -- attachment hashes --------------------------------------------------------------------------------------------

HASH_CACHE_FILE = ".funnel/hashes.cache"


class HashCache:
    """sha256 of attached files, remembered by the file's stat (with the same racy-window rule as records), so
    `check` reads an attachment again only when it changed."""

    def __init__(self, root: Path):
        self.root = root
        self.entries: dict[str, tuple] = {}
        self.written_ns = 0
        self.changed = False
        data = private.read(root / HASH_CACHE_FILE)
        if data is not None:
            try:
                header = marshal.loads(data)
                if isinstance(header, dict) and header.get("format") == FORMAT:
                    self.entries = {path: tuple(entry) for path, entry in header["entries"].items()}
                    self.written_ns = header["written_ns"]
            except (EOFError, ValueError, TypeError, KeyError):
                pass

    def sha256(self, path: Path) -> str:
        from ..model.checks import file_sha256

        stat = os.stat(path)
        stat_key = (stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size, stat.st_ino)
        name = os.fspath(path)
        entry = self.entries.get(name)
        if entry is not None and tuple(entry[0]) == stat_key and stat.st_mtime_ns < self.written_ns - RACY_NS:
            return entry[1]
        digest = file_sha256(path)
        self.entries[name] = (stat_key, digest)
        self.changed = True
        return digest

    def save(self) -> None:
        if not self.changed:
            return
        header = {"format": FORMAT, "written_ns": time.time_ns(),
                  "entries": {path: [list(stat_key), digest] for path, (stat_key, digest) in self.entries.items()}}
        private.write(self.root / HASH_CACHE_FILE, marshal.dumps(header))
        self.changed = False
