"""Records by id and by counterparty without building the rest: the cache's rows as an index, proven fresh.

`show ID` and a single write need a handful of records — the one asked for, the contacts it names, the deals
its gates compare it with — not all of them. `Lookup` opens the cache, makes every row fresh and then reads
rows by id, by contact, by counterparty.

What must be looked at for that to be exact (never stale), and what is not:
- Every record file's stat (mtime, ctime, size, inode), every command. Any file may name any id in its `id:`
  or any contact in its `contact:` (a hand edit in place — an editor that rewrites the file, `echo >>` — changes
  no directory), so no cheaper check can prove that no other deal joined a counterparty. A directory listing
  alone would find added and removed files, not such an edit.
- Not every row: each folder's listing is kept with its files' stat keys as one row of table `listing` (names,
  packed keys, a flag per file saying its row holds exactly that key, the digest of the folder's entries), its
  time apart in `listing_times` (when the stats were taken, the names then within RACY_NS of it), so a listing
  that only grows older is not written again whole. A command compares the whole listing at once; only files
  whose name or key differ, that have no row (an invalid file) or that the listing names racy (a same-second
  edit) are looked at one by one, as the cache's own scan does: by their row's key and, in the racy window, by
  their bytes' blob id. A changed file is read and its row replaced; a removed file's row is deleted.
- The lstat's of 100,000 files are shared with a helper process on a second core (store/lstats.py), and a
  folder whose entries hash to the stored digest needs no look at its names (_names_among).
- A listing can only claim rows its flags name: every change of rows outside a scan either replaces a file's
  key (a write, a view's refresh — the file's stat then differs from the listing and it is looked at) or
  clears the cache (a new schema, which clears the listings). As a guard, the rows of a kind are counted
  against the listing's flags; a mismatch makes every file a suspect.
- Inside a git work tree, not even every stat: git's index holds each tracked file's stat, and `git
  diff-files` compares them all in C while funnel lists the folders. A *claim* (table `claim`, one per index
  as identified by its file's stat and checksum, made anew when the index changes) marks in the listing
  (`trusted`) the files the index proves fresh (store/gitindex.py says when: a plain entry, the row's blob,
  its ctime second before the row was proven). Only the others — untracked, ignored, flagged, staged
  otherwise, named by `diff-files`, new — are lstat'ed, and proven by the listing or looked at as above.
  Without git, or when git fails or its index changes while it answers, every file is lstat'ed as before.

Then the rows are the files: a query by id, by `contact:` or over every contact's grouping fields answers for
the whole workspace. Records with problems have no row; they are read from their files every time, and every
one of them joins the records a lookup returns, so a gate sees them as it would in a full load.
"""

from __future__ import annotations

import bisect
import hashlib
import os
import sqlite3
import stat as stat_module
import time
from array import array
from itertools import compress, count
from operator import and_
from pathlib import Path
from types import SimpleNamespace

from ..model.records import Record, Workspace
from ..model.schema import Schema
from .cache import (RACY_NS, Cache, _read, _record_from_row, blob_id, drop_rows, field_sql, fresh_records, from_plain,
                    group_key, put_rows, read_record_file, schema_key, started_text, to_plain)
from .gitindex import GitIndex
from .lstats import LINK, stat_by_path, stat_keys
from .paths import SCHEMA_FILE, _is_text, folder_problems, readable_folders
from .recordfiles import link_record

_DIR_FD = os.stat in os.supports_dir_fd and os.listdir in os.supports_fd


class NoIndex(Exception):
    """The index cannot answer exactly this time (no cache to be had, a damaged one, contacts sharing an id):
    load every record instead."""


