"""The one place that runs git: a safe runner, the repository a workspace sits in, revisions checked before use,
and blobs read in one `git cat-file --batch`.

Every revision a person types reaches git only through `verify_commit` (`rev-parse --verify --end-of-options`),
so a "revision" such as `--output=/etc/x` can never become an option. Tree entries that are links or submodules
are never read as files.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from ..errors import FunnelError

REGULAR_FILE_MODES = ("100644", "100755")


class GitError(FunnelError):
    """git is missing, the directory is not in a repository, or git refused; one line for the person."""


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    # never wait on a prompt or a pager, never read a repository other than the one we name, stable output
    env.update(GIT_TERMINAL_PROMPT="0", GIT_PAGER="cat", PAGER="cat", LC_ALL="C", GIT_OPTIONAL_LOCKS="0")
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_NAMESPACE"):
        env.pop(name, None)
    return env


def run_git(cwd: Path, args: list[str], input: bytes | None = None, check: bool = True,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`git ARGS` in `cwd`, bytes in and out; GitError with git's own first line when it fails (and `check`)."""
    try:
        done = subprocess.run(["git", "-c", "core.quotepath=off", *args], cwd=cwd, input=input,
                              capture_output=True, env={**_environment(), **(env or {})})
    except FileNotFoundError:
        raise GitError("git is not installed (or not on PATH)") from None
    if check and done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]}: {message[-1] if message else f'exit {done.returncode}'}")
    return done


@dataclass(frozen=True)
class Repository:
    top: Path  # the work tree's top directory
    git_dir: Path  # this worktree's own git directory (per worktree, never shared between two)
    prefix: str  # the workspace's path inside the repository, '' or ending in '/'

    def git(self, *args: str, input: bytes | None = None, check: bool = True, env=None) -> subprocess.CompletedProcess:
        return run_git(self.top, list(args), input=input, check=check, env=env)

    def verify_commit(self, revision: str) -> str:
        """The full commit id `revision` names, or GitError; never lets the text become an option."""
        done = self.git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}",
                        check=False)
        if done.returncode != 0:
            raise GitError(f"'{revision}' is not a commit of this repository")
        return done.stdout.decode().strip()

    def read_blobs(self, object_ids: Iterable[str]) -> dict[str, bytes]:
        """The contents of many blobs in one `git cat-file --batch` (missing ones are left out)."""
        ids = list(dict.fromkeys(object_ids))
        if not ids:
            return {}
        done = self.git("cat-file", "--batch", input="".join(f"{oid}\n" for oid in ids).encode())
        return dict(_parse_batch(done.stdout))

    def tree_files(self, commit: str, paths: Iterable[str] = ()) -> Iterator[tuple[str, str]]:
        """(path relative to the repository top, blob id) of every regular file under `paths` at `commit`;
        links and submodules are skipped, never followed."""
        done = self.git("ls-tree", "-r", "-z", "--full-tree", commit, "--", *paths)
        for entry in done.stdout.split(b"\0"):
            if not entry:
                continue
            meta, _, path = entry.partition(b"\t")
            mode, kind, oid = meta.decode().split()
            if kind == "blob" and mode in REGULAR_FILE_MODES:
                yield path.decode("utf-8", "surrogateescape"), oid


def _parse_batch(data: bytes) -> Iterator[tuple[str, bytes]]:
    position = 0
    while position < len(data):
        end = data.index(b"\n", position)
        header = data[position:end].decode().split()
        position = end + 1
        if len(header) == 2 and header[1] == "missing":
            continue
        oid, _, size = header
        size = int(size)
        yield oid, data[position:position + size]
        position += size + 1  # the content, then a newline


def find_repository(directory: Path) -> Repository | None:
    """The repository `directory` is in, or None when it is in none (or git is missing)."""
    try:
        done = run_git(directory, ["rev-parse", "--show-toplevel", "--absolute-git-dir", "--show-prefix"],
                       check=False)
    except GitError:
        return None
    if done.returncode != 0:
        return None
    lines = done.stdout.decode("utf-8", "surrogateescape").split("\n")
    if len(lines) < 3 or not lines[0]:
        return None  # a bare repository or inside .git
    return Repository(Path(lines[0]), Path(lines[1]), lines[2])
