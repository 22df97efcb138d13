"""Where funnel keeps what it makes for itself (caches, the lock, import journals): never in the working tree.

Inside a git repository: `<this worktree's git directory>/funnel/<key>/`, which no clone carries and no two
worktrees share; `<key>` names the workspace's path inside the repository, since one repository may hold several
workspaces (`examples/maven/`). Outside git: the user's cache directory, keyed by the workspace's real path.
Found without running git (a `.git` directory, or a `.git` file's `gitdir:` line, as git itself reads them).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


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
    if found is not None:
        top, git_dir = found
        inside = real.relative_to(top).as_posix()
        return git_dir / "funnel" / _key(inside if inside != "." else "")
    return user_cache_home() / "funnel" / "workspaces" / _key(str(real))