class Lookup:
    """An open, fresh index of the workspace at `root` (see the module's docstring). Use as a context manager."""

    def __init__(self, root: Path, schema: Schema, schema_bytes: bytes | None = None):
        self.root = root
        self.schema = schema
        if schema_bytes is None:
            schema_bytes = (root / SCHEMA_FILE).read_bytes()
        try:
            cache = Cache.open(root)
        except sqlite3.Error:
            cache = None
        if cache is None:
            raise NoIndex("no cache")
        self.cache = cache
        self.db = cache.db
        self.sorted_names: dict[str, list[str]] = {}  # directory -> names of its record files (regular), sorted
        self.temp_names: dict[str, list[str]] = {}  # directory -> names of temp files (a killed write's)
        self.kinds: dict[str, str] = {}  # directory -> kind
        self.afresh: dict[str, Record] = {}  # path -> record read from its file this time (changed, invalid, link)
        self.proven_by_git = 0  # record files git's index proved fresh this time, not one by one (gitindex.py)
        try:
            _scan(self, schema_key(schema_bytes))
        except sqlite3.Error:
            cache.close()
            raise NoIndex("the cache cannot be read") from None
        except BaseException:
            cache.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False

    def close(self) -> None:
        self.cache.close()

    # -- what exists ------------------------------------------------------------------------------------------
    def exists(self, path: str) -> bool:
        directory, _, name = path.partition("/")
        return _has(self.sorted_names.get(directory, ()), name) or path in self.afresh

    def records(self, paths) -> list[Record]:
        """The records at `paths` (that exist now), from this scan's reads or their fresh rows, in path order."""
        found = {path: self.afresh[path] for path in paths if path in self.afresh}
        rest = sorted(path for path in paths if path not in found and self.exists(path))
        for chunk in _chunks(rest):
            for path, kind, data, *key in self.db.execute(
                    "SELECT path, kind, data, mtime_ns, ctime_ns, size, ino FROM files "
                    f"WHERE path IN ({_marks(chunk)})", chunk):
                found[path] = _record_from_row(self.schema, kind, path, data, tuple(key))
        return [found[path] for path in sorted(found)]

    def _rows(self, sql: str, parameters=()) -> list[tuple]:
        """Rows whose first column is a path, for files that exist now and were not read afresh (those answer
        for themselves)."""
        return [row for row in self.db.execute(sql, parameters)
                if row[0] not in self.afresh and self.exists(row[0])]

    # -- by id --------------------------------------------------------------------------------------------------
    def paths_for_prefix(self, prefix: str) -> set[str]:
        """Every record file whose id or file name starts with `prefix` (what resolve_id may answer with, or name
        in its error)."""
        found = {path for (path,) in self._rows("SELECT path FROM files WHERE id >= ? AND id < ?",
                                                 (prefix, prefix + "\U0010ffff"))}
        for directory, names in self.sorted_names.items():
            index = bisect.bisect_left(names, prefix)
            while index < len(names) and names[index].startswith(prefix):
                found.add(f"{directory}/{names[index]}")
                index += 1
        found.update(path for path, record in self.afresh.items()
                     if path.rsplit("/", 1)[-1].startswith(prefix) or (record.id or "").startswith(prefix))
        return found

    def paths_with_ids(self, ids) -> set[str]:
        ids = sorted({value for value in ids if isinstance(value, str)})
        found = set()
        for chunk in _chunks(ids):
            found.update(path for (path,) in self._rows(f"SELECT path FROM files WHERE id IN ({_marks(chunk)})", chunk))
        found.update(path for path, record in self.afresh.items() if record.id in ids)
        return found

    def id_taken(self, record_id: str) -> bool:
        return bool(self.paths_with_ids([record_id])) or any(
            path.rsplit("/", 1)[-1] == f"{record_id}.md" for path in self.afresh) or any(
            _has(names, f"{record_id}.md") for names in self.sorted_names.values())

    # -- by field -----------------------------------------------------------------------------------------------
    def another_deal_has(self, name: str, value, deal_id: str | None) -> bool:
        """True when a deal other than `deal_id` holds `value` in field `name` (stops at the first)."""
        if any(record.kind == "deal" and record.id != deal_id and record.fields.get(name) == value
               for record in self.afresh.values()):
            return True
        plain = to_plain(self.schema.deals.fields.get(name), value)
        field, parameters = field_sql(name)
        for path, record_id in self.db.execute(
                f"SELECT path, id FROM files WHERE kind = 'deal' AND {field} = ? AND id IS NOT ?",
                (*parameters, plain, deal_id)):
            if path not in self.afresh and self.exists(path):
                return True
        return False

    def deal_field_values(self, name: str) -> list:
        """The typed value of field `name` of every deal, with its id: [(id, value)]."""
        spec = self.schema.deals.fields.get(name)
        field, parameters = field_sql(name)
        values = [(record_id, from_plain(spec, value)) for _, record_id, value in self._rows(
            f"SELECT path, id, {field} FROM files WHERE kind = 'deal'", parameters)]
        values += [(record.id, record.fields.get(name)) for record in self.afresh.values() if record.kind == "deal"]
        return values

    def ordered_deals(self, key: tuple, after: str | None = None):
        """(started text, id, path) of every deal (with a row) of counterparty `key`, in GateContext's order of
        starts (earliest first, then by id); `after`: only those that started after it. For a `contact.FIELD`
        key, the deals whose contact is a contact of that key: exact while no two contact files share an id
        (checked here: NoIndex)."""
        # only deal rows have a `contact`; the index files_started answers without reading a row
        later = "" if after is None else " AND started > ?"
        if key[0] == "contact":
            sql = f"SELECT path, started, id FROM files WHERE contact = ?{later} ORDER BY started, id, path"
            parameters = [key[1]]
        else:
            extra = sorted(self.contacts_of_key(key))
            alternative = f" OR contact IN ({_marks(extra)})" if extra else ""
            sql = ("SELECT path, started, id FROM files WHERE (contact IN (SELECT g.id FROM groups g WHERE g.key = ?)"
                   f"{alternative}){later} ORDER BY started, id, path")
            parameters = [group_key(key), *extra]
        if after is not None:
            parameters.append(after)
        limit = 8 if after is None else None  # the earliest are asked for, and seldom more than the first two
        while True:
            count = 0
            for path, started, record_id in self.db.execute(
                    sql + (f" LIMIT {limit}" if limit is not None else ""), parameters):
                count += 1
                if path not in self.afresh and self.exists(path) and record_id is not None:
                    yield started, record_id, path
            if limit is None or count < limit:
                return
            # more were wanted: all of them, after the ones already given
            parameters = parameters + [started, started, record_id, started, record_id, path]
            sql = sql.replace(" ORDER BY", " AND (started > ? OR (started = ? AND id > ?) OR "
                                           "(started = ? AND id = ? AND path > ?)) ORDER BY", 1)
            limit = None

    def contacts_of_key(self, key: tuple) -> set[str]:
        """Ids of the contacts read afresh (no row, no groups) that have counterparty key `key` (contact.FIELD).
        NoIndex when a contact id of that key is used by two files: which of them a deal's contact is would
        depend on every contact."""
        from .cache import contact_keys

        text = group_key(key)
        count, distinct = self.db.execute(
            "SELECT count(*), count(DISTINCT id) FROM files WHERE kind = 'contact' AND id IN "
            "(SELECT g.id FROM groups g WHERE g.key = ?)", (text,)).fetchone()
        if count != distinct:
            raise NoIndex("a contact id is used by two files")
        ids = None
        extra = set()
        for record in self.afresh.values():
            if record.kind != "contact" or record.id is None:
                continue
            if ids is None:
                ids = {record_id for (record_id,) in self.db.execute(
                    "SELECT g.id FROM groups g WHERE g.key = ?", (text,))}
            if record.id in ids:
                raise NoIndex("a contact id is used by two files")
            if key in contact_keys(self.schema, record):
                if len(self.paths_with_ids([record.id])) > 1:
                    raise NoIndex("a contact id is used by two files")
                extra.add(record.id)
        return extra

    def every_record(self) -> list[Record]:
        """Every record file's record, in the order paths.record_files lists them (by folder, then name): what
        this scan read afresh (changed, invalid, links), the rest from the cache's snapshot."""
        folders = []
        for directory, kind in self.kinds.items():
            prefix = directory + "/"
            paths = [prefix + name for name in self.sorted_names[directory]]
            own = [path for path in self.afresh if path.startswith(prefix)]
            if own:  # links are no regular file's name: merge them in
                paths = sorted(set(paths).union(own))
            folders.append((kind, paths))
        return fresh_records(self.cache, self.schema, folders, self.afresh, self.root)

    def workspace(self, records: list[Record]) -> Workspace:
        """A workspace of these records only (and every record read afresh), for the same functions a full
        load feeds."""
        chosen = {record.path: record for record in self.afresh.values()}
        chosen.update((record.path, record) for record in records)
        return Workspace(self.root, self.schema, [chosen[path] for path in sorted(chosen)],
                         folder_problems(self.root))


