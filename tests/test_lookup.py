"""The index single-record commands read (store/lookup.py): `show ID` and a deal's write read only the deal and
what its gates read, yet answer as a full load would — after hand edits in place (same second, same size), a
git checkout, added and removed files, concurrent writes; a refused write writes nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from conftest import CONTACT, age_all, deal
from funnel.store.owndir import own_directory
from funnel.store.lookup import Lookup
from funnel.model.schema import load_schema

REPEAT_FIELDS = "title: x\ncontact: {contact}\nowner: a\ncreated: 2026-03-14\nneeds: x\ncategories: [small]\n" \
                "finance_check: approved\nlegal_check: passed\n"
OTHER = CONTACT.replace("c-ivanov01", "c-other001").replace("ООО «Водоканал-Сервис»", "АО «Теплосеть»")
SAME_COMPANY = CONTACT.replace("c-ivanov01", "c-petrova1").replace(
    "company: ООО «Водоканал-Сервис»", "company: '  ооо  «ВОДОКАНАЛ-сервис» '")


def repeat_deal(deal_id: str, contact: str, started: str, stage: str = "approval") -> str:
    history = f"  - {{stage: lead, at: {started}}}\n  - {{stage: {stage}, at: 2026-10-01T10:00:00+03:00}}\n"
    return deal(deal_id, stage, REPEAT_FIELDS.format(contact=contact), history=history)


def files(first_contact: str = "c-other001") -> dict[str, str]:
    """d-aaaa0000 (approval, no debt check) is a repeat client exactly when d-first001 is of its company."""
    return {
        "contacts/c-ivanov01.md": CONTACT,
        "contacts/c-petrova1.md": SAME_COMPANY,
        "contacts/c-other001.md": OTHER,
        "deals/d-first001.md": repeat_deal("d-first001", first_contact, "2026-02-01T10:00:00+03:00", "proposal")
        .replace("finance_check", "debt_check: clear\nfinance_check"),
        "deals/d-aaaa0000.md": repeat_deal("d-aaaa0000", "c-ivanov01", "2026-03-01T10:00:00+03:00"),
    }


def cold_show(run, root, *args):
    """`show` as a command without any cache answers it: the truth to compare with."""
    shutil.rmtree(own_directory(root), ignore_errors=True)
    return run("show", *args, "--root", str(root)).output


def answers_from_index(root) -> bool:
    """The index can answer (no fallback to the full load)."""
    with Lookup(root, load_schema(root / "schema.yaml")) as lookup:
        return bool(lookup.paths_for_prefix("d-aaaa"))


def edit_in_place(path, old: str, new: str, keep_mtime: bool = True) -> None:
    """Rewrite a file in place (as an editor that truncates and writes does), the same size, its mtime kept."""
    assert len(old.encode()) == len(new.encode())
    info = os.stat(path)
    data = path.read_bytes().replace(old.encode(), new.encode())
    with open(path, "r+b") as handle:
        handle.write(data)
    if keep_mtime:
        os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert os.stat(path).st_size == info.st_size


def test_show_and_a_write_see_a_deal_that_joined_the_counterparty_by_an_edit_in_place(workspace, run):
    root = workspace(files())
    age_all(root)
    warm = run("show", "d-aaaa0000", "--root", str(root)).output
    assert "Debt check" not in warm  # a first-time client: the debt check is excused
    assert answers_from_index(root)
    # another deal's contact changes in place: no directory changes, same size, same mtime
    edit_in_place(root / "deals/d-first001.md", "c-other001", "c-petrova1")
    shown = run("show", "d-aaaa0000", "--root", str(root)).output
    assert "Debt check" in shown  # now a repeat client (same company as c-petrova1)
    assert shown == cold_show(run, root, "d-aaaa0000")
    # a write judges it too: moving on needs the debt check, refused, nothing written
    before = (root / "deals/d-aaaa0000.md").read_bytes()
    age_all(root)
    run("show", "d-aaaa0000", "--root", str(root))  # the index warm again
    edit_in_place(root / "deals/d-first001.md", "c-petrova1", "c-ivanov01")
    refused = run("move", "d-aaaa0000", "proposal", "--root", str(root))
    assert refused.exit_code == 1
    assert "repeat client: earlier deal d-first001" in refused.stderr
    assert (root / "deals/d-aaaa0000.md").read_bytes() == before
    # and out again: no longer a repeat client, the move passes
    edit_in_place(root / "deals/d-first001.md", "c-ivanov01", "c-other001")
    assert run("move", "d-aaaa0000", "proposal", "--root", str(root)).exit_code == 0


def test_an_edit_within_the_same_second_is_seen(workspace, run):
    """No aging: every file is in the racy window, where a stat says nothing and the bytes decide."""
    root = workspace(files())
    run("show", "d-aaaa0000", "--root", str(root))
    edit_in_place(root / "deals/d-first001.md", "c-other001", "c-ivanov01")
    assert "Debt check" in run("show", "d-aaaa0000", "--root", str(root)).output


def test_added_and_removed_files_and_a_changed_id(workspace, run):
    root = workspace(files())
    age_all(root)
    run("show", "d-aaaa0000", "--root", str(root))
    (root / "deals/d-early000.md").write_text(
        repeat_deal("d-early000", "c-ivanov01", "2026-01-01T10:00:00+03:00", "proposal")
        .replace("finance_check", "debt_check: clear\nfinance_check"), encoding="utf-8")
    shown = run("show", "d-aaaa0000", "--root", str(root)).output
    assert "Debt check" in shown
    assert shown == cold_show(run, root, "d-aaaa0000")
    run("show", "d-aaaa0000", "--root", str(root))
    (root / "deals/d-early000.md").unlink()
    assert "Debt check" not in run("show", "d-aaaa0000", "--root", str(root)).output
    # a file whose id is edited to another deal's: the id is used twice, which show says
    run("show", "d-aaaa0000", "--root", str(root))
    edit_in_place(root / "deals/d-first001.md", "id: d-first001", "id: d-aaaa0000")
    result = run("show", "d-aaaa0000", "--root", str(root))
    assert result.exit_code == 1
    assert "is used by 2 files" in result.stderr
    assert run("set", "d-aaaa0000", "title=y", "--root", str(root)).exit_code == 1


def test_a_git_checkout_is_seen(workspace, run):
    root = workspace(files())
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}

    def git(*args):
        subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=env)

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-q", "-m", "first-time client")
    git("checkout", "-q", "-b", "repeat")
    (root / "deals/d-first001.md").write_text(files("c-ivanov01")["deals/d-first001.md"], encoding="utf-8")
    git("commit", "-q", "-am", "repeat client")
    age_all(root)
    assert "Debt check" in run("show", "d-aaaa0000", "--root", str(root)).output
    git("checkout", "-q", "main")
    assert "Debt check" not in run("show", "d-aaaa0000", "--root", str(root)).output
    git("checkout", "-q", "repeat")
    assert run("move", "d-aaaa0000", "proposal", "--root", str(root)).exit_code == 1


def test_an_invalid_record_is_read_every_time_and_a_shared_contact_id_falls_back(workspace, run):
    root = workspace(files())
    age_all(root)
    run("show", "d-aaaa0000", "--root", str(root))
    # an invalid deal of the company still counts as prior (as in a full load)
    (root / "deals/d-early000.md").write_text(
        repeat_deal("d-early000", "c-petrova1", "2026-01-01T10:00:00+03:00", "proposal")
        .replace("needs: x", "needs: x\namount: много"), encoding="utf-8")
    shown = run("show", "d-aaaa0000", "--root", str(root)).output
    assert "Debt check" in shown
    assert run("show", "d-aaaa0000", "--root", str(root)).output == shown == cold_show(run, root, "d-aaaa0000")
    # two files with one contact id: which one a deal's contact is depends on every contact; a full load says
    (root / "contacts/c-ivanov02.md").write_text(OTHER.replace("c-other001", "c-ivanov01"), encoding="utf-8")
    assert run("show", "d-aaaa0000", "--root", str(root)).output == cold_show(run, root, "d-aaaa0000")


def test_writes_keep_the_index_exact_for_each_other(workspace, run, tmp_path):
    """Deals added and set by concurrent processes: the index then answers as a cold load does."""
    root = workspace(files())
    age_all(root)
    run("show", "d-aaaa0000", "--root", str(root))
    script = ("import sys; from funnel.cli import run; sys.argv = ['funnel'] + sys.argv[1:]; run()")
    processes = [subprocess.Popen([sys.executable, "-c", script, "deal", "add", "--contact", "c-petrova1",
                                   "--set", f"title=Новая {n}", "--set", "owner=a", "--root", str(root)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for n in range(4)]
    processes += [subprocess.Popen([sys.executable, "-c", script, "set", "d-aaaa0000", f"title=t{n}",
                                    "--root", str(root)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                  for n in range(4)]
    for process in processes:
        assert process.wait(timeout=120) == 0, process.stderr.read()
    assert len(list((root / "deals").glob("*.md"))) == 6
    for path in (root / "deals").glob("*.md"):
        warm = run("show", path.stem, "--root", str(root)).output
        assert warm == cold_show(run, root, path.stem)


def test_a_write_through_the_index_removes_a_killed_writes_temp_file(workspace, run):
    root = workspace(files())
    run("show", "d-aaaa0000", "--root", str(root))
    leftover = root / "deals" / ".d-aaaa0000.md.0123456789ab.tmp"
    leftover.write_bytes(b"half a record")
    keep = root / "deals" / "notes.tmp"  # not funnel's pattern: someone else's file
    keep.write_bytes(b"mine")
    assert run("set", "d-aaaa0000", "title=y", "--root", str(root)).exit_code == 0
    assert not leftover.exists()
    assert keep.read_bytes() == b"mine"


from hypothesis import given, strategies as st  # noqa: E402


@given(st.integers(0, 300), st.lists(st.integers(0, 299), max_size=20), st.integers(1, 8))
def test_differing_records_are_exactly_the_changed_ones(count, changed, width):
    from funnel.store.lookup import differing_records

    old = bytes(range(256)) * (count * width // 256 + 1)
    old = old[:count * width]
    new = bytearray(old)
    for index in set(changed):  # each changed once (twice would change it back)
        if index < count:
            new[index * width] ^= 0xFF
    expected = sorted({index for index in changed if index < count})
    assert differing_records(old, bytes(new), width) == expected


def cold(run, root, *args):
    """A command's whole output (stdout, stderr, code) with no cache: the truth to compare with."""
    shutil.rmtree(own_directory(root), ignore_errors=True)
    result = run(*args, "--root", str(root))
    return result.output, result.stderr, result.exit_code


