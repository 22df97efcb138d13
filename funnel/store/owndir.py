"""Where funnel keeps what it makes for itself (caches, the lock, import journals): never in the working tree.

Inside a git repository: `<this worktree's git directory>/funnel/<key>/`, which no clone carries and no two
worktrees share; `<key>` names the workspace's path inside the repository, since one repository may hold several
workspaces (`examples/maven/`). Outside git: the user's cache directory, keyed by the workspace's real path.
Found without running git (a `.git` directory, or a `.git` file's `gitdir:` line, as git itself reads them).
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # not on Windows, where links need privileges to make
CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def _git_dir_of(root: Path) -> tuple[Path, Path] | None:
    """(the work tree's top, its git directory) for the repository `root` sits in, or None."""
    for directory in (root, *root.parents):
        marker = directory / ".git"
        try:
            if marker.is_dir() and not marker.is_symlink():
                return directory, marker
            if marker.is_file() and not marker.is_symlink():
                line = marker.read_text(encoding="utf-8", errors="replace").strip()
                if line.startswith("gitdir:"):
                    target = Path(line[len("gitdir:"):].strip())
                    return directory, (target if target.is_absolute() else (directory / target)).resolve()
        except OSError:
            return None
    return None


def _key(text: str) -> str:
    readable = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)[-40:].strip("_.") or "root"
    return f"{readable}-{hashlib.sha256(text.encode('utf-8', 'surrogateescape')).hexdigest()[:12]}"


def user_cache_home() -> Path:
    base = os.environ.get("XDG_CACHE_HOME")
    return Path(base) if base and os.path.isabs(base) else Path.home() / ".cache"


def own_directory(root: Path) -> Path:
    """funnel's own directory for the workspace at `root` (its path; not created here)."""
    real = Path(os.path.realpath(root))
    found = _git_dir_of(real)
    if found is not None and _looks_like_git_dir(found[1]):
        top, git_dir = found
        inside = real.relative_to(top).as_posix()
        return git_dir / "funnel" / _key(inside if inside != "." else "")
    return _user_directory(real)


def git_directory(root: Path) -> Path | None:
    """The git directory of the work tree `root` is in (a linked worktree's own), found as own_directory finds
    it — without running git; None outside git."""
    found = _git_dir_of(Path(os.path.realpath(root)))
    return found[1] if found is not None and _looks_like_git_dir(found[1]) else None


def _user_directory(real: Path) -> Path:
    return user_cache_home() / "funnel" / "workspaces" / _key(str(real))


def _looks_like_git_dir(path: Path) -> bool:
    """A directory git made: HEAD beside objects/ (or a worktree's commondir). A `.git` file in an unpacked
    archive may name any directory; funnel makes nothing in one that is not a git directory."""
    try:
        return (path / "HEAD").is_file() and ((path / "objects").is_dir() or (path / "commondir").is_file())
    except OSError:
        return False


def _real_directory(path: Path) -> bool:
    """`path` is a directory itself, not a link to one."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _make_directory(path: Path) -> bool:
    """`path` as a real directory of this user's (made, mode 0700, when missing); False when it cannot be. A
    link or other non-directory in its place is removed first: nothing funnel makes is ever reached through
    a link."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    except OSError:
        return False
    if info is not None and stat.S_ISDIR(info.st_mode):
        return True
    try:
        if info is not None:
            if not stat.S_ISLNK(info.st_mode):
                return False  # a file or device funnel did not make: leave it, work without
            os.unlink(path)
        os.mkdir(path, 0o700)
    except FileExistsError:
        return _real_directory(path)  # another funnel made it at the same moment
    except OSError:
        return False
    return True


def ensure_own_directory(root: Path) -> Path | None:
    """funnel's own directory for `root`, made when missing, every part below the git directory (or the user's
    cache directory) a real directory, never a link; the user's cache directory when the git directory cannot
    be written; None when neither can be had (then caches are skipped and writes are refused)."""
    directory = own_directory(root)
    candidates = [directory]
    if directory.parent.name == "funnel":  # inside a git directory
        candidates.append(_user_directory(Path(os.path.realpath(root))))
    for candidate in candidates:
        try:
            if candidate.parent.name == "workspaces":
                candidate.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError:
            continue
        if _make_directory(candidate.parent) and _make_directory(candidate):
            return candidate
    return None


MAX_OWN_FILE = 1 << 31  # 2 GiB: far above any cache of 100,000 records, far below a disk filled by /dev/zero


def open_own_file(path: Path, writable: bool = False, max_size: int = MAX_OWN_FILE) -> int | None:
    """A descriptor of funnel's own file `path` (made when `writable` and missing), opened without following a
    link, checked to be a regular file no larger than `max_size`; None when it is none of that (a link, a FIFO,
    a device, a huge file): the caller ignores it and may `discard` it to make a new one."""
    flags = (os.O_RDWR | os.O_CREAT if writable else os.O_RDONLY) | NOFOLLOW | os.O_NONBLOCK | CLOEXEC
    try:
        fd = os.open(path, flags, 0o600)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if stat.S_ISREG(info.st_mode) and info.st_size <= max_size:
            os.set_blocking(fd, True)
            return fd
    except OSError:
        pass
    os.close(fd)
    return None


def discard(path: Path) -> None:
    """Remove what sits at `path` (a link itself, never its target); quietly nothing when it cannot."""
    try:
        info = os.lstat(path)
        if not stat.S_ISDIR(info.st_mode):
            os.unlink(path)
    except OSError:
        pass


def fsync_directory(path: str | os.PathLike) -> None:
    """Make a rename or a new file in the directory `path` survive a crash (its entry, not only the bytes)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