# -- the scan -------------------------------------------------------------------------------------------------

def _scan(lookup: Lookup, key: str) -> None:
    cache, schema, root = lookup.cache, lookup.schema, lookup.root
    if cache.key() != key:
        cache.reset(key)
    db = cache.db
    started_ns = time.time_ns()
    changed: list[tuple] = []  # rows to write (cache._read fills it)
    confirmed: list[str] = []
    dropped: list[str] = []  # rows to delete: removed files, files that can no longer be cached
    listings: list[tuple] = []  # listing rows to store
    times: list[tuple] = []  # listing_times rows to store (a listing's time and racy names, its version)
    aged: list[tuple] = []  # listings only older: (time, racy names, directory, the version this scan read)
    scanned: dict[str, tuple] = {}  # directory -> (names, keys, flags) as this scan proved them
    folders = readable_folders(root)
    git = GitIndex.of(root)
    asked, claimed = _ask_git(cache, git, [directory for directory, _ in folders]) if git is not None else (None, False)
    try:
        # the guard: the listings' flags claim exactly the rows there are (count(*) reads the smallest index)
        rows_count = db.execute("SELECT count(*) FROM files").fetchone()[0]
        stored_listings = {row[0]: row[1:] for row in db.execute(
            "SELECT listing.directory, names, keys, flags, taken_ns, trusted, entries, racy, version FROM listing "
            "JOIN listing_times ON listing_times.directory = listing.directory")}
        if sum(row[2].count(1) for row in stored_listings.values()) != rows_count:
            stored_listings = {}
        listed_names = {}  # while git compares stats: each folder's names
        if asked is not None:
            listed_names = {directory: _names(root, directory, stored_listings[directory])
                            for directory, _ in folders if directory in stored_listings}
    finally:
        dirty = asked.paths() if asked is not None else None
    unclaimed = False  # a folder listed without git's word (a claim is made after the scan if none holds)
    # when this command made the claim, a file it proves fresh now is proven for git's index too (gitindex.py)
    entries = asked.entries if dirty is not None else None
    listed_plainly = _list_folders(root, [directory for directory, _ in folders
                                          if dirty is None or directory not in stored_listings], stored_listings)
    second = started_ns // 1_000_000_000
    changed_this_second = False  # such a file changed in this very second: the next command claims anew
    for directory, kind in folders:
        stored = stored_listings.get(directory)
        if dirty is not None and stored is not None:
            if listed_names.get(directory) is None:
                continue
            listed = _list_trusted(root, directory, stored, dirty, listed_names[directory], entries)
            names, keys, links, temps, suspects, removed, old_flags, trusted, by_git = listed
            lookup.proven_by_git += by_git
            names_text = "\0".join(names)
            digest = listed_names[directory][3] if len(names) == len(listed_names[directory][0]) else b""
        else:
            listed = listed_plainly[directory]
            if listed is None:
                continue
            names, keys, links, temps, digest = listed
            names_text = "\0".join(names)
            suspects, removed, old_flags = _suspects(db, kind, names, names_text, keys, stored)
            trusted = _carried(stored, names, names_text)
            unclaimed = True
        lookup.temp_names[directory] = temps
        lookup.kinds[directory] = kind
        lookup.sorted_names[directory] = names
        for name in links:
            relative = f"{directory}/{name}"
            lookup.afresh[relative] = link_record(kind, relative, SimpleNamespace(
                path=os.path.join(root, directory, name)))
        flags = bytearray(old_flags) if old_flags is not None else bytearray(len(names))
        rows = {}
        for chunk in _chunks([f"{directory}/{names[index]}" for index in suspects]):
            rows.update((row[0], row[1:]) for row in db.execute(
                "SELECT path, mtime_ns, ctime_ns, size, ino, checked_ns, blob FROM files "
                f"WHERE path IN ({_marks(chunk)})", chunk))
        for index in suspects:
            name = names[index]
            relative = f"{directory}/{name}"
            path = os.path.join(root, directory, name)
            stat_key = tuple(keys[4 * index:4 * index + 4])
            row = rows.get(relative)
            flags[index] = 0
            read = None
            if row is not None and tuple(row[:4]) == stat_key:
                if stat_key[0] < row[4] - RACY_NS:
                    flags[index] = 1
                    if entries is not None:
                        trusted[index], changed_this_second = _proven(entries, relative, row[5], second,
                                                                      trusted[index], changed_this_second)
                    continue
                try:
                    read = read_record_file(path)
                except OSError:
                    read = None
                if read is not None and read[0] == stat_key and blob_id(read[1]) == row[5]:
                    if stat_key[0] < started_ns - RACY_NS:
                        confirmed.append(relative)
                    flags[index] = 1
                    if entries is not None:
                        trusted[index], changed_this_second = _proven(entries, relative, row[5], second,
                                                                      trusted[index], changed_this_second)
                    continue
            trusted[index] = 0  # its row is replaced or dropped: what git's index proved of the old one is moot
            before = len(changed)
            record = _read(schema, kind, relative, path, started_ns, changed, read)
            if record is None:
                dropped.append(relative)
                continue
            if len(changed) > before and tuple(changed[-1][2:6]) == stat_key:  # row_values' stat key
                flags[index] = 1  # its row answers for it (a cold scan of 100,000 files holds no records)
                if entries is not None:
                    trusted[index], changed_this_second = _proven(entries, relative, changed[-1][7], second, 0,
                                                                  changed_this_second)
                if len(changed) >= 2000:
                    _write(cache, changed, [], [], [], [], started_ns)
                    changed.clear()
            else:
                lookup.afresh[relative] = record
                dropped.append(relative)  # it has a problem now, or changed while read: no row, read each time
                del changed[before:]
        dropped += [f"{directory}/{name}" for name in removed]
        new = (names_text, keys.tobytes(), bytes(flags))
        scanned[directory] = new
        if stored is None or new != tuple(stored[:3]) or bytes(trusted) != stored[4] or digest != stored[5]:
            listings.append((directory, *new, bytes(trusted), digest))
            # inside git its keys are as old as the oldest (only some files were lstat'ed)
            taken_ns = stored[3] if dirty is not None and stored is not None else started_ns
            times.append((directory, taken_ns, _racy_names(names, keys, taken_ns),
                          stored[7] + 1 if stored is not None else 0))
        elif dirty is None and suspects:
            racy = _racy_now(names, keys, stored[6], started_ns)
            if racy is not None:  # some file was racy for the stored listing but no longer is
                aged.append((started_ns, racy, directory, stored[7]))
    if changed or confirmed or dropped or listings or times or aged or changed_this_second:
        _write(cache, changed, confirmed, dropped, listings, times, started_ns, forget_claim=changed_this_second,
               aged=aged)
    if unclaimed and git is not None and not claimed:
        _claim(cache, git, [directory for directory, _ in folders], (started_ns, scanned))