def warm(run, root, *args):
    result = run(*args, "--root", str(root))
    return result.output, result.stderr, result.exit_code


def test_a_folder_listed_as_before_still_sees_a_new_file_removed_and_a_file_become_a_link(workspace, run):
    """A folder's entries that hash as when its listing was stored prove no entry needs a look (lookup.py's
    _names_among); a write adds its new file to that listing. Removing that file by hand brings the entries
    back to the stored ones, and renaming a link over a record keeps every name: both are still seen."""
    root = workspace(files())
    age_all(root)
    run("show", "d-aaaa0000", "--root", str(root))
    run("show", "d-aaaa0000", "--root", str(root))  # the entries' digest stored
    added = run("deal", "add", "--contact", "c-petrova1", "--set", "title=Новая", "--set", "owner=a",
                "--root", str(root))
    assert added.exit_code == 0
    new_id = added.output.strip()
    (root / "deals" / f"{new_id}.md").unlink()  # before any command lists the folder again
    listed = warm(run, root, "list", "deals")
    assert new_id not in listed[0]
    assert listed == cold(run, root, "list", "deals")
    # a record replaced by a link under its own name: every name as before, the file now a link
    run("list", "deals", "--root", str(root))
    target = root / "elsewhere.md"
    target.write_text(files()["deals/d-first001.md"], encoding="utf-8")
    (root / "deals/link.tmp").symlink_to(target)
    os.replace(root / "deals/link.tmp", root / "deals/d-first001.md")
    listed = warm(run, root, "list", "deals")
    assert "d-first001" not in listed[0]
    assert "1 file skipped" in listed[1]
    assert listed == cold(run, root, "list", "deals")
    assert warm(run, root, "show", "d-aaaa0000") == cold(run, root, "show", "d-aaaa0000")


