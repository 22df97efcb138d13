"""The record cache: every valid record's plain values in an SQLite file in funnel's own directory.

Where: `own_directory(root)` — inside the git directory (no clone carries it, no two worktrees share it), else
the user's cache directory. Nothing here is ever in the working tree, and nothing read back can run code: the
file holds JSON text and numbers, read by the standard library's SQLite. The file is opened only when it is a
regular file of sane size reached without a link; anything else in its place is removed and the cache rebuilt.

What is kept, per record file (table `files`): its stat key (mtime, ctime, size, inode), when that stat was
taken, the git blob id of its bytes (the SHA-1 git gives them, so a reader of git objects can reuse a parse),
its id, its typed values in plain JSON form, and for a deal its summary (what views read of its history, by
the rules of model/timeline.py, so no view decodes a history). Reading 10,000 records is slow not on the disk but in building
a million small objects, so a *snapshot* (table `columns`) holds the same values column by column: a command
decodes only the columns it touches, on first touch. Rows changed since the snapshot (`snap` is NULL) are read
row by row; the snapshot is rebuilt only when they grow many, so one changed file costs one file.

Single-record commands read rows as an index (store/lookup.py): by id, by a deal's `contact`, by a deal's start,
by a contact's counterparty keys (table `groups`); a folder's listing (table `listing`) proves them fresh, or
in a git work tree, git's index (table `claim`, store/gitindex.py).

Freshness, as git's index does it: a row is used only when the file's stat key is what it was, and a file
modified within RACY_NS of when its row was taken is checked by content (its blob id) instead, since mtimes are
coarse. Added, removed and changed files are always seen; the schema's bytes and the funnel version are the
cache's key. Records with any problem are never cached. Writes refresh their own row under the workspace lock;
readers refresh rows too, so two commands may write at once: SQLite serialises them, and a row can only ever
describe bytes that were read after its stat was taken.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
import zlib
from collections.abc import Callable, Mapping
from functools import partial
from operator import attrgetter
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .. import __version__
from ..model.records import Record, build_record
from ..model.schema import FieldSpec, Schema
from ..model.timeline import SUMMARY_ITEMS, pipeline_of, summarize
from .owndir import discard, ensure_own_directory, open_own_file, own_directory
from .paths import SCHEMA_FILE
from .recordfiles import unreadable_record
from .recordfiles import read_record_file as read_regular_file

DB_FILE = "cache.sqlite3"
FORMAT = 14  # 5: each deal's row and snapshot carry its summary (timeline.summarize); 6, 7: the index of lookup.py; 8: null words read as no value; 9: the git index's claim; 10: whether the claim is useful; 11: the summary's spans; 12: an index of the rows outside the snapshot; 13: the digest of a folder's entries, a listing's time and racy names apart; 14: the listing's version
RACY_NS = 2_000_000_000  # two seconds: coarser than any filesystem's timestamp granularity we meet
SIDE_FILES = ("-journal", "-wal", "-shm")
PATHS = "\0paths"  # the snapshot's row order, stored as a column of its own
UNKNOWN = "\0unknown"  # keys the schema does not declare, untyped
SUMMARY = "\0s."  # a deal summary's item (timeline.summarize), a column of its own per item


def schema_key(schema_bytes: bytes) -> str:
    return hashlib.sha256(f"{FORMAT}:{__version__}:".encode() + schema_bytes).hexdigest()


def blob_id(data: bytes) -> str:
    """The id git gives a blob of these bytes (`git hash-object`)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


# -- plain (JSON) forms of typed values: each field's type knows its own (fieldtypes) -------------------------

def to_plain(spec: FieldSpec | None, value):
    return value if spec is None else spec.fieldtype.to_plain(value)


def from_plain(spec: FieldSpec | None, value):
    return value if spec is None or value is None else spec.fieldtype.from_plain(value)


def from_plain_column(spec: FieldSpec | None, values: list) -> list:
    return values if spec is None else spec.fieldtype.from_plain_column(values)


# -- the file and its connection ------------------------------------------------------------------------------