def _write(cache: Cache, changed: list, confirmed: list, dropped: list, listings: list, times: list,
           started_ns: int, forget_claim: bool = False, aged: list = ()) -> None:
    try:
        with cache.transaction() as db:
            drop_rows(db, dropped)
            put_rows(db, changed)
            db.executemany("UPDATE files SET checked_ns = ? WHERE path = ?", [(started_ns, path) for path in confirmed])
            db.executemany("INSERT OR REPLACE INTO listing VALUES (?, ?, ?, ?, ?, ?)", listings)
            db.executemany("INSERT OR REPLACE INTO listing_times VALUES (?, ?, ?, ?)", times)
            # a listing a write changed since this scan read it keeps its racy names: the write named its file
            # racy there, and this scan's keys are older than the write's
            db.executemany("UPDATE listing_times SET taken_ns = ?, racy = ? WHERE directory = ? AND version = ?",
                           aged)
            if forget_claim:
                db.execute("DELETE FROM claim")
    except sqlite3.OperationalError:
        # busy or read-only: rows of removed or changed files may linger, so the index cannot answer this time
        raise NoIndex("the cache could not be updated") from None


# -- what git's index proves (store/gitindex.py) -----------------------------------------------------------------

def _proven(entries: dict, relative: str, blob: str, second: int, trusted: int, changed_this_second: bool):
    """(the trusted bit, changed_this_second) of a file this scan proved its row holds, at a second `second`."""
    entry = entries.get(relative)
    if entry is None or entry[0] != blob:
        return 0, changed_this_second
    if entry[1] < second:
        return 1, changed_this_second
    return trusted, True


def _carried(stored: tuple | None, names: list[str], names_text: str) -> bytearray:
    """The trusted bits of the stored listing carried to `names` (0 for a new name): a bit stays true while its
    row is not replaced, and the scan clears it when it replaces the row."""
    if stored is None:
        return bytearray(len(names))
    if stored[0] == names_text:
        return bytearray(stored[4])
    old = dict(zip(stored[0].split("\0") if stored[0] else (), stored[4]))
    return bytearray(old.get(name, 0) for name in names)


