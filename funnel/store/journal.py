"""The journal of a many-file write: all of it lands, or none of it does.

A batch (an import) writes every new text to a temp file beside its record, then renames them into place. A
crash between the first and the last rename would leave half an import, so the batch keeps a journal in
funnel's own directory (never in the working tree):

1. `pending`: the journal names every temp file before the first one is written; a crash now rolls *back*
   (the temp files are removed, no record was touched);
2. `commit`: once every temp file is written and synced, the journal says so, atomically; a crash from now on
   rolls *forward* (the remaining temp files are renamed into place);
3. the journal is removed when every rename is done.

The next funnel command that loads the workspace or takes its lock finishes what was left (`recover`). The
journal is funnel's own file, but it is checked as if it were not: it may only name record files (`contacts/`,
`deals/`) of this workspace, and temp files are recognised by their name.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
from pathlib import Path

from .owndir import (CLOEXEC, NOFOLLOW, discard, ensure_own_directory, fsync_directory, open_own_file,
                     own_directory)
from .paths import leads_outside

JOURNAL_NAME = "import.journal"
MAX_JOURNAL = 64 << 20  # bytes; 100,000 records name well under this
TEMP_NAME = re.compile(r"\.[^/]+\.batch-[0-9a-f]{12}\.tmp\Z")
RECORD_PATH = re.compile(r"(contacts|deals)/[^/]+\.md\Z")


def journal_path(root: Path) -> Path:
    """Where the journal of `root` is (the directory may not exist yet)."""
    return own_directory(root) / JOURNAL_NAME


def temp_name(target: str, token: str) -> str:
    """The temp file beside `target` (relative to the root): dot-prefixed and ending in .tmp, so no reader
    mistakes it for a record (and .gitignore ignores it); not atomic_write's pattern, so its clean-up of a
    killed write's leftovers never takes a batch's files."""
    directory, _, name = target.rpartition("/")
    return f"{directory}/.{name}.batch-{token}.tmp"


def write_journal(root: Path, state: str, pairs: list[tuple[str, str]]) -> None:
    """Replace the journal atomically and durably; funnel's own directory is made when missing, and nothing
    there is ever written through a link."""
    directory = ensure_own_directory(root)
    if directory is None or directory != own_directory(root):
        raise OSError(errno.EACCES, "cannot write the import journal in funnel's own directory",
                      str(own_directory(root)))
    import secrets  # writes only; a view never pays for the import

    data = json.dumps({"state": state, "files": pairs}).encode("utf-8")
    temp = directory / f".{JOURNAL_NAME}.{secrets.token_hex(6)}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW | CLOEXEC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, directory / JOURNAL_NAME)  # replaces a link itself, never its target
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    fsync_directory(directory)


def remove_journal(root: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(journal_path(root))


def pending(root: Path) -> bool:
    """Whether an unfinished batch left a journal (one lstat: every command that loads the workspace asks)."""
    try:
        os.lstat(journal_path(root))
        return True
    except OSError:
        return False


def recover(root: Path) -> str | None:
    """Finish an unfinished batch: roll forward a committed one, roll back a pending one. The caller holds
    the workspace lock. Returns "forward", "back" or None (nothing to do)."""
    path = journal_path(root)
    if not pending(root):
        return None
    fd = open_own_file(path, writable=False, max_size=MAX_JOURNAL)
    data = b""
    if fd is not None:  # a link, a FIFO or a huge file is no journal of ours: it is removed, nothing replayed
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(MAX_JOURNAL + 1)
    pairs, state = _read(data)
    for temp, target in pairs:
        if os.path.islink(root / temp) or leads_outside(root, temp) or leads_outside(root, target):
            continue
        if state == "commit":
            with contextlib.suppress(FileNotFoundError):
                os.replace(root / temp, root / target)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(root / temp)
    for directory in {target.split("/")[0] for _, target in pairs}:
        with contextlib.suppress(OSError):
            fsync_directory(root / directory)
    discard(path)
    return "forward" if state == "commit" else "back"


def _read(data: bytes) -> tuple[list[tuple[str, str]], str]:
    """The journal's valid (temp, target) pairs and its state; anything unreadable rolls back (removing only
    files that are named as our temp files)."""
    try:
        journal = json.loads(data.decode("utf-8")) if len(data) <= MAX_JOURNAL else {}
    except (UnicodeDecodeError, ValueError):
        journal = {}
    if not isinstance(journal, dict):
        journal = {}
    state = journal.get("state") if journal.get("state") in ("pending", "commit") else "pending"
    pairs = []
    for item in journal.get("files") or ():
        if not (isinstance(item, list) and len(item) == 2 and all(isinstance(part, str) for part in item)):
            continue
        temp, target = item
        if RECORD_PATH.match(target) and temp.split("/")[0] == target.split("/")[0] \
                and TEMP_NAME.fullmatch(temp.split("/", 1)[-1]) and ".." not in temp:
            pairs.append((temp, target))
    return pairs, state