class Cache:
    """An open cache database; `None` from `Cache.open` means there is none to be had (work without)."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    @classmethod
    def open(cls, root: Path, create: bool = True) -> "Cache | None":
        directory = ensure_own_directory(root) if create else own_directory(root)
        if directory is None:
            return None
        path = directory / DB_FILE
        if not _safe(path, create):
            return None
        try:
            return cls(_connect(path))
        except sqlite3.OperationalError:
            return None  # busy (another command holds it past the timeout) or read-only: work without, this time
        except sqlite3.Error:
            # not a database, or a damaged one: make a new one (once; a second failure means no cache)
            for suffix in ("",) + SIDE_FILES:
                discard(Path(f"{path}{suffix}"))
            if not create or not _safe(path, create):
                return None
            try:
                return cls(_connect(path))
            except sqlite3.Error:
                return None

    def close(self) -> None:
        self.db.close()

    def key(self) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE name = 'key'").fetchone()
        return row[0] if row else None

    def reset(self, key: str) -> None:
        """Forget every record (a new schema or funnel version types them differently)."""
        with self.transaction():
            self.db.execute("DELETE FROM files")
            self.db.execute("DELETE FROM groups")
            self.db.execute("DELETE FROM columns")
            self.db.execute("DELETE FROM listing")  # its flags say which files have rows: none now
            self.db.execute("DELETE FROM listing_times")
            self.db.execute("DELETE FROM claim")  # and what git's index proves of them
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('key', ?)", (key,))

    def transaction(self):
        return _Transaction(self.db)


_TABLES = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files (
    path TEXT PRIMARY KEY, kind TEXT NOT NULL,
    mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL, size INTEGER NOT NULL, ino INTEGER NOT NULL,
    checked_ns INTEGER NOT NULL, blob TEXT NOT NULL, id TEXT, data TEXT NOT NULL, snap INTEGER,
    contact TEXT, started TEXT);
CREATE TABLE groups (key TEXT NOT NULL, path TEXT NOT NULL, id TEXT);
CREATE INDEX groups_key ON groups (key, id);
CREATE INDEX groups_path ON groups (path);
CREATE INDEX files_started ON files (contact, started, id, path);
CREATE INDEX files_id ON files (id, kind);
CREATE INDEX files_outside ON files (kind, path) WHERE snap IS NULL;
CREATE TABLE columns (kind TEXT NOT NULL, name TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (kind, name));
CREATE TABLE listing (directory TEXT PRIMARY KEY, names TEXT NOT NULL, keys BLOB NOT NULL, flags BLOB NOT NULL,
    trusted BLOB NOT NULL, entries BLOB NOT NULL);
CREATE TABLE listing_times (directory TEXT PRIMARY KEY, taken_ns INTEGER NOT NULL, racy TEXT NOT NULL,
    version INTEGER NOT NULL);
CREATE TABLE claim (identity TEXT NOT NULL, useful INTEGER NOT NULL);
CREATE TABLE hashes (path TEXT PRIMARY KEY,
    mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL, size INTEGER NOT NULL, ino INTEGER NOT NULL,
    checked_ns INTEGER NOT NULL, sha256 TEXT NOT NULL);
"""

# the cache's tables are those of this FORMAT and exactly these statements: a cache whose tables were made by
# other statements (a FORMAT not bumped when they changed) is remade, never queried for a column it lacks
_USER_VERSION = (FORMAT << 16) | (zlib.crc32(_TABLES.encode()) & 0xFFFF)


def _connect(path: Path) -> sqlite3.Connection:
    """A connection to the cache at `path`, its tables made (or remade when an older funnel made them)."""
    db = sqlite3.connect(path, timeout=10.0, isolation_level=None, check_same_thread=False)
    try:
        db.execute("PRAGMA trusted_schema=OFF")
        db.execute("PRAGMA cell_size_check=ON")
        if db.execute("PRAGMA user_version").fetchone()[0] != _USER_VERSION:
            db.execute("PRAGMA journal_mode=WAL")
            with _Transaction(db):
                if db.execute("PRAGMA user_version").fetchone()[0] != _USER_VERSION:  # not made meanwhile
                    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
                        db.execute(f'DROP TABLE "{table}"')
                    for statement in _TABLES.split(";"):
                        if statement.strip():
                            db.execute(statement)
                    db.execute(f"PRAGMA user_version = {_USER_VERSION}")
        db.execute("PRAGMA synchronous=NORMAL")
        return db
    except BaseException:
        db.close()
        raise


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any error."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind, value, traceback):
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
        return False


def _safe(path: Path, create: bool) -> bool:
    """The database and SQLite's side files are regular files reached without a link, of sane size; anything
    else in their place (a link, a FIFO, a device) is removed so a new cache is made. False: work without."""
    for suffix in ("",) + SIDE_FILES:
        side = Path(f"{path}{suffix}")
        try:
            os.lstat(side)
        except FileNotFoundError:
            continue
        except OSError:
            return False
        fd = open_own_file(side)
        if fd is None:
            discard(side)
            continue
        os.close(fd)
    if create:
        fd = open_own_file(path, writable=True)
        if fd is None:
            return False
        os.close(fd)
    return path.exists()


