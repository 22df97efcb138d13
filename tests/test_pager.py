"""Long output on a terminal goes through a pager as git's does; never when piped; `--no-pager` turns it off."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

from conftest import REPO

FUNNEL = [sys.executable, "-m", "funnel"]


def run_on_terminal(args: list[str], env: dict, rows: int = 10) -> bytes:
    """Run funnel with its stdout on a pseudo-terminal `rows` lines high; what it wrote there."""
    main, secondary = pty.openpty()
    import fcntl
    import struct
    import termios

    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", rows, 100, 0, 0))
    process = subprocess.Popen(FUNNEL + args, stdout=secondary, stderr=subprocess.PIPE,
                               env={**os.environ, **env, "COLUMNS": "100", "LINES": str(rows)})
    os.close(secondary)
    shown = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    process.wait(timeout=60)
    os.close(main)
    return shown


def test_long_output_on_a_terminal_goes_through_the_pager(tmp_path):
    paged = tmp_path / "paged.txt"
    pager = f"{sys.executable} -c \"import sys; open({str(paged)!r}, 'wb').write(sys.stdin.buffer.read())\""
    env = {"FUNNEL_PAGER": pager, "FUNNEL_TODAY": "2026-11-27", "NO_COLOR": "1"}
    shown = run_on_terminal(["list", "deals", "--root", str(REPO)], env)
    assert paged.exists() and b"d-6qwbfy4q" in paged.read_bytes()
    assert b"d-6qwbfy4q" not in shown  # the pager had it, not the terminal


def test_no_pager_when_it_fits_when_piped_or_with_no_pager(tmp_path):
    paged = tmp_path / "paged.txt"
    pager = f"{sys.executable} -c \"import sys; open({str(paged)!r}, 'wb').write(sys.stdin.buffer.read())\""
    env = {"FUNNEL_PAGER": pager, "FUNNEL_TODAY": "2026-11-27", "NO_COLOR": "1"}
    shown = run_on_terminal(["show", "d-6qwbfy4q", "--root", str(REPO)], env, rows=200)
    assert not paged.exists() and b"d-6qwbfy4q" in shown  # fits the screen
    shown = run_on_terminal(["--no-pager", "list", "deals", "--root", str(REPO)], env)
    assert not paged.exists() and b"d-6qwbfy4q" in shown
    piped = subprocess.run(FUNNEL + ["list", "deals", "--root", str(REPO)], capture_output=True,
                           env={**os.environ, **env})
    assert not paged.exists() and b"d-6qwbfy4q" in piped.stdout