def _ask_git(cache: Cache, git: GitIndex, folders: list[str]) -> tuple["AskedGit | None", bool]:
    """(`diff-files` started, when the stored claim is for the index as it is — made anew first when the index
    changed — and proves most files fresh; whether a claim holds for the index as it is). Without `diff-files`
    every file is lstat'ed."""
    identity = git.identity()
    if identity is None:
        return None, False
    claimed = cache.db.execute("SELECT identity, useful FROM claim").fetchone()
    entries = None
    if claimed is None or claimed[0] != identity:
        if cache.db.execute("SELECT count(*) FROM listing").fetchone()[0] == 0:
            return None, False
        entries = _claim(cache, git, folders)
        if entries is None:
            return None, False
        claimed = cache.db.execute("SELECT identity, useful FROM claim").fetchone()
        if claimed is None or claimed[0] != identity or not claimed[1]:
            return None, False  # made again after the scan, which proves rows anew (files touched since, say)
    if not claimed[1]:
        return None, True  # git proves too few files (most are untracked, say): the listing alone is cheaper
    return AskedGit(git, identity, git.dirty(folders), entries), True


class AskedGit:
    """A running `diff-files` against the claimed index."""

    def __init__(self, git: GitIndex, identity: str, dirty, entries: dict | None):
        self.git, self.identity, self.dirty = git, identity, dirty
        self.entries = entries  # git's plain entries, when this command made the claim

    def paths(self) -> set[str] | None:
        """The paths git names as changed since its index; None when git failed or the index changed meanwhile
        (its answer may then be another index's)."""
        paths = self.dirty.paths()
        return paths if paths is not None and self.git.identity() == self.identity else None


def _claim(cache: Cache, git: GitIndex, folders: list[str], scan: tuple | None = None) -> dict | None:
    """Store which listed files git's index (as it is now) proves fresh while it stays that index: a plain
    entry whose blob is the row's, its ctime second before the row was last proven (gitindex's docstring):
    its `checked_ns`, or right after a scan, `scan` = (when it started, {directory: (names, keys, flags)} as it
    proved them) — every flagged row of a listing still as the scan left it was proven then. Returns git's
    plain entries; None when the index or a listing changed meanwhile or git failed (no claim then). After a
    scan no scan follows to prove again a file whose row was proven in the second git recorded it: the claim
    is then left for the next command."""
    identity = git.identity()
    entries = git.plain_entries(folders) if identity is not None else None
    if entries is None or git.identity() != identity:
        return None
    waiting = False
    proven = listed = 0
    proven_ns, scanned = scan if scan is not None else (None, {})
    try:
        with cache.transaction() as db:
            listings = db.execute("SELECT directory, names, keys, flags FROM listing").fetchall()
            if any(directory in scanned and scanned[directory] != (names_text, keys, flags)
                   for directory, names_text, keys, flags in listings):
                return None  # a write changed a listing since the scan proved it: nothing written, no claim
            # one pass over the rows: the paths whose row git's entry proves (gitindex's docstring)
            trusting = set()
            get = entries.get
            for path, blob, second in db.execute("SELECT path, blob, checked_ns / 1000000000 FROM files"):
                entry = get(path)
                if entry is not None and entry[0] == blob:
                    if proven_ns is not None and path[:path.find("/")] in scanned:
                        second = proven_ns // 1_000_000_000
                    if entry[1] < second:
                        trusting.add(path)
                    else:
                        waiting = True
            updates = []
            for directory, names_text, _, flags in listings:
                if scan is not None and directory not in scanned:
                    trusted = bytearray(len(flags))  # a folder not listed this time: nothing trusted
                else:
                    prefix = directory + "/"
                    trusted = bytearray(map(and_, flags, [prefix + name in trusting
                                                          for name in (names_text.split("\0") if names_text else ())]))
                updates.append((bytes(trusted), directory))
                proven += trusted.count(1)
                listed += len(trusted)
            db.executemany("UPDATE listing SET trusted = ? WHERE directory = ?", updates)
            db.execute("DELETE FROM claim")
            if not (proven_ns and waiting):
                db.execute("INSERT INTO claim VALUES (?, ?)", (identity, 2 * proven >= listed))
    except sqlite3.OperationalError:
        return None
    return entries