def _stat_key(info: os.stat_result) -> tuple[int, int, int, int]:
    return info.st_mtime_ns, info.st_ctime_ns, info.st_size, info.st_ino


def read_record_file(path: str) -> tuple[tuple[int, int, int, int], bytes]:
    """(stat key, bytes) of a record file, opened as recordfiles opens one (never through a link put there
    since it was listed, never waiting on a pipe); the stat is taken before the bytes are read, so a row can
    only pair a stat with bytes at least as new (a change during the read shows as a new stat next time)."""
    info: list[os.stat_result] = []
    data = read_regular_file(path, info.append)
    return _stat_key(info[0]), data


# -- loading -----------------------------------------------------------------------------------------------------

def load_records(root: Path, schema: Schema, schema_bytes: bytes) -> list[Record] | None:
    """Every record of the workspace, through the cache: store/lookup.py proves every row fresh (reading only
    changed, added and invalid files), then the rows are read from the snapshot. None when there is no cache
    to be had (the caller reads every file)."""
    from .lookup import Lookup, NoIndex

    try:
        with Lookup(root, schema, schema_bytes) as lookup:
            return lookup.every_record()
    except (NoIndex, sqlite3.Error):
        # no cache, or it went bad under us (a full disk, a damaged file): the next command rebuilds it
        return None


def fresh_records(cache: Cache, schema: Schema, folders: list[tuple[str, list[str]]], afresh: Mapping[str, Record],
                  root: Path) -> list[Record]:
    """The records at the paths of `folders` ((kind, paths in order)), once every row is fresh (a Lookup's scan):
    those read afresh from `afresh`, the rest from the snapshot, or from their row while it is outside the
    snapshot. The snapshot is first rebuilt when many rows live outside it (one changed file costs one row)."""
    db = cache.db
    outside = db.execute("SELECT count(*) FROM files WHERE snap IS NULL").fetchone()[0]
    if outside and (outside > _overlay_limit(sum(len(paths) for _, paths in folders))
                    or db.execute("SELECT 1 FROM columns LIMIT 1").fetchone() is None):
        try:
            with cache.transaction() as writing:
                _rebuild_snapshot(writing, schema)
        except sqlite3.OperationalError:
            pass  # busy or read-only: read the rows outside the snapshot one by one, this time
    records: list[Record] = []
    # One read transaction holds the snapshot's columns and the rows outside it together: a snapshot another
    # command rebuilds meanwhile (its rows numbered anew) is never mixed in.
    with _ReadTransaction(db):
        outside_rows: dict[str, list[tuple[str, str]]] = {}  # kind -> (path, data) of rows outside the snapshot
        for path, kind, data in db.execute("SELECT path, kind, data FROM files WHERE snap IS NULL"):
            if path not in afresh:
                outside_rows.setdefault(kind, []).append((path, data))
        for kind, paths in folders:
            added = outside_rows.get(kind, [])
            # the rows outside the snapshot join its store as rows of its own after the snapshot's: every record
            # of the kind then reads its values from one store, column by column, as in the warm case
            store = ColumnStore(cache, kind, schema.kind(kind).fields, [json.loads(data) for _, data in added])
            snapped = store.paths
            unknown, ids = store.unknown, store.ids
            cut = paths[0].index("/") + 1 if paths else 0  # the folder's "deals/": its stems by slicing
            if not added and paths == snapped and afresh.keys().isdisjoint(paths):  # the warm case
                unknowns = store._unknown  # store.unknown(row), without a call per record
                records += [CachedRecord(kind, path, CachedFields(store, row), unknowns[row] or _NO_POSITIONS,
                                         ids[row], path[cut:-3]) for row, path in enumerate(paths)]
                continue
            rows = {path: row for row, path in enumerate(snapped)}
            rows.update((path, len(snapped) + index) for index, (path, _) in enumerate(added))
            for path in paths:
                record = afresh.get(path)
                if record is None:
                    row = rows.get(path)
                    if row is not None:
                        record = CachedRecord(kind, path, CachedFields(store, row), unknown(row), ids[row],
                                              path[cut:-3])
                    else:  # its row went meanwhile (another command found the file changed): read the file
                        record = _read(schema, kind, path, os.path.join(root, path), 0, [])
                if record is not None:
                    records.append(record)
    return records


