"""An import is all or nothing even when killed: the journal is rolled forward or back by the next command."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import CONTACT
from funnel.store import journal

FUNNEL = [sys.executable, "-m", "funnel"]
HEADER = "name,email,source,equipment_preference,client_type\n"


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def leftovers(root: Path) -> list[str]:
    return sorted(path.name for path in (root / "contacts").iterdir() if path.name.endswith(".tmp"))


def contact_count(run, root: Path) -> int:
    result = run("list", "contacts", "--format", "json", "--root", str(root))
    assert result.exit_code == 0, result.output
    return len(json.loads(result.stdout))


def test_a_killed_import_leaves_all_or_nothing_after_the_next_command(workspace, run, tmp_path):
    root = workspace({})
    rows = 600
    source = tmp_path / "big.csv"
    source.write_text(HEADER + "".join(f"Клиент {i},c{i}@example.ru,website,domestic,end_customer\n"
                                       for i in range(rows)), encoding="utf-8")
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    path = journal.journal_path(root)
    killed_midway = 0
    outcomes = set()
    for attempt in range(10):
        for record in (root / "contacts").glob("*.md"):
            record.unlink()
        process = subprocess.Popen(FUNNEL + ["import", "contacts", str(source), "--root", str(root)], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # a random point after the journal is written: among the temp files being written (it rolls back), or,
        # every other attempt, among the renames after the commit point (it rolls forward)
        wanted = b'"commit"' if attempt % 2 else b'"pending"'
        while process.poll() is None and not (path.exists() and wanted in _read(path)):
            time.sleep(0.0002)
        time.sleep(random.uniform(0, 0.003))
        alive = process.poll() is None
        process.send_signal(signal.SIGKILL)
        process.wait()
        if alive and path.exists():
            killed_midway += 1
        count = contact_count(run, root)  # the next command finishes or undoes what the import left
        assert count in (0, rows)
        assert leftovers(root) == [] and not path.exists()
        outcomes.add(count)
        if killed_midway >= 4 and len(outcomes) == 2:
            break
    assert killed_midway >= 2 and outcomes == {0, rows}
    assert run("check", "--root", str(root)).exit_code == 0


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""


def test_a_committed_journal_is_rolled_forward(workspace, run):
    root = workspace({"contacts/c-ivanov01.md": CONTACT})
    new = CONTACT.replace("source: website", "source: referral")
    second = CONTACT.replace("c-ivanov01", "c-ivanov02")
    pairs = [(journal.temp_name("contacts/c-ivanov01.md", "0123456789ab"), "contacts/c-ivanov01.md"),
             (journal.temp_name("contacts/c-ivanov02.md", "0123456789ab"), "contacts/c-ivanov02.md")]
    (root / pairs[0][0]).write_text(new, encoding="utf-8")
    (root / pairs[1][0]).write_text(second, encoding="utf-8")
    journal.write_journal(root, "commit", pairs)
    assert contact_count(run, root) == 2
    assert (root / "contacts" / "c-ivanov01.md").read_text(encoding="utf-8") == new
    assert leftovers(root) == [] and not journal.journal_path(root).exists()


def test_a_pending_journal_is_rolled_back_and_a_hostile_one_touches_nothing_else(workspace, run, tmp_path):
    root = workspace({"contacts/c-ivanov01.md": CONTACT})
    outside = tmp_path / "victim.txt"
    outside.write_text("keep", encoding="utf-8")
    temp = journal.temp_name("contacts/c-ivanov02.md", "0123456789ab")
    (root / temp).write_text(CONTACT.replace("c-ivanov01", "c-ivanov02"), encoding="utf-8")
    journal.write_journal(root, "pending", [(temp, "contacts/c-ivanov02.md"),
                                            ("../victim.txt", "contacts/x.md"),
                                            (temp, "../../victim.txt")])
    assert contact_count(run, root) == 1
    assert leftovers(root) == [] and outside.read_text(encoding="utf-8") == "keep"
    assert not journal.journal_path(root).exists()
    journal.write_journal(root, "commit", [("contacts/c-ivanov01.md", "../victim.txt")])
    assert run("set", "c-ivanov01", "company=ООО Ромашка", "--root", str(root)).exit_code == 0
    assert outside.read_text(encoding="utf-8") == "keep" and contact_count(run, root) == 1