def _list_trusted(root: Path, directory: str, stored: tuple, dirty: set[str], listed: tuple, entries: dict | None):
    """As _list_folder, and (indexes of the files to look at one by one, names of removed files, the flags,
    the trusted bits, how many files git proved fresh), for a folder with a stored listing while git's index answers: only the files it does
    not prove fresh are lstat'ed — not trusted (untracked, ignored, changed in the index, flagged), named by
    `diff-files`, without a row, or new since the listing. `listed`: _names's answer. `entries`: git's plain
    entries when this command made the claim: a file among them is looked at one by one, so its row, proven
    now, may be trusted from now on."""
    names, temps, same, _ = listed
    old_text, old_keys, old_flags, _, old_trusted, *_ = stored
    keys = array("q")
    if same:
        keys.frombytes(old_keys)
        flags, trusted, removed = bytearray(old_flags), bytearray(old_trusted), []
    else:
        previous = array("q")
        previous.frombytes(old_keys)
        old = {name: index for index, name in enumerate(old_text.split("\0") if old_text else ())}
        flags, trusted = bytearray(len(names)), bytearray(len(names))
        for index, name in enumerate(names):
            at = old.pop(name, None)
            if at is None:
                keys.extend((0, 0, 0, 0))
            else:
                keys.extend(previous[4 * at:4 * at + 4])
                flags[index], trusted[index] = old_flags[at], old_trusted[at]
        removed = list(old)
    # a file is proven fresh when its row holds its listed key (flag), git's index proves it (trusted) and
    # diff-files does not name it: everything else is a candidate, lstat'ed now
    proven = bytes(map(and_, flags, trusted))
    candidates = set()
    at = proven.find(0)
    while at != -1:
        candidates.add(at)
        at = proven.find(0, at + 1)
    prefix = directory + "/"
    for path in dirty:
        if path.startswith(prefix):
            index = bisect.bisect_left(names, path[len(prefix):])
            if index < len(names) and names[index] == path[len(prefix):]:
                candidates.add(index)
    links, gone, suspects = [], set(), []
    folder = os.path.join(root, directory)
    limit = stored[3] - RACY_NS
    for index in sorted(candidates):
        try:
            info = os.lstat(os.path.join(folder, names[index]))
        except OSError:
            info = None
        kind = info.st_mode & 0o170000 if info is not None else None
        if kind == stat_module.S_IFREG:
            key = array("q", (info.st_mtime_ns, info.st_ctime_ns, info.st_size, info.st_ino))
            if not (flags[index] and keys[4 * index:4 * index + 4] == key and key[0] < limit) or (
                    entries is not None and prefix + names[index] in entries):
                keys[4 * index:4 * index + 4] = key
                suspects.append(index)  # not proven by the listing either (as _suspects says for every file)
            continue
        if kind == stat_module.S_IFLNK:
            links.append(names[index])
        gone.add(index)  # a link, a folder, or removed since the listing: not a record file of this listing
    if gone:
        removed += [names[index] for index in gone]
        keep = [index for index in range(len(names)) if index not in gone]
        new_index = {old: new for new, old in enumerate(keep)}
        suspects = [new_index[index] for index in suspects]
        names = [names[index] for index in keep]
        keys = array("q", [value for index in keep for value in keys[4 * index:4 * index + 4]])
        flags = bytearray(flags[index] for index in keep)
        trusted = bytearray(trusted[index] for index in keep)
    return names, keys, links, temps, suspects, removed, flags, trusted, len(names) - (len(candidates) - len(gone))


def _list_folders(root: Path, directories: list[str], stored_listings: dict) -> dict[str, tuple | None]:
    """For each record folder: (sorted names of its regular record files, their packed stat keys, names of
    links, names ending in .tmp, the digest of its entries to store — b"" unless the names are exactly the
    entries' candidates), or None when it cannot be listed (folder_problems names it). Names as
    paths.record_files filters them; with a stored listing, only entries not among its names are looked at."""
    opened, jobs, found = {}, [], {}
    try:
        for directory in directories:
            folder = _open_folder(os.path.join(root, directory))
            if folder is None:
                found[directory] = None
                continue
            fd, _, entries = folder
            names, temps, _, digest = _names_among(entries, stored_listings.get(directory))
            opened[directory] = (fd, names, temps, digest)
            if fd is not None:
                jobs.append((fd, names))
        answers = iter(stat_keys(jobs))
        for directory, (fd, names, temps, digest) in opened.items():
            if fd is None:
                keys, specials = stat_by_path(os.path.join(root, directory), names)
            else:
                keys, specials = next(answers)
            links = [names[index] for index, kind in sorted(specials.items()) if kind == LINK]
            if specials:
                keep = [index for index in range(len(names)) if index not in specials]
                names = [names[index] for index in keep]
                keys = array("q", [value for index in keep for value in keys[4 * index:4 * index + 4]])
                digest = b""  # the names are not all the listing's candidates: the next scan looks at them all
            found[directory] = (names, keys, links, temps, digest)
    finally:
        for fd, *_ in opened.values():
            if fd is not None:
                os.close(fd)
    return found


def _names(root: Path, directory: str, stored: tuple):
    """_names_among's answer for a record folder, nothing lstat'ed; None when it cannot be listed."""
    opened = _open_folder(os.path.join(root, directory))
    if opened is None:
        return None
    if opened[0] is not None:
        os.close(opened[0])
    return _names_among(opened[2], stored)