class _ReadTransaction:
    """BEGIN … COMMIT around reads."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN")

    def __exit__(self, kind, value, traceback):
        if self.db.in_transaction:
            self.db.execute("COMMIT")
        return False


def _read(schema: Schema, kind: str, relative: str, path: str, started_ns: int, changed: list,
          read: tuple | None = None) -> Record | None:
    """The record in `path` read afresh; its row joins `changed` when it may be cached."""
    try:
        stat_key, data = read or read_record_file(path)
    except FileNotFoundError:
        return None  # removed since the folder was listed
    except OSError as exc:
        return unreadable_record(kind, relative, exc)  # `check` reports it, views skip it
    record = build_record(schema, kind, relative, data, stat_key)
    if cacheable(record):
        changed.append(row_values(schema, record, stat_key, started_ns, data))
    return record


# A row of `files`, as row_values gives it; `snap` starts NULL (outside the snapshot). What store/lookup.py
# finds records by, worked out by the gates' own functions when the row is written: a deal's `contact` and its
# start (GateContext.started, as text that sorts as the tuple does), and in table `groups` a contact's
# counterparty keys under the schema's prior_deal groupings (GateContext.counterparty_keys, as JSON text).
INSERT_ROW = ("INSERT OR REPLACE INTO files (path, kind, mtime_ns, ctime_ns, size, ino, checked_ns, blob, id, data, "
              "contact, started) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


def row_values(schema: Schema, record: Record, stat_key: tuple, checked_ns: int, data: bytes) -> tuple:
    """The row of `files` for `record`, then its counterparty keys (rows of `groups`)."""
    from ..model.gates import GateContext

    contact, started, keys = None, None, ()
    if record.kind == "deal":
        contact = record.fields.get("contact")
        contact = contact if isinstance(contact, str) else None
        started = started_text(GateContext.started(record))
    elif record.kind == "contact":
        keys = tuple(group_key(key) for key in contact_keys(schema, record))
    return (record.path, record.kind, *stat_key, checked_ns, blob_id(data), record.id, row_data(schema, record),
            contact, started, keys)


def started_text(started: tuple) -> str:
    """GateContext.started's (0, ISO moment in UTC) or (1, "") as text that sorts as the tuple does."""
    return f"{started[0]}{started[1]}"


def group_key(key: tuple) -> str:
    return json.dumps(list(key), ensure_ascii=False, separators=(",", ":"))


_GROUPINGS: dict[int, tuple] = {}


def contact_keys(schema: Schema, contact) -> list[tuple]:
    """A contact's `contact.FIELD` counterparty keys under every prior_deal grouping of the schema."""
    from ..model.gates import GateContext, prior_deal_groupings

    known = _GROUPINGS.get(id(schema))
    if known is None or known[0] is not schema:
        known = _GROUPINGS[id(schema)] = (schema, [tuple(name for name in same if name != "contact")
                                                   for same in prior_deal_groupings(schema)])
    keys: list[tuple] = []
    for same in known[1]:
        keys += [key for key in GateContext.counterparty_keys(None, contact, same) if key not in keys]
    return keys


def put_rows(db: sqlite3.Connection, rows: list[tuple]) -> None:
    """Write rows as row_values gives them (with their groups)."""
    db.executemany(INSERT_ROW, [row[:-1] for row in rows])
    db.executemany("DELETE FROM groups WHERE path = ?", [(row[0],) for row in rows])
    db.executemany("INSERT INTO groups VALUES (?, ?, ?)", [(key, row[0], row[8]) for row in rows for key in row[-1]])


def drop_rows(db: sqlite3.Connection, paths: list[str]) -> None:
    db.executemany("DELETE FROM files WHERE path = ?", [(path,) for path in paths])
    db.executemany("DELETE FROM groups WHERE path = ?", [(path,) for path in paths])


def row_data(schema: Schema, record: Record) -> str:
    fields = schema.kind(record.kind).fields
    plain = {name: to_plain(fields.get(name), value) for name, value in record.fields.items()}
    summary = summarize(record, pipeline_of(schema)) if record.kind == "deal" else None
    return json.dumps({"f": plain, "u": record.unknown or None, "s": summary}, ensure_ascii=False,
                      separators=(",", ":"))


def _record_from_row(schema: Schema, kind: str, relative: str, data: str, stat_key) -> Record:
    plain = json.loads(data)
    fields = schema.kind(kind).fields
    typed = {name: from_plain(fields.get(name), value) for name, value in plain["f"].items()}
    return Record(kind, relative, typed, plain.get("u") or {}, stat_key=tuple(stat_key))


def cacheable(record: Record) -> bool:
    if isinstance(record.fields, CachedFields):
        return True
    return record.readable and not record.problems and record.stat_key is not None and record.id is not None


