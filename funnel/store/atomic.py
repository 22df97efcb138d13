"""Writes that never lose data.

`atomic_write` replaces a file so that a crash at any moment leaves either the old or the new content, never a
torn mix.  `workspace_lock` serialises read-modify-write cycles of concurrent funnel commands, so two edits of
the same record cannot overwrite each other.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import secrets
import stat
import time
from typing import Iterator

__all__ = ["atomic_write", "workspace_lock", "LockTimeout"]


class LockTimeout(TimeoutError):
    """Another funnel command held the workspace lock for longer than we were willing to wait."""


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike, data: bytes) -> None:
    """Replace `path` with `data` atomically and durably, keeping the file's permission bits."""
    # Write through a symlink rather than replacing the link itself with a regular file.
    target = os.path.realpath(os.fspath(path))
    directory, name = os.path.split(target)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None
    # Dot-prefixed and ending in .tmp: a reader globbing `*.md` never mistakes a leftover for a record.
    while True:
        tmp = os.path.join(directory, f".{name}.{secrets.token_hex(6)}.tmp")
        try:
            # 0o666 filtered by the umask, like any new file; mkstemp's 0o600 would leak into new records.
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as f:
            if mode is not None:
                os.fchmod(f.fileno(), mode)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    # Without this the rename itself may be lost on power failure, leaving the old file.
    _fsync_dir(directory or ".")


@contextlib.contextmanager
def workspace_lock(root: str | os.PathLike, timeout: float | None = 30.0) -> Iterator[None]:
    """Hold an exclusive lock on `<root>/.funnel/lock` for a read-modify-write cycle.

    Not reentrant: flock locks belong to an open file description, so a nested call in the same process waits
    for itself and ends in LockTimeout.  `timeout=None` waits forever.
    """
    lock_dir = os.path.join(os.fspath(root), ".funnel")
    os.makedirs(lock_dir, exist_ok=True)
    lock_path = os.path.join(lock_dir, "lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.005
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise
            if deadline is not None and time.monotonic() >= deadline:
                holder = _read_holder(fd)
                raise LockTimeout(
                    f"could not lock {lock_path} within {timeout:g} s: another funnel command"
                    f"{holder} holds it; try again when it has finished"
                )
            # Polling (flock has no timeout); back off so a long wait does not burn a core.
            time.sleep(delay if deadline is None else max(0.0, min(delay, deadline - time.monotonic())))
            delay = min(delay * 2, 0.1)
        try:
            # The holder's pid, for the message another waiting command prints.
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError:
            pass
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _read_holder(fd: int) -> str:
    try:
        pid = os.pread(fd, 32, 0).decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""
    return f" (pid {pid})" if pid.isdigit() else ""
