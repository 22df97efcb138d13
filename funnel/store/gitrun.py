"""The one way funnel starts git: a fixed environment and `git -c core.quotepath=off ARGS`, bytes in and out.

It lives here, below `funnel.git`, because the cache (store/gitindex.py) asks git's index too; funnel/git/repo.py
builds its runner, errors and all, on this one.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def git_environment() -> dict[str, str]:
    env = dict(os.environ)
    # never wait on a prompt or a pager, never read a repository other than the one we name, stable output
    # a path funnel passes is a path, never a pathspec with magic (`:(glob)`, `*`)
    env.update(GIT_TERMINAL_PROMPT="0", GIT_PAGER="cat", PAGER="cat", LC_ALL="C", GIT_OPTIONAL_LOCKS="0",
               GIT_LITERAL_PATHSPECS="1")
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_NAMESPACE"):
        env.pop(name, None)
    return env


def git_process(cwd: Path | str, args: list[str], input: bytes | None = None,
                env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`git ARGS` in `cwd`, finished; FileNotFoundError when git is not installed."""
    return subprocess.run(["git", "-c", "core.quotepath=off", *args], cwd=cwd, input=input, capture_output=True,
                          env={**git_environment(), **(env or {})})


def git_started(cwd: Path | str, args: list[str]) -> subprocess.Popen:
    """`git ARGS` in `cwd`, started and left running (its output to be read with `communicate`), so a command can
    do its own work meanwhile; FileNotFoundError when git is not installed."""
    return subprocess.Popen(["git", "-c", "core.quotepath=off", *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=git_environment())