def _overlay_limit(total: int) -> int:
    """How many rows may live outside the snapshot before it is rebuilt: few enough that reading them row by
    row stays cheap, many enough that one edit does not rewrite every column."""
    return max(100, total // 50)


def _rebuild_snapshot(db: sqlite3.Connection, schema: Schema, chunk_rows: int = 250) -> None:
    """The snapshot (table `columns`) made anew from every row of `files`, each row numbered (`snap`) by its
    place in its kind's path order. In bounded memory: rows are read `chunk_rows` at a time and each column is
    kept as the JSON text of its values, chunk by chunk, so what is held at once is the columns' text (what a
    view reads anyway), never every record's values as objects (at 100,000 deals those took 400 MB). Small
    chunks are also faster: a chunk's records stay in the CPU's cache while each column is taken from them."""
    db.execute("DELETE FROM columns")
    for kind_name, kind in (("contact", schema.contacts), ("deal", schema.deals)):
        paths: list[str] = []
        texts: dict[str, list[str]] = {name: [] for name in kind.fields}  # JSON text of each chunk's values
        summary_texts: dict[str, list[str]] = {name: [] for name in SUMMARY_ITEMS} if kind_name == "deal" else {}
        unknown_texts: list[str] = []
        held: set[str] = set()  # fields with a value (a column of nulls only is not stored)
        rows = db.execute("SELECT path, data FROM files WHERE kind = ? ORDER BY path", (kind_name,))
        while chunk := rows.fetchmany(chunk_rows):
            paths += [relative for relative, _ in chunk]
            plains = [json.loads(data) for _, data in chunk]
            unknown_texts.append(_json_items([plain.get("u") for plain in plains]))
            values = [plain["f"] for plain in plains]
            for name, pieces in texts.items():
                column = [value.get(name) for value in values]
                if name not in held and column.count(None) < len(column):
                    held.add(name)
                pieces.append(_json_items(column))
            if summary_texts:
                summaries = [plain.get("s") or {} for plain in plains]
                for name, pieces in summary_texts.items():
                    pieces.append(_json_items([summary.get(name) for summary in summaries]))
        db.executemany("UPDATE files SET snap = ? WHERE path = ?", [(i, path) for i, path in enumerate(paths)])
        stored = {PATHS: [_json_items(paths)], UNKNOWN: unknown_texts,
                  **{name: pieces for name, pieces in texts.items() if name in held},
                  **{SUMMARY + name: pieces for name, pieces in summary_texts.items()}}
        del paths, texts, summary_texts, unknown_texts  # so each column's text goes once it is written
        for name in list(stored):
            db.execute("INSERT INTO columns VALUES (?, ?, ?)",
                       (kind_name, name, "[" + ",".join(stored.pop(name)) + "]"))


def _json_items(values: list) -> str:
    """The JSON text of `values` without its brackets: joined with commas, chunks make the whole list's text."""
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))[1:-1]


_NO_POSITIONS = MappingProxyType({})


class CachedRecord:
    """A record made from the snapshot, as a Record reads (the same attributes and methods): valid by
    construction (only valid records are cached), so what every such record shares is said once, here, and
    each one holds in slots only its kind, path, values, unknown keys and id — 100,000 of them are a view's
    largest cost in memory."""

    __slots__ = ("kind", "path", "fields", "unknown", "id", "stem")

    positions = _NO_POSITIONS
    problems = ()
    readable = True
    invalid = frozenset()
    stat_key = None
    broken = False
    where = Record.where

    def __init__(self, kind: str, path: str, fields: "CachedFields", unknown: Mapping, record_id: str, stem: str):
        self.kind = kind
        self.path = path
        self.fields = fields
        self.unknown = unknown
        self.id = record_id
        self.stem = stem  # a slot (model.records.file_stem of the path): every view compares it with the id