def test_a_written_file_edited_again_in_the_same_second_is_seen(workspace, run):
    """A write keeps its file's key in the listing and names it racy there: an edit in place right after it,
    the same size, its mtime put back, is read again by the next command."""
    root = workspace(files())
    age_all(root)
    run("show", "d-aaaa0000", "--root", str(root))
    assert run("set", "d-first001", "title=y", "--root", str(root)).exit_code == 0
    edit_in_place(root / "deals/d-first001.md", "c-other001", "c-petrova1")
    assert "Debt check" in run("show", "d-aaaa0000", "--root", str(root)).output


def test_a_write_between_a_scans_read_and_its_write_keeps_its_file_racy(workspace, run):
    """A scan that read a listing, then stores it only older (a new time, fewer racy names), must not drop the
    racy name a write added meanwhile: the write's file is newer than the scan's keys. Each write bumps the
    listing's version, and the scan's update asks for the version it read."""
    import time

    from funnel.store.cache import Cache
    from funnel.store.lookup import _write

    root = workspace(files())
    age_all(root)
    run("show", "d-aaaa0000", "--root", str(root))
    cache = Cache.open(root)
    try:
        (read_version,) = cache.db.execute("SELECT version FROM listing_times WHERE directory = 'deals'").fetchone()
    finally:
        cache.close()
    assert run("set", "d-first001", "title=y", "--root", str(root)).exit_code == 0
    cache = Cache.open(root)
    try:
        now = time.time_ns()
        _write(cache, [], [], [], [], [], now, aged=[(now, "", "deals", read_version)])
        racy, version = cache.db.execute(
            "SELECT racy, version FROM listing_times WHERE directory = 'deals'").fetchone()
        assert "d-first001.md" in racy.split("\0")
        assert version == read_version + 1
        # the scan that read this version does store its times
        _write(cache, [], [], [], [], [], now, aged=[(now, "", "deals", version)])
        assert cache.db.execute("SELECT racy FROM listing_times WHERE directory = 'deals'").fetchone() == ("",)
    finally:
        cache.close()
