"""The one place that runs git (through store/gitrun.py's runner, which the cache shares): a safe runner, the repository a workspace sits in, revisions checked before use,
and blobs read in one `git cat-file --batch`.

Every revision a person types reaches git only through `verify_commit` (`rev-parse --verify --end-of-options`),
so a "revision" such as `--output=/etc/x` can never become an option. Tree entries that are links or submodules
are never read as files.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Iterable, Iterator

from ..errors import FunnelError
from ..store.gitrun import git_process
from ..valueclass import valueclass

REGULAR_FILE_MODES = ("100644", "100755")


class GitError(FunnelError):
    """git is missing, the directory is not in a repository, or git refused; one line for the person."""


def run_git(cwd: Path, args: list[str], input: bytes | None = None, check: bool = True,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`git ARGS` in `cwd`, bytes in and out; GitError with git's own first line when it fails (and `check`)."""
    try:
        done = git_process(cwd, args, input=input, env=env)
    except FileNotFoundError:
        raise GitError("git is not installed (or not on PATH)") from None
    return _checked(args, done) if check else done


def _checked(args: list[str], done: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    """`done`, or GitError with git's own last line when it failed."""
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]}: {message[-1] if message else f'exit {done.returncode}'}")
    return done


@valueclass(frozen=True)
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

    def head(self) -> str | None:
        """The commit HEAD names, or None in a repository with no commits yet."""
        done = self.git("rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False)
        return done.stdout.decode().strip() or None if done.returncode == 0 else None

    def empty_tree(self) -> str:
        """The id of the empty tree in this repository's hash (git knows it without storing it): the "before" of a
        repository with no commits yet."""
        return self.git("hash-object", "-t", "tree", "--stdin", input=b"").stdout.decode().strip()

    def index_files(self, paths: Iterable[str], index_file: str | None = None) -> tuple[dict[str, str], set[str]]:
        """The index under `paths` (relative to the top), read with `ls-files --stage`, never a checkout:
        ({path: blob id} of regular files at stage 0, paths still unmerged). `index_file`: another index of this
        repository (the one git hands a hook during `git commit -a` or `git commit PATH`)."""
        done = self.git("ls-files", "--stage", "-z", "--full-name", "--", *paths, env=_index_env(index_file))
        files: dict[str, str] = {}
        unmerged: set[str] = set()
        for entry in done.stdout.split(b"\0"):
            if not entry:
                continue
            meta, _, path = entry.partition(b"\t")
            mode, oid, stage = meta.decode().split()
            name = path.decode("utf-8", "surrogateescape")
            if stage != "0":
                unmerged.add(name)
            elif mode in REGULAR_FILE_MODES:
                files[name] = oid
        return files, unmerged

    def staged_changes(self, paths: Iterable[str],
                       index_file: str | None = None) -> dict[str, tuple[str | None, str | None]]:
        """{path: (blob at HEAD, blob in the index)} for every file under `paths` the index changes (None: not
        there, or not a regular file); with no commits yet, everything in the index is new."""
        head = self.head()
        if head is None:
            files, _ = self.index_files(paths, index_file)
            return {path: (None, oid) for path, oid in files.items()}
        done = self.git("diff-index", "--cached", "--raw", "-z", "--no-abbrev", "--no-renames", head, "--", *paths,
                        env=_index_env(index_file))
        return {change.new_path or change.old_path: (change.old_blob, change.new_blob)
                for change in _parse_raw(done.stdout.split(b"\0"))}

    def unstaged_paths(self, paths: Iterable[str], index_file: str | None = None) -> set[str]:
        """Files under `paths` whose working copy may differ from the index (`diff-files`: by stat, so a file
        only touched is listed too) or is missing."""
        done = self.git("diff-files", "--name-only", "-z", "--", *paths, env=_index_env(index_file))
        return {name.decode("utf-8", "surrogateescape") for name in done.stdout.split(b"\0") if name}

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


    def commit_time(self, commit: str) -> datetime:
        """When `commit` was made (its committer date, in the committer's offset)."""
        done = self.git("log", "-1", "--no-walk", "--format=%cI", commit, "--")
        return datetime.fromisoformat(done.stdout.decode().strip())

    def last_commit_before(self, moment: str) -> str | None:
        """The last commit on HEAD made before `moment` (git's --before), or None."""
        done = self.git("rev-list", "-1", f"--before={moment}", "HEAD", "--", check=False)
        found = done.stdout.decode().strip()
        return found or None

    def merge_base(self, first: str, second: str) -> str:
        done = self.git("merge-base", first, second, check=False)
        if done.returncode != 0 or not done.stdout.strip():
            raise GitError(f"{first[:12]} and {second[:12]} have no common ancestor")
        return done.stdout.decode().split()[0]

    def changed_files(self, old: str, new: str | None, paths: Iterable[str]) -> Iterator[FileChange]:
        """Files under `paths` that differ between commit `old` and commit `new` (None: the working tree, with
        staged and unstaged changes; untracked files are not in it). No rename detection: a renamed file is one
        removal and one addition."""
        revisions = [old] if new is None else [old, new]
        done = self.git("diff", "--raw", "-z", "--no-abbrev", "--no-renames", "--no-ext-diff", "--no-textconv", "--no-color",
                        *revisions, "--", *paths)
        for change in _parse_raw(done.stdout.split(b"\0")):
            yield change

    def untracked_files(self, paths: Iterable[str]) -> list[str]:
        """Files under `paths` (relative to the top) that git does not track and does not ignore."""
        done = self.git("ls-files", "--others", "--exclude-standard", "-z", "--full-name", "--", *paths)
        return [name.decode("utf-8", "surrogateescape") for name in done.stdout.split(b"\0") if name]

    def file_log(self, path: str) -> list[LoggedCommit]:
        """Every commit that changed the file at `path` (relative to the top), oldest first, following it across
        renames (`git log --follow`), each with the file's blob before and after (`--raw`). Nothing before the first
        commit."""
        args = ["log", "--follow", "--raw", "-z", "--no-abbrev", "--no-ext-diff", "--no-textconv", "--no-color",
                "--no-show-signature", "--format=%x1e%H%x1f%aI%x1f%an%x1f%s", "--", path]
        done = self.git(*args, check=False)
        if done.returncode != 0:
            if self.head() is None:
                return []  # git log refuses a branch with no commit yet: asked only then, not on every call
            _checked(args, done)
        commits: list[LoggedCommit] = []
        tokens = done.stdout.split(b"\0")
        index = 0
        while index < len(tokens):
            token = tokens[index]
            if token.startswith(b"\x1e"):
                parts = token[1:].decode("utf-8", "replace").split("\x1f", 3)
                parts += [""] * (4 - len(parts))
                commits.append(LoggedCommit(parts[0], datetime.fromisoformat(parts[1]), parts[2], parts[3], []))
                index += 1
                continue
            consumed, change = _raw_entry(tokens, index)
            index += consumed
            if change is not None and commits:
                commits[-1].changes.append(change)
        commits.reverse()
        return commits


@valueclass(frozen=True)
class FileChange:
    status: str  # A, M, D, T, R, C
    old_path: str | None
    new_path: str | None
    old_blob: str | None  # None when the file did not exist (or is not a regular file) on that side
    new_blob: str | None  # None also for a working-tree file: read it from disk


@valueclass
class LoggedCommit:
    commit: str
    at: datetime  # author date
    author: str
    subject: str
    changes: list[FileChange]


NULL_ID = "0" * 40


def _raw_entry(tokens: list[bytes], index: int) -> tuple[int, FileChange | None]:
    """One `--raw -z` entry starting at tokens[index]: how many tokens it takes, and the change (None for
    what is not a regular file on either side, or for noise)."""
    meta = tokens[index].lstrip(b"\n")
    if not meta.startswith(b":"):
        return 1, None
    old_mode, new_mode, old_id, new_id, status = meta[1:].decode().split()
    two_paths = status[0] in "RC"
    paths = [tokens[i].decode("utf-8", "surrogateescape") for i in range(index + 1, index + (3 if two_paths else 2))
             if i < len(tokens)]
    old_path, new_path = (paths[0], paths[-1]) if paths else (None, None)
    old_blob = old_id if old_mode in REGULAR_FILE_MODES and old_id != NULL_ID else None
    new_blob = new_id if new_mode in REGULAR_FILE_MODES and new_id != NULL_ID else None
    if old_mode not in REGULAR_FILE_MODES and new_mode not in REGULAR_FILE_MODES:
        return 1 + len(paths), None
    return 1 + len(paths), FileChange(status[0], old_path if old_mode in REGULAR_FILE_MODES else None,
                                      new_path if new_mode in REGULAR_FILE_MODES else None, old_blob, new_blob)


def _parse_raw(tokens: list[bytes]) -> Iterator[FileChange]:
    index = 0
    while index < len(tokens):
        consumed, change = _raw_entry(tokens, index)
        index += consumed
        if change is not None:
            yield change


def _index_env(index_file: str | None) -> dict[str, str] | None:
    return {"GIT_INDEX_FILE": index_file} if index_file else None


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


def merge_file(ours: bytes, base: bytes, theirs: bytes, labels: tuple[str, str, str] = ("ours", "base", "theirs"),
               marker_size: int = 7) -> tuple[bytes, bool]:
    """`git merge-file` of three texts: (the merged bytes, whether any part conflicted). Needs no repository:
    the three versions go through a private temporary directory."""
    with tempfile.TemporaryDirectory(prefix="funnel-merge-") as directory:
        names = []
        for name, data in (("ours", ours), ("base", base), ("theirs", theirs)):
            path = Path(directory, name)
            path.write_bytes(data)
            names.append(str(path))
        done = run_git(Path(directory), ["merge-file", "-p", f"--marker-size={marker_size}",
                                         "-L", labels[0], "-L", labels[1], "-L", labels[2], *names], check=False)
    if done.returncode >= 128:  # git's own failure, not a count of conflicts
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git merge-file: {message[-1] if message else f'exit {done.returncode}'}")
    return done.stdout, done.returncode > 0


def find_repository(directory: Path) -> Repository | None:
    """The repository `directory` is in, or None when it is in none (or git is missing)."""
    if not _any_git_marker(directory):
        return None  # a plain folder's write or view starts no git at all
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


def _any_git_marker(directory: Path) -> bool:
    """Whether `directory` or a parent holds a `.git` of any kind, where git's own search would start looking
    (GIT_DIR is never passed on to git: the runner clears it)."""
    here = Path(os.path.realpath(directory))
    return any(os.path.lexists(folder / ".git") for folder in (here, *here.parents))


def default_owner(directory: Path) -> str | None:
    """Who a new deal belongs to when the command does not say: FUNNEL_OWNER, else git's `user.name` (the
    clone's, else the global one), else None."""
    owner = os.environ.get("FUNNEL_OWNER", "").strip()
    if owner:
        return owner
    try:
        done = run_git(directory, ["config", "--get", "user.name"], check=False)
    except GitError:
        return None
    name = done.stdout.decode("utf-8", "replace").strip() if done.returncode == 0 else ""
    return name or None