class ColumnStore:
    """The decoded-on-demand columns of one kind's snapshot, followed by `added` rows (plain rows of files
    changed since the snapshot: rows len(paths)…). Reads every column's JSON text at once (one query) and decodes
    a column on first touch; its values are typed one by one while few rows are read (a write judges a handful
    of records) and as a whole column once many are (a view reads them all)."""

    WHOLE_AFTER = 64  # reads of a column before it is typed as a whole

    def __init__(self, cache: Cache, kind: str, fields: dict[str, FieldSpec], added: list[dict] = ()):
        self._texts = dict(cache.db.execute("SELECT name, data FROM columns WHERE kind = ?", (kind,)))
        self._fields = fields
        self._added = list(added)
        self._columns: dict[str, list] = {}  # typed as a whole
        self._plains: dict[str, list] = {}  # decoded, typed value by value
        self._reads: dict[str, int] = {}
        self.paths: list[str] = json.loads(self._texts.pop(PATHS, "[]"))  # the snapshot's row order: each row's path
        self.names = tuple(name for name in fields if name in self._texts
                           or any(row["f"].get(name) is not None for row in self._added))
        self._unknown = json.loads(self._texts.pop(UNKNOWN, "[]")) + [row.get("u") for row in self._added]
        self._summaries: dict[str, list] = {}
        ids = self.column("id") or []
        self.ids = [value if isinstance(value, str) else None for value in ids]

    def unknown(self, row: int) -> Mapping:
        return self._unknown[row] or _NO_POSITIONS

    def _decoded(self, key: str, pick: Callable[[dict], Any]) -> list | None:
        """Stored column `key` decoded (its text then dropped), then `pick` of each added row; None when neither
        holds a value (the snapshot leaves out a column no record fills)."""
        text = self._texts.pop(key, None)
        extra = [pick(row) for row in self._added]
        if text is None:
            if not any(value is not None for value in extra):
                return None
            return [None] * len(self.paths) + extra
        return json.loads(text) + extra if extra else json.loads(text)

    def _plain(self, name: str) -> list | None:
        """Field `name`'s plain values, one per row (decoded once and kept until typed as a whole)."""
        plains = self._plains.get(name)
        if plains is None and name in self._fields:
            plains = self._decoded(name, lambda row: row["f"].get(name))
            if plains is not None:
                self._plains[name] = plains
        return plains

    def column(self, name: str) -> list | None:
        """The whole column, typed (None: no row holds the field)."""
        column = self._columns.get(name)
        if column is None:
            plains = self._plain(name)
            if plains is None:
                return None
            column = self._columns[name] = from_plain_column(self._fields[name], plains)
            self._plains.pop(name, None)  # typed: the plain values have done their work
        return column

    def json_values(self, name: str, rows: list[int]) -> list | None:
        """The values of `rows` as JSON output holds them (FieldType.json_column) where the type can say so
        from their plain forms, else typed (None: no such column). Only those rows are converted: a list
        writes 100,000 records a chunk at a time."""
        column = self._columns.get(name)
        if column is not None:
            return [column[row] for row in rows]
        plains = self._plain(name)
        if plains is None:
            return None
        spec = self._fields[name]
        picked = [plains[row] for row in rows]
        converted = spec.fieldtype.json_column(picked)
        return converted if converted is not None else spec.fieldtype.from_plain_column(picked)

    def summary(self, name: str) -> list | None:
        """The whole column of a summary item (plain), None when the snapshot holds none (contacts)."""
        column = self._summaries.get(name)
        if column is None:
            column = self._decoded(SUMMARY + name, lambda row: (row.get("s") or {}).get(name))
            if column is None:
                return None
            self._summaries[name] = column
        return column

    def value(self, name: str, row: int):
        """One value of a column not typed as a whole (yet)."""
        plains = self._plain(name)
        if plains is None:
            return None
        reads = self._reads[name] = self._reads.get(name, 0) + 1
        if reads > self.WHOLE_AFTER:
            return self.column(name)[row]
        return from_plain(self._fields[name], plains[row])


class CachedFields(Mapping):
    """`record.fields` of a cached record: a read-only view of its row in the column store."""

    __slots__ = ("_store", "_row")

    def __init__(self, store: ColumnStore, row: int):
        self._store = store
        self._row = row

    def get(self, name, default=None):
        # the hot path of every view: a column typed as a whole is one dict lookup away
        column = self._store._columns.get(name)
        value = column[self._row] if column is not None else self._store.value(name, self._row)
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


_FIELDS, _STORE, _ROW = attrgetter("fields"), attrgetter("_store"), attrgetter("_row")


def snapshot_rows(records: list[Record]) -> tuple["ColumnStore", list[int]] | None:
    """(the store, each record's row) when every record comes from one snapshot store — a view's common case,
    found by C-level passes instead of a Python loop per record — else None."""
    try:
        fields = list(map(_FIELDS, records))
        stores = set(map(_STORE, fields))  # a record read afresh holds a dict: no _store
        rows = list(map(_ROW, fields))
    except AttributeError:
        return None
    if len(stores) != 1:
        return None
    store = stores.pop()
    return (store, rows) if type(store) is ColumnStore else None


