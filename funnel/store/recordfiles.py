"""A record file on disk → a Record: read and typed, or — a link, a file that cannot be opened — a record that
`check` reports and views skip, never followed. Shared by the plain load (workspace.py) and the cache."""

from __future__ import annotations

import os

from ..model.records import Record, build_record, refused_record
from ..model.schema import Schema


def link_record(kind: str, relative: str, entry: os.DirEntry) -> Record:
    """A symbolic link where a record file should be: reported by `check`, skipped by views, refused by
    writes, never followed."""
    return refused_record(kind, relative, "link",
                          f"is a symbolic link (to {os.readlink(entry.path)}); a record must be a regular file, "
                          "and funnel neither reads nor writes through links")


def unreadable_record(kind: str, relative: str, exc: OSError) -> Record:
    """A record file that could not be opened (permission denied): one line for the person, not a crash."""
    return refused_record(kind, relative, "unreadable", f"cannot be read: {exc.strerror or exc}")


def record_from_file(schema: Schema, kind: str, relative: str, entry: os.DirEntry) -> Record:
    """One record file, read and typed; a link or a file that cannot be opened is a record `check` reports."""
    if entry.is_symlink():
        return link_record(kind, relative, entry)
    try:
        with open(entry.path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return unreadable_record(kind, relative, exc)
    return build_record(schema, kind, relative, data)
