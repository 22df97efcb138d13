"""`funnel attach`: copy a file under deals/<id>/ and record {path, sha256} in an attachments field.

The copy gets a safe file name, never silently overwrites a different file (a second file of the same name
becomes `name-2.ext`), and is removed again when the record write is refused, so a refused command leaves
nothing behind.
"""

from __future__ import annotations

import os
import stat
import re
import unicodedata
from pathlib import Path

from ..store.atomic import copy_new, remove_stale_temp_files
from ..model.checks import file_sha256
from ..model.records import Record
from ..model.schema import DIR_OF_KIND
from .writes import Edit, Refused, WriteResult, update_record

UNSAFE = re.compile(r"[^\w.\-]+")


def safe_name(name: str) -> str:
    """A file name that is the same on every system: letters (Cyrillic too), digits, '.', '-', '_'."""
    name = unicodedata.normalize("NFC", name)
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = UNSAFE.sub("_", stem).strip("._-") or "file"
    suffix = UNSAFE.sub("", suffix)[:16]
    return f"{stem[:100]}.{suffix}" if suffix else stem[:100]


def attach(root: Path, deal_text: str, source: Path, field: str = "acceptance_docs") -> WriteResult:
    """Copy `source` under the deal's folder and record it in the attachments field `field`."""
    handle = open_source(source)
    created: list[Path] = []  # files and folders this command made, removed again if the write is refused

    def plan(tx, record: Record, changes) -> Edit:
        if record.kind != "deal":
            raise Refused(f"{record.id} is a contact; files are attached to deals")
        spec = tx.schema.kind("deal").fields.get(field)
        if spec is None or not spec.fieldtype.holds_files:
            fields = [name for name, s in tx.schema.kind("deal").fields.items() if s.fieldtype.holds_files]
            raise Refused(f"'{field}' is not an attachments field (attachments fields: {', '.join(fields) or 'none'})")
        folder = root / DIR_OF_KIND["deal"] / record.id
        if folder.is_symlink() or not folder.parent.resolve().is_relative_to(root.resolve()) or (
                folder.exists() and not folder.resolve().is_relative_to(root.resolve())):
            raise Refused(f"{folder}: leads outside the workspace; refusing to write there")
        relative, digest = store(folder, safe_name(source.name), handle, created)
        stored = f"{DIR_OF_KIND['deal']}/{record.id}/{relative}"
        entries = list(record.fields.get(field) or [])
        item = {"path": stored, "sha256": digest}
        if item not in entries:
            entries.append(item)
        copied = (stored,) if any(path.is_file() for path in created) else ()  # else an identical file was there
        return Edit({field: entries}, files=copied, attached=stored)

    try:
        with handle:
            return update_record(root, "attach", deal_text, plan, kind="deal")
    except BaseException:
        for path in reversed(created):
            if path.is_dir():
                path.rmdir()
            else:
                path.unlink(missing_ok=True)
        raise


# what a path is when it is not a file to attach, for the message that refuses it
NOT_A_FILE = ((stat.S_ISDIR, "is a directory; attach files one by one"),
              (stat.S_ISCHR, "is a character device (like /dev/zero), not a file"),
              (stat.S_ISBLK, "is a block device, not a file"),
              (stat.S_ISFIFO, "is a named pipe (FIFO), not a file"),
              (stat.S_ISSOCK, "is a socket, not a file"))


def open_source(source: Path):
    """The file to attach, open for reading; Refused, saying what it is, when it is not a regular file. The
    kind is judged on the opened file (non-blocking, so a FIFO cannot hang us), not on a name that may change."""
    if source.is_symlink():
        raise Refused(f"{source}: is a symbolic link; attach the file it points to")
    try:
        fd = os.open(source, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise Refused(f"{source}: no such file") from None
    except IsADirectoryError:
        raise Refused(f"{source}: is a directory; attach files one by one") from None
    except OSError as exc:
        raise Refused(f"{source}: cannot be read: {exc.strerror or exc}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        what = next((text for test, text in NOT_A_FILE if test(mode)), "is not a regular file")
        raise Refused(f"{source}: {what}")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def store(folder: Path, name: str, source, created: list[Path]) -> tuple[str, str]:
    """Copy the open file `source` into `folder` under `name` (streamed: hashed while copied, never whole in
    memory), or reuse an identical file already there; never overwrite anything, not even a dangling link
    (writing through it would land outside the workspace). Returns the stored name and the sha256 of the
    bytes copied, even if the source changes meanwhile."""
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    if not folder.exists():
        folder.mkdir(parents=True)
        created.append(folder)
    remove_stale_temp_files(folder)  # a killed attach's half copy (we hold the workspace lock)
    taken: list[Path] = []  # names already in use: one of them may hold these very bytes
    for number in range(1, 1000):
        candidate = name if number == 1 else (f"{stem}-{number}.{suffix}" if suffix else f"{stem}-{number}")
        target = folder / candidate
        if os.path.lexists(target):
            taken.append(target)
            continue
        source.seek(0)
        try:
            digest = copy_new(source, target)
        except FileExistsError:  # made meanwhile by someone else
            taken.append(target)
            continue
        created.append(target)
        size = target.stat().st_size
        for existing in taken:
            if existing.is_file() and not existing.is_symlink() and existing.stat().st_size == size \
                    and file_sha256(existing) == digest:
                target.unlink()
                created.remove(target)
                return existing.name, digest
        return candidate, digest
    raise Refused(f"{folder}: too many files named like {name}")