def _from_columns(records: list[Record], column_of: Callable[["ColumnStore"], list | None],
                  otherwise: Callable[[Record], Any], none_is_empty: bool = False, found=False) -> list:
    """One value per record: from `column_of(store)` at the record's row where it comes from a snapshot that has
    that column (a column per store, not a lookup per record), else `otherwise(record)`. `none_is_empty`: a
    store without the column holds no value in it (the snapshot leaves out columns no record fills). `found`:
    snapshot_rows(records), when the caller has it."""
    if found is False:
        found = snapshot_rows(records)
    if found is not None:
        column = column_of(found[0])
        if column is not None:
            return list(map(column.__getitem__, found[1]))
        if none_is_empty:
            return [None] * len(records)
    values = []
    append = values.append
    store, column = None, None
    for record in records:
        fields = record.fields
        if type(fields) is CachedFields:
            if fields._store is not store:
                store = fields._store
                column = column_of(store)
            if column is not None:
                append(column[fields._row])
                continue
        append(otherwise(record))
    return values


def field_values(records: list[Record], name: str) -> list:
    """`[record.fields.get(name) for record in records]`, read straight from the column where the records
    come from the cache (a list of 10,000 rows reads a column, not 10,000 mappings)."""
    return _from_columns(records, lambda store: store.column(name), lambda record: record.fields.get(name), True)


def field_columns(records: list[Record], names: tuple[str, ...]) -> list[list]:
    """`field_values` of each of `names`, the records' rows in the snapshot found once."""
    found = snapshot_rows(records)
    return [_from_columns(records, lambda store, name=name: store.column(name),
                          lambda record, name=name: record.fields.get(name), True, found) for name in names]


def json_columns(records: list[Record], names: list[str]) -> list[list | None]:
    """Per name, `field_values` of the records with each value as JSON output holds it where the cache's
    plain column says so without typing (else typed, for output.json_text to convert); None for a column no
    record holds. Records from a snapshot read its columns (their rows only) even when others among them come
    from elsewhere (a file changed since the snapshot): read one by one, their fields would soon be typed as
    whole columns (ColumnStore.value) — at 100,000 deals a history column of a million objects, 67 MB."""
    found = snapshot_rows(records)
    if found is not None:  # every record from one snapshot: the common case
        store, rows = found
        return [store.json_values(name, rows) for name in names]
    stores: dict[ColumnStore, tuple[list[int], list[int]]] = {}  # store -> (indexes in records, its rows)
    own: list[int] = []  # indexes of records holding their own fields (read afresh, or outside the snapshot)
    for index, record in enumerate(records):
        fields = record.fields
        if type(fields) is CachedFields:
            indexes, rows = stores.setdefault(fields._store, ([], []))
            indexes.append(index)
            rows.append(fields._row)
        else:
            own.append(index)
    columns = []
    for name in names:
        column = [None] * len(records)
        for store, (indexes, rows) in stores.items():
            for index, value in zip(indexes, store.json_values(name, rows) or ()):
                column[index] = value
        for index in own:
            column[index] = records[index].fields.get(name)
        columns.append(column)
    return columns


class CachedSummary:
    """A cached deal's summary (timeline.summarize) as a mapping of its plain items, read from the snapshot's
    summary columns (each decoded on first use)."""

    __slots__ = ("_store", "_row")

    def __init__(self, store: ColumnStore, row: int):
        self._store = store
        self._row = row

    def __getitem__(self, name):
        return self._store.summary(name)[self._row]


def summaries(deals: list[Record]) -> list:
    """Each deal's summary (timeline.summarize) where the deal comes from the snapshot, else None (a deal read
    afresh: its Timeline reads its history)."""
    rows = snapshot_rows(deals)
    if rows is not None:  # every deal from one snapshot: the common case, without a Python loop of checks
        store, rows = rows
        if store.summary(SUMMARY_ITEMS[0]) is None:
            return [None] * len(deals)
        return list(map(partial(CachedSummary, store), rows))
    found = []
    append = found.append
    store, summarized = None, False
    for deal in deals:
        fields = deal.fields
        if type(fields) is CachedFields:
            if fields._store is not store:
                store = fields._store
                summarized = store.summary(SUMMARY_ITEMS[0]) is not None
            append(CachedSummary(store, fields._row) if summarized else None)
        else:
            append(None)
    return found


def summary_values(deals: list[Record], name: str, schema: Schema) -> list:
    """Item `name` of each deal's summary (timeline.summarize): read straight from the snapshot's column where
    the deal comes from it, else computed now from its record."""
    return _from_columns(deals, lambda store: store.summary(name),
                         lambda deal: summarize(deal, pipeline_of(schema), (name,))[name])


# -- writes refresh their own row ------------------------------------------------------------------------------

