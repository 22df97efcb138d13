"""store/lstats.py: the stat keys of many files, a share taken by a helper process, are exactly what this process
would have found alone — for regular files, links, folders and FIFOs named like records, names removed since the
listing — and a helper that cannot start, fails or answers garbage changes only the time, never the answer."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from funnel.store.lstats import LINK, OTHER, _cores, stat_keys


def folder_of_every_kind(folder: Path, count: int) -> list[str]:
    """`count` record files, one link, one folder, one FIFO and one name that does not exist, sorted."""
    folder.mkdir()
    for index in range(count):
        (folder / f"d-{index:06d}.md").write_text("x" * (index % 7), encoding="utf-8")
    (folder / "d-link0000.md").symlink_to(folder / "d-000001.md")
    (folder / "d-folder00.md").mkdir()
    os.mkfifo(folder / "d-fifo0000.md")
    # names as a hostile clone may hold them: a line break, a tab, Cyrillic, bytes that are no UTF-8
    for name in ("d-new\nline.md", "d-tab\there.md", "d-сделка.md"):
        (folder / name).write_text("x", encoding="utf-8")
    with open(os.path.join(os.fsencode(folder), b"d-\xff\xfe.md"), "w") as handle:
        handle.write("x")
    return sorted([*os.listdir(folder), "d-gone0000.md"])


def expected(folder: Path, names: list[str]):
    keys, specials = [], {}
    for index, name in enumerate(names):
        try:
            info = os.lstat(folder / name)
        except FileNotFoundError:
            specials[index] = OTHER
            keys += [0, 0, 0, 0]
            continue
        if not stat.S_ISREG(info.st_mode):
            specials[index] = LINK if stat.S_ISLNK(info.st_mode) else OTHER
        keys += [info.st_mtime_ns, info.st_ctime_ns, info.st_size, info.st_ino]
    return keys, specials


@pytest.fixture
def two_folders(tmp_path):
    deals, contacts = tmp_path / "deals", tmp_path / "contacts"
    names = [folder_of_every_kind(deals, 300), folder_of_every_kind(contacts, 40)]
    fds = [os.open(deals, os.O_RDONLY), os.open(contacts, os.O_RDONLY)]
    yield [(deals, contacts), list(zip(fds, names))]
    for fd in fds:
        os.close(fd)


def answers(jobs, **options):
    return [(list(keys), specials) for keys, specials in stat_keys(jobs, **options)]


def test_a_helper_answers_exactly_as_this_process_alone(two_folders, tmp_path):
    folders, jobs = two_folders
    truth = [expected(folder, names) for folder, (_, names) in zip(folders, jobs)]
    assert answers(jobs, split_at=10**9) == truth  # no helper
    # a helper of its own, so the test knows it ran: it marks a file, then is this Python
    marker = tmp_path / "helper-ran"
    python = tmp_path / "python"
    python.write_text(f"#!/bin/sh\n: > '{marker}'\nexec '{sys.executable}' \"$@\"\n", encoding="utf-8")
    python.chmod(0o755)
    assert answers(jobs, split_at=1, python=str(python)) == truth
    if _cores() >= 2:
        assert marker.exists()
    # the helper's share falls across both folders or within the first: the answer is the same
    assert answers([jobs[0]], split_at=1, python=str(python)) == [truth[0]]
    assert answers([(jobs[0][0], []), jobs[1]], split_at=1, python=str(python)) == [([], {}), truth[1]]


@pytest.mark.parametrize("program", [
    "exit 1",  # fails
    "printf garbage",  # answers the wrong length
    "head -c 0 /dev/null",  # answers nothing, exit 0
    "cat > /dev/null; head -c 99999 /dev/zero",  # reads the names, answers zeros of the wrong length
])
def test_a_helper_that_fails_changes_only_the_time(two_folders, tmp_path, program):
    folders, jobs = two_folders
    truth = [expected(folder, names) for folder, (_, names) in zip(folders, jobs)]
    broken = tmp_path / "broken"
    broken.write_text(f"#!/bin/sh\n{program}\n", encoding="utf-8")
    broken.chmod(0o755)
    assert answers(jobs, split_at=1, python=str(broken)) == truth
    assert answers(jobs, split_at=1, python=str(tmp_path / "no-such-python")) == truth


def test_an_error_other_than_a_removed_file_is_raised_as_without_a_helper(tmp_path):
    """A name too long for the system is an error of the caller's, with or without a helper."""
    folder = tmp_path / "deals"
    folder.mkdir()
    names = sorted([f"d-{index:06d}.md" for index in range(50)] + ["d-" + "x" * 300 + ".md"])
    for name in names[:-1]:
        (folder / name).write_text("x", encoding="utf-8")
    fd = os.open(folder, os.O_RDONLY)
    try:
        for split_at in (10**9, 1):
            with pytest.raises(OSError):
                stat_keys([(fd, names)], split_at=split_at)
    finally:
        os.close(fd)


def test_by_path_answers_as_by_descriptor(two_folders):
    """Where folders cannot be opened as descriptors (stat_by_path): the same keys and kinds."""
    from funnel.store.lstats import stat_by_path

    folders, jobs = two_folders
    for folder, (_, names) in zip(folders, jobs):
        keys, specials = stat_by_path(str(folder), names)
        assert (list(keys), specials) == expected(folder, names)
