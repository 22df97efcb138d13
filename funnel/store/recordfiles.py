"""A record file on disk → a Record: read and typed, or — a link, a file that cannot be opened — a record that
`check` reports and views skip, never followed. Shared by the plain load (workspace.py) and the cache."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable

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
        data = read_record_file(entry.path)
    except OSError as exc:
        return unreadable_record(kind, relative, exc)
    return build_record(schema, kind, relative, data)


# a record file is read as the regular file it was listed as: never through a link put there since (O_NOFOLLOW),
# never waiting on a pipe (O_NONBLOCK), never translated (O_BINARY, on Windows)
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) \
    | getattr(os, "O_BINARY", 0)


def read_record_file(path: str, stat_taken: Callable[[os.stat_result], object] | None = None) -> bytes:
    """The bytes of the record file at `path` (os-level: half the cost of open().read() for a small file);
    `stat_taken` is given the file's stat, taken before its bytes are read."""
    descriptor = os.open(path, _READ_FLAGS)
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        if stat_taken is not None:
            stat_taken(info)
        chunks = [os.read(descriptor, info.st_size + 1)]
        while chunks[-1]:  # the file grew since fstat (or is larger than one read returns)
            chunks.append(os.read(descriptor, 1 << 20))
        return b"".join(chunks)
    finally:
        os.close(descriptor)
