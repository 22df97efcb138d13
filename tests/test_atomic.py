"""funnel.atomic: atomic replacement and the workspace lock, exercised with real processes."""

from __future__ import annotations

import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from funnel.store.atomic import LockTimeout, atomic_write, workspace_lock
from funnel.frontmatter.editing import set_field

REPO = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}

RECORD = "---\nid: d-1\ntitle: Насосная станция  # keep me\nstage: lead\n---\nNotes.\n"


def spawn(code: str, *args: str) -> subprocess.Popen:
    env = {**ENV, "XDG_CACHE_HOME": os.environ["XDG_CACHE_HOME"]}  # the same own directory as this test's
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_atomic_write_replaces_content_and_keeps_mode(tmp_path):
    path = tmp_path / "d-1.md"
    path.write_text("old", encoding="utf-8")
    path.chmod(0o640)
    atomic_write(path, "новое\r\n".encode())
    assert path.read_bytes() == "новое\r\n".encode()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d-1.md"]


def test_atomic_write_new_file_gets_umask_mode(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "new.md", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.md").stat().st_mode) == 0o644


def test_atomic_write_writes_through_symlink(tmp_path):
    real = tmp_path / "real.md"
    real.write_bytes(b"old")
    link = tmp_path / "link.md"
    link.symlink_to(real)
    atomic_write(link, b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"


def test_failed_write_leaves_no_temp_file(tmp_path):
    target = tmp_path / "d-1.md"
    target.mkdir()  # os.replace of a file onto a directory fails after the temp file is written
    with pytest.raises(OSError):
        atomic_write(target, b"data")
    assert [p.name for p in tmp_path.iterdir()] == ["d-1.md"]


WORKER = """
    import sys, time
    from funnel.store.atomic import atomic_write, workspace_lock
    from funnel.frontmatter.editing import set_field
    root, path, key = sys.argv[1:]
    with workspace_lock(root):
        with open(path, encoding="utf-8", newline="") as f:
            text = f.read()
        time.sleep(0.02)  # widen the read-modify-write window so lost updates would show
        atomic_write(path, set_field(text, key, "value of " + key, ["id", "title", "stage"]).encode("utf-8"))
"""


def test_parallel_edits_lose_nothing(tmp_path):
    path = tmp_path / "deals" / "d-1.md"
    path.parent.mkdir()
    path.write_text(RECORD, encoding="utf-8")
    keys = [f"x_worker_{i}" for i in range(8)]
    procs = [spawn(WORKER, str(tmp_path), str(path), key) for key in keys]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    text = path.read_text(encoding="utf-8")
    for key in keys:
        assert f"{key}: value of {key}\n" in text
    assert text.startswith("---\nid: d-1\ntitle: Насосная станция  # keep me\nstage: lead\n")
    assert text.endswith("---\nNotes.\n")
    assert sorted(p.name for p in path.parent.iterdir()) == ["d-1.md"]


LOOPER = """
    import sys
    from funnel.store.atomic import atomic_write
    path, a, b = sys.argv[1], open(sys.argv[2], "rb").read(), open(sys.argv[3], "rb").read()
    atomic_write(path, a)
    print("ready", flush=True)
    while True:
        atomic_write(path, b)
        atomic_write(path, a)
"""


def test_killed_writer_leaves_old_or_new_file(tmp_path):
    # Two full contents of different sizes, so a torn or truncated file cannot equal either.
    content_a = set_field(RECORD, "needs", "А" * 20000 + "\n", []).encode("utf-8")
    content_b = set_field(RECORD, "needs", "b" * 70000 + "\n", []).encode("utf-8")
    (tmp_path / "a").write_bytes(content_a)
    (tmp_path / "b").write_bytes(content_b)
    records = tmp_path / "deals"
    records.mkdir()
    path = records / "d-1.md"

    started = time.perf_counter()
    for _ in range(10):
        atomic_write(path, content_b)
    one_write = (time.perf_counter() - started) / 10

    rng = random.Random(1234)
    for _ in range(30):
        proc = spawn(LOOPER, str(path), str(tmp_path / "a"), str(tmp_path / "b"))
        assert proc.stdout.readline() == "ready\n", proc.stderr.read()
        time.sleep(rng.uniform(0, 20 * one_write))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()
        assert path.read_bytes() in (content_a, content_b)
        for leftover in records.iterdir():
            if leftover.name != "d-1.md":
                assert leftover.name.startswith(".d-1.md.") and leftover.name.endswith(".tmp")
                assert not leftover.name.endswith(".md")


HOLDER = """
    import sys, time
    from funnel.store.atomic import workspace_lock
    with workspace_lock(sys.argv[1]):
        print("locked", flush=True)
        time.sleep(60)
"""


def test_lock_timeout(tmp_path):
    holder = spawn(HOLDER, str(tmp_path))
    try:
        assert holder.stdout.readline() == "locked\n", holder.stderr.read()
        started = time.monotonic()
        with pytest.raises(LockTimeout) as info:
            with workspace_lock(tmp_path, timeout=0.3):
                pytest.fail("lock acquired while another process holds it")
        assert 0.3 <= time.monotonic() - started < 5
        message = str(info.value)
        assert "could not lock the workspace" in message
        assert "another funnel command" in message
        assert f"pid {holder.pid}" in message
    finally:
        holder.kill()
        holder.communicate()
    # The kernel drops a dead holder's lock: no stale lock files to clean up.
    with workspace_lock(tmp_path, timeout=5):
        pass


def test_lock_is_released_after_the_block(tmp_path):
    from funnel.store.owndir import own_directory

    with workspace_lock(tmp_path):
        assert (own_directory(tmp_path) / "lock").exists()
        assert not (tmp_path / ".funnel").exists()  # never in the working tree
    with workspace_lock(tmp_path, timeout=0):
        pass
    with pytest.raises(RuntimeError):
        with workspace_lock(tmp_path, timeout=0):
            raise RuntimeError("boom")
    with workspace_lock(tmp_path, timeout=0):
        pass
