"""`funnel attach`: copy a file under deals/<id>/ and record {path, sha256} in an attachments field.

The copy gets a safe file name, never silently overwrites a different file (a second file of the same name
becomes `name-2.ext`), and is removed again when the record write is refused, so a refused command leaves
nothing behind.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from pathlib import Path

from ..store.atomic import atomic_write
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
    if source.is_symlink():
        raise Refused(f"{source}: is a symbolic link; attach the file it points to")
    if source.is_dir():
        raise Refused(f"{source}: is a directory; attach files one by one")
    if not source.is_file():
        raise Refused(f"{source}: no such file")
    data = source.read_bytes()  # hashed and copied from the same bytes, even if the file changes meanwhile
    digest = hashlib.sha256(data).hexdigest()
    created: list[Path] = []  # files and folders this command made, removed again if the write is refused

    def plan(tx, record: Record, changes) -> Edit:
        if record.kind != "deal":
            raise Refused(f"{record.id} is a contact; files are attached to deals")
        spec = tx.schema.kind("deal").fields.get(field)
        if spec is None or spec.type != "attachments":
            fields = [name for name, s in tx.schema.kind("deal").fields.items() if s.type == "attachments"]
            raise Refused(f"'{field}' is not an attachments field (attachments fields: {', '.join(fields) or 'none'})")
        folder = root / DIR_OF_KIND["deal"] / record.id
        if folder.is_symlink() or not folder.parent.resolve().is_relative_to(root.resolve()) or (
                folder.exists() and not folder.resolve().is_relative_to(root.resolve())):
            raise Refused(f"{folder}: leads outside the workspace; refusing to write there")
        relative = store(folder, safe_name(source.name), data, digest, created)
        stored = f"{DIR_OF_KIND['deal']}/{record.id}/{relative}"
        entries = list(record.fields.get(field) or [])
        item = {"path": stored, "sha256": digest}
        if item not in entries:
            entries.append(item)
        copied = (stored,) if any(path.is_file() for path in created) else ()  # else an identical file was there
        return Edit({field: entries}, files=copied, attached=stored)

    try:
        return update_record(root, "attach", deal_text, plan, kind="deal")
    except BaseException:
        for path in reversed(created):
            if path.is_dir():
                path.rmdir()
            else:
                path.unlink(missing_ok=True)
        raise


def store(folder: Path, name: str, data: bytes, digest: str, created: list[Path]) -> str:
    """Copy into `folder` under `name`, or reuse an identical file already there; never overwrite anything,
    not even a dangling symbolic link (writing through it would land outside the workspace)."""
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    if not folder.exists():
        folder.mkdir(parents=True)
        created.append(folder)
    for number in range(1, 1000):
        candidate = name if number == 1 else (f"{stem}-{number}.{suffix}" if suffix else f"{stem}-{number}")
        target = folder / candidate
        if os.path.lexists(target):
            if target.is_file() and not target.is_symlink() and file_sha256(target) == digest:
                return candidate
            continue
        atomic_write(target, data)
        created.append(target)
        return candidate
    raise Refused(f"{folder}: too many files named like {name}")
