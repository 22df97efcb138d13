"""In a git work tree the index (store/lookup.py) takes git's word for the files git's index proves unchanged
(store/gitindex.py) instead of lstat'ing every file — and is still never stale: each case below changes a file
where a naive trust in git would miss it, and checks that `show` answers as a cold load does and that a write
judges the change (refused, nothing written). Real git, real files."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from conftest import age_all
from funnel.model.schema import load_schema
from funnel.store.gitindex import TRUSTING
from funnel.store.lookup import Lookup
from test_lookup import cold_show, edit_in_place, files

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
FIRST = "deals/d-first001.md"


def git(root, *args) -> str:
    done = subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                          env={**os.environ, **GIT_ENV})
    return done.stdout.decode()


def next_second() -> None:
    """Wait for the wall clock's next second: what git's index recorded before is then older than any change
    made from now on, so the index can prove files fresh (gitindex's ctime rule)."""
    now = time.time()
    time.sleep(int(now) + 1 - now + 0.01)


def committed(workspace, extra: dict[str, str] | None = None):
    """A workspace of test_lookup's files, committed, aged, with a warm cache whose claim proves files fresh."""
    root = workspace({**files(), **(extra or {})})
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first-time client")
    age_all(root)
    git(root, "update-index", "-q", "--refresh")
    warm(root)
    return root


def warm(root) -> int:
    """Open the index once the clock moved on (claims made, rows proven); how many files git proved fresh."""
    next_second()
    proven(root)
    return proven(root)


def proven(root) -> int:
    with Lookup(root, load_schema(root / "schema.yaml")) as lookup:
        return lookup.proven_by_git


def show(run, root) -> str:
    return run("show", "d-aaaa0000", "--root", str(root)).output


def git_names(root) -> str:
    """What `diff-files` (as the index asks it) names: the test's edit must be one git itself misses, or one it
    reports, as each test says."""
    done = subprocess.run(["git", *TRUSTING, "diff-files", "--name-only"], cwd=root, capture_output=True, check=True)
    return done.stdout.decode()


def joins_by_edit_in_place(root) -> None:
    edit_in_place(root / FIRST, "c-other001", "c-petrova1")


def assert_repeat_client_seen(run, root, earlier: str = "d-first001") -> None:
    """d-aaaa0000 is now a repeat client: show says so as a cold load does, and moving on is refused."""
    shown = show(run, root)
    assert "Debt check" in shown
    assert shown == cold_show(run, root, "d-aaaa0000")
    before = (root / "deals/d-aaaa0000.md").read_bytes()
    refused = run("move", "d-aaaa0000", "proposal", "--root", str(root))
    assert refused.exit_code == 1
    assert f"repeat client: earlier deal {earlier}" in refused.stderr
    assert (root / "deals/d-aaaa0000.md").read_bytes() == before


def test_committed_files_are_proven_by_git_and_an_edit_in_place_is_still_seen(workspace, run):
    root = committed(workspace)
    assert proven(root) == 5  # every record: nothing lstat'ed one by one
    assert "Debt check" not in show(run, root)
    joins_by_edit_in_place(root)  # same size, mtime put back: only the ctime says so
    assert FIRST in git_names(root)
    assert proven(root) == 4
    assert_repeat_client_seen(run, root)


def test_an_edit_then_git_add_is_seen(workspace, run):
    root = committed(workspace)
    joins_by_edit_in_place(root)
    git(root, "add", FIRST)  # the index now holds the edit: diff-files names nothing
    assert git_names(root) == ""
    assert_repeat_client_seen(run, root)


def test_git_checkout_of_another_commit_and_back(workspace, run):
    root = committed(workspace)
    git(root, "checkout", "-q", "-b", "repeat")
    (root / FIRST).write_text(files("c-ivanov01")[FIRST], encoding="utf-8")
    git(root, "commit", "-q", "-am", "repeat client")
    assert warm(root) == 5
    assert "Debt check" in show(run, root)
    git(root, "checkout", "-q", "main")
    assert "Debt check" not in show(run, root)
    assert show(run, root) == cold_show(run, root, "d-aaaa0000")
    warm(root)
    git(root, "checkout", "-q", "repeat")
    assert_repeat_client_seen(run, root)


def test_git_stash_puts_back_what_the_index_holds(workspace, run):
    root = committed(workspace, {FIRST: files("c-petrova1")[FIRST]})
    assert "Debt check" in show(run, root)
    edit_in_place(root / FIRST, "c-petrova1", "c-other001")
    assert "Debt check" not in show(run, root)  # the row now holds the edit
    warm(root)
    git(root, "stash", "-q")  # the file is the committed one again: a repeat client
    assert_repeat_client_seen(run, root)


def test_untracked_and_ignored_record_files(workspace, run):
    root = committed(workspace)
    (root / ".gitignore").write_text("deals/d-ignored*.md\n", encoding="utf-8")
    early = files("c-other001")[FIRST].replace("2026-02-01", "2026-01-15")
    for name in ("d-ignored0", "d-untrack0"):
        (root / f"deals/{name}.md").write_text(early.replace("d-first001", name), encoding="utf-8")
    age_all(root)
    git(root, "update-index", "-q", "--refresh")
    assert "Debt check" not in show(run, root)
    assert warm(root) == 5  # the committed ones
    # each joins the counterparty in place, and leaves again: git names neither
    for name in ("d-ignored0", "d-untrack0"):
        edit_in_place(root / f"deals/{name}.md", "c-other001", "c-petrova1")
        assert git_names(root) == ""
        shown = show(run, root)
        assert "Debt check" in shown and shown == cold_show(run, root, "d-aaaa0000")
        assert run("move", "d-aaaa0000", "proposal", "--root", str(root)).exit_code == 1
        warm(root)
        edit_in_place(root / f"deals/{name}.md", "c-petrova1", "c-other001")
        assert "Debt check" not in show(run, root)
    # a new file no index knows of, joining from the start (the folder's listing changes, no file in it)
    warm(root)
    (root / "deals/d-newone0.md").write_text(early.replace("d-first001", "d-newone0")
                                             .replace("c-other001", "c-petrova1"), encoding="utf-8")
    assert_repeat_client_seen(run, root, "d-newone0")


def test_a_deleted_file_is_gone(workspace, run):
    root = committed(workspace, {FIRST: files("c-petrova1")[FIRST]})
    assert "Debt check" in show(run, root)
    (root / FIRST).unlink()
    shown = show(run, root)
    assert "Debt check" not in shown and shown == cold_show(run, root, "d-aaaa0000")
    warm(root)
    git(root, "rm", "-q", FIRST)
    assert show(run, root) == shown
    assert run("show", "d-first001", "--root", str(root)).exit_code == 1


@pytest.mark.parametrize("flag", ["--assume-unchanged", "--skip-worktree"])
def test_a_file_git_does_not_look_at(workspace, run, flag):
    root = committed(workspace)
    git(root, "update-index", flag, FIRST)
    warm(root)
    joins_by_edit_in_place(root)
    assert git_names(root) == ""  # git takes the flag's word for it
    assert_repeat_client_seen(run, root)


def test_an_edit_in_the_second_git_recorded_the_file(workspace, run):
    """git compares whole seconds: an edit in place within the second its index recorded the file, mtime put back,
    is one git misses for good. The index must not take git's word for such a file."""
    root = committed(workspace)
    for _ in range(5):
        next_second()
        joins_by_edit_in_place(root)
        git(root, "add", FIRST)  # recorded in this second
        assert "Debt check" in show(run, root)  # the row now holds it
        edit_in_place(root / FIRST, "c-petrova1", "c-other001")  # out again, the same second
        if git_names(root) == "":  # git missed it: the case this test is about
            shown = show(run, root)
            assert "Debt check" not in shown and shown == cold_show(run, root, "d-aaaa0000")
            return
        git(root, "checkout", "-q", "--", FIRST)
    pytest.skip("git noticed every edit (a build that compares nanoseconds), or the second passed each time")


def test_a_write_then_git_commit(workspace, run):
    root = committed(workspace)
    assert run("set", "d-first001", "contact=c-petrova1", "--root", str(root)).exit_code == 0
    git(root, "commit", "-q", "-am", "contact")
    assert_repeat_client_seen(run, root)
    assert warm(root) == 5  # git's word again for every file, the written one too
    edit_in_place(root / FIRST, "c-petrova1", "c-other001")
    shown = show(run, root)
    assert "Debt check" not in shown and shown == cold_show(run, root, "d-aaaa0000")


def test_two_worktrees_each_with_their_own_index(workspace, run, tmp_path):
    root = committed(workspace)
    other = tmp_path / "other"
    git(root, "worktree", "add", "-q", "-b", "other", str(other))
    age_all(other)
    git(other, "update-index", "-q", "--refresh")
    assert warm(other) == 5
    assert "Debt check" not in show(run, other)
    # the other worktree's file joins and is staged there: its own index changes, the first one's does not
    joins_by_edit_in_place(other)
    git(other, "add", FIRST)
    assert git_names(other) == ""
    assert_repeat_client_seen(run, other)
    assert "Debt check" not in show(run, root)