def _names_among(entries: list[str], stored: tuple | None):
    """(sorted names a record file may have, names ending in .tmp, whether the names are the stored listing's,
    the digest of the entries) of a folder's entries, as listed.

    A listing is stored with the digest of the entries its names were filtered from (column `entries`), only
    when its names were then exactly those entries' candidates; writes add names to a listing or keep them,
    never remove one (listing_written). So when the entries hash to the stored digest, the stored names hold
    every candidate (and perhaps names of files removed since, which the caller's lstat finds gone): no entry
    needs a look, a hash of the listing in C instead of a set of 100,000 names. Otherwise only entries not
    among the stored names are filtered."""
    joined = "\0".join(entries)
    digest = hashlib.blake2b(joined.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    temps = ([name for name in entries if name[-4:] == ".tmp"] if ".tmp\0" in joined or joined.endswith(".tmp")
             else [])
    if stored is None:
        return _record_names(entries)[0], temps, False, digest
    old_names = stored[0].split("\0") if stored[0] else []
    if digest == stored[5]:
        return old_names, temps, True, digest
    entries = set(entries)
    extra = _record_names(entries.difference(old_names))[0]
    if not extra and entries.issuperset(old_names):
        return old_names, temps, True, digest
    names = sorted({name for name in old_names if name in entries}.union(extra))
    return names, temps, names == old_names, digest


def _open_folder(folder: str):
    """(a descriptor of the folder or None, its path, its entries); None when it cannot be listed."""
    fd = None
    try:
        if _DIR_FD:
            fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
            return fd, folder, os.listdir(fd)
        return None, folder, os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        if fd is not None:
            os.close(fd)
        return None


def _record_names(listed: list[str]) -> tuple[list[str], list[str]]:
    """(the names that may be record files, sorted; the names ending in .tmp) of a folder's entries."""
    temps = [name for name in listed if name[-4:] == ".tmp"]
    listed = [name for name in listed if name[-3:] == ".md" and name[:1] != "."
              and (name.isascii() or _is_text(name))]
    listed.sort()
    return listed, temps


def _suspects(db: sqlite3.Connection, kind: str, names: list[str], names_text: str, keys: array, stored):
    """(indexes of the files to look at one by one, names of removed files, the stored flags when the listing
    is the same) — every file when there is no usable listing."""
    if stored is None:
        known = {path.split("/", 1)[1] for (path,) in db.execute("SELECT path FROM files WHERE kind = ?", (kind,))}
        present = set(names)
        return list(range(len(names))), [name for name in known if name not in present], None
    old_text, old_keys, old_flags, taken_ns, _, _, racy, _ = stored
    limit = taken_ns - RACY_NS
    if old_text == names_text:  # the same files: those whose key changed (found by halves, in C), racy or rowless
        new_keys = keys.tobytes()
        # a file whose key is the stored one was racy for the listing iff the listing's racy names hold it
        suspects = [bisect.bisect_left(names, name) for name in racy.split("\0")] if racy else []
        if any(index >= len(names) for index in suspects):  # not the listing's names: look at every file
            return list(range(len(names))), [], old_flags
        if old_keys != new_keys:
            suspects += differing_records(old_keys, new_keys, KEY_BYTES)
        at = old_flags.find(0)
        while at != -1:
            suspects.append(at)
            at = old_flags.find(0, at + 1)
        return sorted(set(suspects)), [], old_flags
    old_names = old_text.split("\0") if old_text else []
    previous = array("q")
    previous.frombytes(old_keys)
    old = {name: (index, old_flags[index]) for index, name in enumerate(old_names)}
    suspects = []
    flags = bytearray(len(names))
    for index, name in enumerate(names):
        known = old.pop(name, None)
        if known is not None:
            at = known[0] * 4
            if known[1] and previous[at:at + 4] == keys[index * 4:index * 4 + 4] and keys[index * 4] < limit:
                flags[index] = 1
                continue
        suspects.append(index)
    return suspects, list(old), bytes(flags)


KEY_BYTES = array("q").itemsize * 4  # a file's packed stat key in a listing


def differing_records(old: bytes, new: bytes, width: int) -> list[int]:
    """Indexes of the `width`-byte records that differ between two byte strings of one length: halves compared
    whole (memcmp), so a few changed files among 100,000 cost a few dozen comparisons, not a loop over all."""
    found: list[int] = []
    pending = [(0, len(new) // width)]
    while pending:
        low, high = pending.pop()
        if old[low * width:high * width] == new[low * width:high * width]:
            continue
        if high - low == 1:
            found.append(low)
            continue
        middle = (low + high) // 2
        pending += [(middle, high), (low, middle)]
    return sorted(found)


def _racy_names(names: list[str], keys: array, taken_ns: int) -> str:
    """The names (joined by NUL) of the files whose mtime is within RACY_NS of `taken_ns` or later: a listing
    taken then cannot prove them (a same-second edit keeps the key), so every scan looks at them. Kept beside
    the listing, so a scan finds them without a pass over every key."""
    limit = taken_ns - RACY_NS
    mtimes = keys[0::4]
    if not mtimes or max(mtimes) < limit:
        return ""
    return "\0".join(names[index] for index in compress(count(), map(limit.__le__, mtimes)))


def _racy_now(names: list[str], keys: array, racy: str, started_ns: int) -> str | None:
    """The racy names of a listing whose keys are unchanged, taken anew at `started_ns`; None when they are the
    stored ones still (no file left the racy window)."""
    limit = started_ns - RACY_NS
    still = []
    for name in racy.split("\0") if racy else ():
        index = bisect.bisect_left(names, name)
        if index < len(names) and names[index] == name and keys[4 * index] >= limit:
            still.append(name)
    joined = "\0".join(still)
    return None if joined == racy else joined


# -- a write keeps the listing of its folder -------------------------------------------------------------------

def listing_written(db: sqlite3.Connection, relative: str, stat_key: tuple | None) -> None:
    """Inside the write's cache transaction: file `relative` now has `stat_key` and a row of exactly that key
    (None: it has no row). Nothing when its folder has no listing yet."""
    directory, _, name = relative.partition("/")
    stored = db.execute("SELECT names, keys, flags, trusted FROM listing WHERE directory = ?",
                        (directory,)).fetchone()
    if stored is None:
        return
    keys = array("q")
    keys.frombytes(stored[1])
    flags, trusted = bytearray(stored[2]), bytearray(stored[3])
    key = array("q", stat_key or (0, 0, 0, 0))
    padded = f"\0{stored[0]}\0"
    at = padded.find(f"\0{name}\0") if stored[0] else -1
    if at != -1:  # a file the listing holds (a set, a move): its place counted in C, the names left as they are
        index = padded.count("\0", 0, at)
        keys[index * 4:index * 4 + 4] = key
        names_text = stored[0]
    else:
        names = stored[0].split("\0") if stored[0] else []
        index = bisect.bisect_left(names, name)
        names.insert(index, name)
        keys[index * 4:index * 4] = key
        flags.insert(index, 0)
        trusted.insert(index, 0)
        names_text = "\0".join(names)
    flags[index] = 1 if stat_key is not None else 0
    trusted[index] = 0  # a new row: what git's index proved of the old one is moot
    db.execute("UPDATE listing SET names = ?, keys = ?, flags = ?, trusted = ? WHERE directory = ?",
               (names_text, keys.tobytes(), bytes(flags), bytes(trusted), directory))
    # just written, so racy for the listing (a same-second edit after it would keep its key); a new version, so
    # a scan that read the listing before this write stores no racy names of its own over it
    racy = db.execute("SELECT racy FROM listing_times WHERE directory = ?", (directory,)).fetchone()
    if racy is not None:
        racy_names = set(filter(None, racy[0].split("\0"))) | {name}
        db.execute("UPDATE listing_times SET racy = ?, version = version + 1 WHERE directory = ?",
                   ("\0".join(sorted(racy_names)), directory))


def _has(names: list[str], name: str) -> bool:
    """`name in names` for a sorted list."""
    index = bisect.bisect_left(names, name)
    return index < len(names) and names[index] == name


def _marks(items) -> str:
    return ",".join("?" * len(items))


def _chunks(items: list, size: int = 500):
    for start in range(0, len(items), size):
        yield items[start:start + size]


# -- what the gates of some deals read ---------------------------------------------------------------------------

class Around:
    """The records the gates of some deals read, found through a Lookup: the contacts they name, and of each
    counterparty (the schema's prior_deal groupings) the earliest deals, in the order GateContext sorts them, up
    to the first that is not one of the deals judged — the prior deal they may have; with `bound`, also every
    deal of those counterparties that started after it (gates.prior_deal_readers: the deals whose gates may
    read a change), and what their gates read in turn. Which deals share a counterparty is decided by
    GateContext's own functions over stand-ins of every contact's grouping fields; deals are found by their
    `contact:` (an index), so a contact id used by two files would make that inexact: NoIndex then."""

    def __init__(self, lookup: Lookup):
        from ..model.gates import GateContext, prior_deal_groupings

        self.lookup = lookup
        self.schema = lookup.schema
        self.sames = prior_deal_groupings(self.schema)
        self.GateContext = GateContext
        self.loaded: dict[str, Record] = {}
        self._refs = {kind: [name for name, spec in self.schema.kind(kind).fields.items()
                             if spec.fieldtype.references == "contact"] for kind in ("contact", "deal")}

    def records(self) -> list[Record]:
        return list(self.loaded.values())

    def load(self, paths) -> list[Record]:
        new = [path for path in paths if path not in self.loaded]
        for record in self.lookup.records(new):
            self.loaded[record.path] = record
        return [self.loaded[path] for path in paths if path in self.loaded]

    def add(self, records) -> None:
        for record in records:
            self.loaded[record.path] = record

    def contacts_of(self, records) -> None:
        """Load every file holding an id that a contact reference of `records` names."""
        ids = {record.fields.get(name) for record in records for name in self._refs.get(record.kind, ())}
        self.load(self.lookup.paths_with_ids(ids - {None}))

    def context(self):
        loaded = sorted(self.loaded.values(), key=lambda record: record.path)
        everything = {record.path: record for record in self.lookup.afresh.values()}
        everything.update((record.path, record) for record in loaded)
        records = [everything[path] for path in sorted(everything)]
        return self.GateContext([r for r in records if r.kind == "contact"], [r for r in records if r.kind == "deal"])

    def keys(self, deal) -> list[tuple]:
        context = self.context()
        keys = []
        for same in self.sames:
            keys += [key for key in context._group_keys(deal, same) if key not in keys]
        return keys

    def earliest(self, deal, skip: set) -> None:
        """Load, for each counterparty of `deal`, its deals in order up to the first whose id is not in
        `skip` nor the deal's own (its prior deal, if it has one), with their contacts."""
        paths = []
        for key in self.keys(deal):
            for _, record_id, path in self.lookup.ordered_deals(key):
                paths.append(path)
                if record_id not in skip and record_id != deal.id:
                    break
        self.contacts_of(self.load(paths))

    def readers(self, deal, bound: tuple) -> list[str]:
        """Paths of the deals of `deal`'s counterparties that started after `bound` (GateContext.started)."""
        after = started_text(bound)
        return [path for key in self.keys(deal) for _, _, path in self.lookup.ordered_deals(key, after)]


def around_deals(lookup: Lookup, judged: list[Record], bound=None) -> list[Record]:
    """The records whose values the gates of the deals `judged` read, and with `bound` those of the deals that
    may read a change of them (see Around) — not the judged records' own files: the caller adds the versions it
    judges. Every record read afresh joins in Lookup.workspace."""
    around = Around(lookup)
    around.add(judged)
    # deals read afresh are in every lookup's workspace: their counterparties come from their contacts
    around.contacts_of(judged + [record for record in lookup.afresh.values() if record.kind == "deal"])
    deals = [record for record in judged if record.kind == "deal"]
    skip = {record.id for record in deals}
    for deal in deals:
        around.earliest(deal, skip)
    if bound is not None:
        readers = sorted({path for deal in deals for path in around.readers(deal, bound)})
        loaded = around.load(readers) + [record for record in lookup.afresh.values() if record.kind == "deal"]
        around.contacts_of(loaded)
        for reader in loaded:
            around.earliest(reader, skip | {reader.id})
    own = {record.path for record in judged}
    return [record for record in around.records() if record.path not in own]