def record_written(root: Path, schema: Schema, record: Record, data: bytes, cache: Cache | None = None) -> None:
    """A write just replaced `record.path` with `data` (under the workspace lock): its row now says so, so the
    next command finds the cache fresh. Quietly nothing when there is no cache, or the cache is for another
    schema. An invalid record loses its row. `cache`: the write's own open connection (its Lookup's), used and
    left open; else one is opened and closed here."""
    try:
        schema_bytes = (root / SCHEMA_FILE).read_bytes()
        checked_ns = time.time_ns()
        info = os.stat(root / record.path)
    except OSError:
        return
    own = cache is None
    cache = Cache.open(root, create=False) if own else cache
    if cache is None:
        return
    try:
        if cache.key() != schema_key(schema_bytes):
            return
        stat_key = _stat_key(info)
        from .lookup import listing_written

        with cache.transaction() as db:
            if record.readable and not record.problems and record.id is not None:
                put_rows(db, [row_values(schema, record, stat_key, checked_ns, data)])
                listing_written(db, record.path, stat_key)
            else:
                drop_rows(db, [record.path])
                listing_written(db, record.path, None)
    except sqlite3.Error:
        pass
    finally:
        if own:
            cache.close()


# -- attachment hashes --------------------------------------------------------------------------------------------

class HashCache:
    """sha256 of attached files, remembered by the file's stat (with the same racy-window rule as records), so
    `check` reads an attachment again only when it changed."""

    def __init__(self, root: Path):
        self.root = root
        self._entries: dict[str, tuple] | None = None  # read on the first attachment: most writes have none
        self.changed: dict[str, tuple] = {}
        self.started_ns = time.time_ns()
        # a connection this process has open already (a write's Lookup), read through instead of opening a
        # second one: closing that would drop the first one's POSIX locks (see Cache.open)
        self.shared: Cache | None = None

    @property
    def entries(self) -> dict[str, tuple]:
        if self._entries is None:
            self._entries = {}
            cache = self.shared or self._open(create=False)
            if cache is not None:
                try:
                    self._entries = {row[0]: row[1:] for row in cache.db.execute("SELECT * FROM hashes")}
                except sqlite3.Error:
                    pass
                finally:
                    if cache is not self.shared:
                        cache.close()
        return self._entries

    def _open(self, create: bool) -> Cache | None:
        try:
            return Cache.open(self.root, create=create)
        except sqlite3.Error:
            return None

    def sha256(self, path: Path) -> str:
        from ..model.checks import file_sha256

        stat_key = _stat_key(os.stat(path))
        name = os.fspath(path)
        entry = self.entries.get(name)
        if entry is not None and tuple(entry[:4]) == stat_key and stat_key[0] < entry[4] - RACY_NS:
            return entry[5]
        checked_ns = time.time_ns()
        digest = file_sha256(path)
        self.entries[name] = self.changed[name] = (*stat_key, checked_ns, digest)
        return digest

    def save(self) -> None:
        if not self.changed:
            return
        cache = self._open(create=True)
        if cache is None:
            return
        try:
            with cache.transaction() as db:
                db.executemany("INSERT OR REPLACE INTO hashes VALUES (?, ?, ?, ?, ?, ?, ?)",
                               [(name, *entry) for name, entry in self.changed.items()])
            self.changed = {}
        except sqlite3.Error:
            pass
        finally:
            cache.close()


def field_sql(name: str) -> tuple[str, tuple]:
    """(an SQL expression of a row's plain value of field `name`, its parameters), for a query over `files`. A
    schema may name a field anything: a JSON path quotes the name (so `.`, `[` or a space stay in it), and a
    name JSON would escape (a quote, a backslash, a control character), which SQLite's paths cannot match, is
    looked up among the keys instead."""
    if '"' in name or "\\" in name or not name.isprintable():
        return "(SELECT value FROM json_each(data, '$.f') WHERE key = ?)", (name,)
    return "json_extract(data, ?)", (f'$.f."{name}"',)


# -- what the last command saw, for shell completion ----------------------------------------------------------

def remembered_values(root: Path, kind: str, name: str) -> list[str] | None:
    """Every distinct text value of field `name` among the `kind` records as the cache last saw them — not
    checked against the files, so only for suggestions (shell completion), never for a view. None when there
    is no cache to ask."""
    cache = Cache.open(root, create=False)
    if cache is None:
        return None
    try:
        value, parameters = field_sql(name)
        rows = cache.db.execute(f"SELECT DISTINCT {value} FROM files WHERE kind = ?", (*parameters, kind)).fetchall()
    except sqlite3.Error:
        return None
    finally:
        cache.close()
    return sorted(value for (value,) in rows if isinstance(value, str) and value)
