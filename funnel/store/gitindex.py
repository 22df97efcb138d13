"""What git's index can prove about record files, so a command need not lstat 130,000 of them.

store/lookup.py proves its rows fresh by each file's stat. Inside a git work tree, git already keeps every
tracked file's stat in its index, and `git diff-files` compares them all in C: a file it does not name has, by
git's stat check, not changed since the index recorded it. That proves a row fresh when three things hold,
checked when the *claim* is made (lookup._claim) for the index as it is then:

- the index entry is a plain one: stage 0, a regular file, no assume-unchanged, skip-worktree or intent-to-add
  flag (git does not look at such a file's stat at all);
- its blob id is the row's (the row holds what those bytes are);
- the entry's ctime second is earlier than the second in which the row's bytes were last proven to be the
  file's (the row's `checked_ns`). git compares whole seconds (a build without USE_NSEC, as most are): an edit
  in place in the same second as the entry's stat, mtime put back, looks clean to git forever. Any change
  made after the row was proven sets the file's ctime to that later second, which differs from the entry's, so
  `diff-files` names the file; any change made before is in the row (or the scan's proof, right after a scan).

The third rule alone proves the row (a file git does not name kept the entry's ctime second, so it has not
changed since the row was proven); the blob rule is a second, independent check, and keeps the claim to files
whose bytes git itself holds. Tests (tests/test_gittrust.py) break each of the other rules and fail.

The claim holds for one index only: its identity is the index file's stat key and its trailing checksum (all
zeros under `index.skipHash`: then a checksum of the whole file, taken here). git runs with settings a user's
configuration cannot weaken: no fsmonitor (which answers without a stat), the full stat check with ctime, and
no optional locks, so a read never writes the index. Any failure of git means no claim: the caller then lstats
every file as before.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from .gitrun import git_process, git_started
from .owndir import git_directory

TRUSTING = ["-c", "core.fsmonitor=false", "-c", "core.checkStat=default", "-c", "core.trustctime=true",
            "-c", "core.ignoreStat=false", "-c", "core.untrackedCache=false", "--no-optional-locks"]
REGULAR_MODES = ("100644", "100755")
# ce_flags git prints with --debug that leave an entry plain: CE_EXTENDED and the name length; anything else
# (CE_VALID = assume-unchanged 0x8000, CE_FSMONITOR_VALID, CE_INTENT_TO_ADD, CE_SKIP_WORKTREE, the stage) is not
PLAIN_FLAGS = 0x4FFF
# `ls-files --stage --debug -z`: "MODE OID STAGE\tPATH\0" then five lines of the entry's stat
_ENTRY = re.compile(r"(\d+) ([0-9a-f]+) (\d)\t([^\0]*)\0  ctime: (\d+):\d+\n  mtime: [^\n]*\n  dev: [^\n]*\n"
                    r"  uid: [^\n]*\n  size: \d+\tflags: ([0-9a-f]+)\n")
_NOFOLLOW = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


class GitIndex:
    """The index of the work tree the workspace at `root` is in (`GitIndex.of`: None when there is none)."""

    def __init__(self, root: Path, index_path: str):
        self.root = root
        self.index_path = index_path

    @classmethod
    def of(cls, root: Path) -> "GitIndex | None":
        # found without starting git (owndir reads .git as git does): outside git no process is started, and
        # inside it the index is the git directory's (the runner clears GIT_INDEX_FILE and GIT_DIR)
        git_dir = git_directory(root)
        return None if git_dir is None else cls(root, str(git_dir / "index"))

    def identity(self) -> str | None:
        """The index file as it is now: its stat key and checksum (None: there is none, or not a regular file)."""
        try:
            fd = os.open(self.index_path, _NOFOLLOW)
        except OSError:
            return None
        try:
            info = os.fstat(fd)
            if not (info.st_mode & 0o170000 == 0o100000 and info.st_size >= 64):
                return None
            os.lseek(fd, info.st_size - 32, os.SEEK_SET)  # not os.pread: Windows has none
            tail = os.read(fd, 32)  # SHA-1's 20 bytes, or SHA-256's 32
            if not tail[-20:].strip(b"\0"):  # index.skipHash: no checksum, so make one
                digest = hashlib.sha1()
                with os.fdopen(os.dup(fd), "rb") as handle:
                    while chunk := handle.read(1 << 20):
                        digest.update(chunk)
                tail = digest.digest()
            return f"{info.st_mtime_ns}:{info.st_ctime_ns}:{info.st_size}:{info.st_ino}:{info.st_dev}:{tail.hex()}"
        except OSError:
            return None
        finally:
            os.close(fd)

    def plain_entries(self, folders: list[str]) -> dict[str, tuple[str, int]] | None:
        """{path relative to the workspace: (blob id, ctime second)} of the plain index entries (see the module's
        docstring) under `folders`; None when git fails."""
        out = _git(self.root, ["ls-files", "--stage", "--debug", "-z", "--", *folders])
        if out is None:
            return None
        return {path: (oid, int(ctime))  # decoded once, as a whole: 130,000 paths are no 130,000 decodes
                for mode, oid, stage, path, ctime, flags in _ENTRY.findall(out.decode("utf-8", "surrogateescape"))
                if stage == "0" and mode in REGULAR_MODES and (flags == "0" or not int(flags, 16) & ~PLAIN_FLAGS)}

    def dirty(self, folders: list[str]) -> "Dirty":
        """Paths (relative to the workspace) under `folders` whose stat differs from their index entry, or that
        are gone or unmerged (`diff-files`, which lstats in C), asked now and answered by `Dirty.paths`."""
        try:
            return Dirty(git_started(self.root, [*TRUSTING, "diff-files", "--name-only", "--relative", "-z", "--",
                                                 *folders]))
        except OSError:
            return Dirty(None)


class Dirty:
    """A running `diff-files` (GitIndex.dirty)."""

    def __init__(self, process):
        self.process = process

    def paths(self) -> set[str] | None:
        """Its answer; None when git failed."""
        if self.process is None:
            return None
        out, _ = self.process.communicate()
        if self.process.returncode != 0:
            return None
        return {name.decode("utf-8", "surrogateescape") for name in out.split(b"\0") if name}


def _git(root: Path, args: list[str]) -> bytes | None:
    try:
        done = git_process(root, [*TRUSTING, *args])
    except OSError:
        return None
    return done.stdout if done.returncode == 0 else None
