"""Writes that never lose data.

`atomic_write` replaces a file so that a crash at any moment leaves either the old or the new content, never a
torn mix.  `workspace_lock` serialises read-modify-write cycles of concurrent funnel commands, so two edits of
the same record cannot overwrite each other.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import time
from pathlib import Path
from typing import Iterator

from .owndir import fsync_directory
from .paths import TEMP_NAME

__all__ = ["atomic_write", "copy_new", "remove_stale_temp_files", "workspace_lock", "LockTimeout"]



class LockTimeout(TimeoutError):
    """Another funnel command held the workspace lock for longer than we were willing to wait."""


def _new_temp(directory: str, name: str) -> tuple[str, int]:
    """A new temp file beside `name`: dot-prefixed and ending in .tmp (TEMP_NAME), so a reader globbing `*.md`
    never mistakes a leftover for a record and the next write can clean it up."""
    import secrets  # writes only; a view never pays for the import

    while True:
        tmp = os.path.join(directory, f".{name}.{secrets.token_hex(6)}.tmp")
        try:
            # 0o666 filtered by the umask, like any new file; mkstemp's 0o600 would leak into new records.
            return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
        except FileExistsError:
            continue


def atomic_write(path: str | os.PathLike, data: bytes) -> None:
    """Replace `path` with `data` atomically and durably, keeping the file's permission bits."""
    # Write through a symlink rather than replacing the link itself with a regular file.
    target = os.path.realpath(os.fspath(path))
    directory, name = os.path.split(target)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None
    tmp, fd = _new_temp(directory, name)
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
    fsync_directory(directory or ".")


def copy_new(source, path: str | os.PathLike, chunk_size: int = 1 << 20) -> str:
    """Copy the open binary file `source` to the new file `path`, a chunk at a time (a file of gigabytes
    never sits in memory), durably, never replacing anything already at `path` (not even a dangling link);
    returns the sha256 of exactly the bytes copied. FileExistsError when `path` exists; nothing is left behind
    on failure."""
    import hashlib

    directory, name = os.path.split(os.fspath(path))
    digest = hashlib.sha256()
    tmp, fd = _new_temp(directory or ".", name)
    try:
        with os.fdopen(fd, "wb") as f:
            for chunk in iter(lambda: source.read(chunk_size), b""):
                digest.update(chunk)
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        os.link(tmp, path)  # fails when anything is at `path`: no overwrite, no race with a check first
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    fsync_directory(directory or ".")
    return digest.hexdigest()


def remove_stale_temp_files(directory: str | os.PathLike, names: list[str] | None = None) -> list[str]:
    """Remove the temp files a killed atomic_write left in `directory` (only names of its own pattern, only
    regular files); call it under the workspace lock, when no write of ours can be under way. `names`: the
    folder's names as listed under that lock, when the caller has them (no second listing). Returns the names
    removed."""
    removed = []
    if names is None:
        try:
            names = os.listdir(directory)
        except OSError:
            return removed
    for name in names:
        if name.endswith(".tmp") and TEMP_NAME.match(name):
            path = os.path.join(directory, name)
            with contextlib.suppress(OSError):
                if stat.S_ISREG(os.lstat(path).st_mode):
                    os.unlink(path)
                    removed.append(name)
    return removed


@contextlib.contextmanager
def workspace_lock(root: str | os.PathLike, timeout: float | None = 30.0) -> Iterator[None]:
    """Hold an exclusive lock on `lock` in funnel's own directory (never the working tree: a clone could ship
    a link there) for a read-modify-write cycle.

    Not reentrant: the lock belongs to an open file description, so a nested call in the same process waits
    for itself and ends in LockTimeout.  `timeout=None` waits forever.
    """
    from .owndir import discard, ensure_own_directory, open_own_file

    directory = ensure_own_directory(Path(root))
    if directory is None:
        raise OSError(errno.EACCES, "cannot make funnel's own directory for the workspace lock", os.fspath(root))
    lock_path = directory / "lock"
    fd = open_own_file(lock_path, writable=True, max_size=64)
    if fd is None:  # something else sits there (a link, a FIFO, a big file): funnel's own file replaces it
        discard(lock_path)
        fd = open_own_file(lock_path, writable=True, max_size=64)
        if fd is None:
            raise OSError(errno.EACCES, "cannot open the workspace lock", os.fspath(lock_path))
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.005
        while not _try_lock(fd):
            if deadline is not None and time.monotonic() >= deadline:
                holder = _read_holder(fd)
                raise LockTimeout(
                    f"could not lock the workspace within {timeout:g} s: another funnel command"
                    f"{holder} holds it; try again when it has finished"
                )
            # Polling (a lock call has no timeout); back off so a long wait does not burn a core.
            time.sleep(delay if deadline is None else max(0.0, min(delay, deadline - time.monotonic())))
            delay = min(delay * 2, 0.1)
        with contextlib.suppress(OSError):
            # The holder's pid, for the message another waiting command prints: fixed width, so the file is
            # never truncated.
            os.pwrite(fd, f"{os.getpid():>20}\n".encode(), 0)
        from .journal import recover  # a batch that crashed midway is finished before anything else

        try:
            recover(root if isinstance(root, os.PathLike) else Path(root))
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


def _try_lock(fd: int) -> bool:
    """Take the lock on `fd` without waiting: flock on POSIX, msvcrt's byte-range lock on Windows."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError as exc:
        if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise
        return False


def _unlock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    fcntl.flock(fd, fcntl.LOCK_UN)


def _read_holder(fd: int) -> str:
    try:
        pid = os.pread(fd, 32, 0).decode("ascii").strip()
    except (OSError, UnicodeDecodeError, AttributeError):  # no pread on Windows
        return ""
    return f" (pid {pid})" if pid.isdigit() else ""
