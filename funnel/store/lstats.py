"""The stat keys of many files in record folders, a share of them taken by a helper process on another core.

Outside a git work tree nothing cheaper than an lstat of every record file proves that a hand edit did not
change a record (store/lookup.py says why). On a VM an lstat costs about 2 µs of system time, so 130,000 files
take 0.3 s in one process, and Python threads do not help (each holds the GIL between its calls, measured
slower than one thread). A second process does: when there are many files and a second core, a helper — this
very Python, isolated (`-I -S`), running the constant program below — lstat's the last part of the names
through the folders' own descriptors (passed to it, so it looks at exactly the folders this process opened)
and sends back the keys as packed integers, while this process lstat's the first part.

The helper reads nothing but names from its stdin and writes nothing but numbers to its stdout. If it cannot
start, fails, or answers with anything but the expected length, this process lstat's its part itself: the
answer is the same either way, only the time differs.
"""

from __future__ import annotations

import os
import stat as stat_module
import subprocess
import sys
import threading
from array import array

SPLIT_AT = 20_000  # fewer files than this: one process (starting the helper costs about 15 ms of a core)
HELPER_SHARE = 0.45  # of the names, the helper's: it starts later than this process begins its own part

REGULAR, LINK, OTHER = 1, 2, 0  # a name's kind as the helper reports it (OTHER: a folder, a device, gone)

_HELPER = r"""
import os, sys
from array import array
def main():
    data = sys.stdin.buffer.read()
    kinds, keys = bytearray(), array("q")
    add, extend, lstat = kinds.append, keys.extend, os.lstat
    for part in data.split(b"\0\0"):
        fd, *names = part.split(b"\0")
        fd = int(fd)
        for name in names:
            try:
                info = lstat(name, dir_fd=fd)
            except OSError:
                add(0)
                extend((0, 0, 0, 0))
                continue
            mode = info.st_mode & 0o170000
            add(1 if mode == 0o100000 else 2 if mode == 0o120000 else 0)
            extend((info.st_mtime_ns, info.st_ctime_ns, info.st_size, info.st_ino))
    sys.stdout.buffer.write(bytes(kinds) + keys.tobytes())
main()
"""


def stat_keys(jobs: list[tuple[int, list[str]]], split_at: int = SPLIT_AT,
              python: str | None = None) -> list[tuple[array, dict[int, int]]]:
    """For each (descriptor of a folder, names in it): the packed keys (mtime_ns, ctime_ns, size, inode; four
    integers a name, zeros for a name not a regular file) and {index: LINK or OTHER} for the names that are not
    regular files (a link, a folder, a name removed meanwhile). A helper takes a share from `split_at` names on,
    run by `python` (this one by default)."""
    total = sum(len(names) for _, names in jobs)
    python = python or sys.executable
    helper = None
    split = total
    if total >= split_at and _cores() >= 2 and python:
        split = total - int(total * HELPER_SHARE)
        helper = _start_helper(jobs, split, python)
        if helper is None:
            split = total
    results, seen = [], 0
    for fd, names in jobs:
        own = names[:max(0, split - seen)]
        results.append(_stat_here(fd, own))
        seen += len(names)
    if helper is not None:
        answer = _helper_answer(helper, total - split)
        seen = taken = 0  # names before this job; of the helper's answer, names taken by the jobs before
        for (fd, names), (keys, specials) in zip(jobs, results):
            start = max(0, split - seen)
            seen += len(names)
            if start >= len(names):
                continue
            count = len(names) - start
            if answer is None:
                more_keys, more_specials = _stat_here(fd, names[start:])
            else:
                kinds, more_keys = answer[0][taken:taken + count], answer[1][4 * taken:4 * (taken + count)]
                taken += count
                more_specials = {} if kinds.count(REGULAR) == count else _recheck(fd, names, start, kinds, more_keys)
            keys.extend(more_keys)
            specials.update((start + index, kind) for index, kind in more_specials.items())
    return results


def stat_by_path(folder: str, names: list[str]) -> tuple[array, dict[int, int]]:
    """stat_keys's answer for one folder by its path, where descriptors of folders cannot be used."""
    return _stat_here(None, [os.path.join(folder, name) for name in names])


def _stat_here(fd: int | None, names: list[str]) -> tuple[array, dict[int, int]]:
    keys: list[int] = []
    specials: dict[int, int] = {}
    extend, lstat = keys.extend, os.lstat
    regular, link = stat_module.S_IFREG, stat_module.S_IFLNK
    for index, name in enumerate(names):
        try:
            info = lstat(name, dir_fd=fd)
        except FileNotFoundError:  # removed since the listing (any other error is the caller's)
            specials[index] = OTHER
            extend((0, 0, 0, 0))
            continue
        kind = info.st_mode & 0o170000
        if kind != regular:
            specials[index] = LINK if kind == link else OTHER
        extend((info.st_mtime_ns, info.st_ctime_ns, info.st_size, info.st_ino))
    return array("q", keys), specials


def _recheck(fd: int, names: list[str], start: int, kinds: bytes, keys: array) -> dict[int, int]:
    """The specials among the helper's names (indexes from `start`): a name it could not lstat is lstat'ed
    here, so an error other than a removed file is raised as it would be without a helper."""
    specials = {}
    for index, kind in enumerate(kinds):
        if kind == OTHER:
            again, special = _stat_here(fd, [names[start + index]])
            keys[4 * index:4 * index + 4] = again
            if special:
                specials[index] = special[0]
        elif kind != REGULAR:
            specials[index] = kind
    return specials


def _start_helper(jobs, split: int, python: str):
    """The helper, given the names from index `split` on (across the jobs, in order); None if it cannot start."""
    parts, seen = [], 0
    for fd, names in jobs:
        start = max(0, split - seen)
        seen += len(names)
        if start < len(names):
            parts.append(f"{fd}\0" + "\0".join(names[start:]))
    try:
        helper = subprocess.Popen([python, "-I", "-S", "-c", _HELPER], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  pass_fds=tuple(fd for fd, _ in jobs))
    except (OSError, ValueError, subprocess.SubprocessError):
        return None
    payload = "\0\0".join(parts).encode(sys.getfilesystemencoding(), sys.getfilesystemencodeerrors())
    # fed from a thread: a pipe holds 64 KiB, and the helper reads only once its interpreter is up (about 10 ms
    # this process would otherwise wait, not lstat'ing)
    helper.feeding = threading.Thread(target=_feed, args=(helper, payload), daemon=True)
    helper.feeding.start()
    return helper


def _feed(helper, payload: bytes) -> None:
    try:
        helper.stdin.write(payload)
        helper.stdin.close()
    except OSError:  # the helper is gone: its answer is short, and this process lstat's its part
        pass


def _helper_answer(helper, count: int) -> tuple[bytes, array] | None:
    """(a kind byte a name, the packed keys) as the helper sent them for `count` names; None if it failed."""
    try:
        data = helper.stdout.read()
        helper.stdout.close()
        code = helper.wait()
        helper.feeding.join()
    except OSError:
        _stop(helper)
        return None
    if code != 0 or len(data) != count * 33:
        return None
    keys = array("q")
    keys.frombytes(data[count:])
    return data[:count], keys


def _stop(helper) -> None:
    helper.kill()
    helper.wait()


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1
