"""Files under .funnel/ that only this user's funnel reads back.

The caches are unmarshalled and unpickled, which must never happen to bytes someone else wrote: a repository
could ship a crafted `.funnel/` (it is .gitignored by `funnel init`, but nothing stops a commit). Every cache
file therefore starts with a random token kept outside the workspace (in the user's cache directory); a file
without this user's token is ignored before a single byte of it is decoded.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from .atomic import atomic_write

TOKEN_BYTES = 32
_token: bytes | None = None


def token_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "funnel" / "token"


def token() -> bytes | None:
    """This user's token, made on first use; None when it cannot be kept (then nothing is cached)."""
    global _token
    if _token is not None:
        return _token
    path = token_path()
    try:
        data = path.read_bytes()
        if len(data) == TOKEN_BYTES:
            _token = data
            return _token
    except OSError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(TOKEN_BYTES))
    except FileExistsError:
        pass  # another funnel process made it first: read theirs
    except OSError:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    _token = data if len(data) == TOKEN_BYTES else None
    return _token


def read(path: Path) -> bytes | None:
    """The payload of a private file, or None when it is missing or was not written by this user's funnel."""
    mine = token()
    if mine is None:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if not data.startswith(mine):
        return None
    return data[TOKEN_BYTES:]


def write(path: Path, payload: bytes) -> None:
    """Write a private file atomically; silently nothing when it cannot be (caches are optional)."""
    mine = token()
    if mine is None:
        return
    try:
        path.parent.mkdir(exist_ok=True)
        atomic_write(path, mine + payload)
    except OSError:
        pass
