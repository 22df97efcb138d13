"""Real git repositories for the tests of funnel's git commands: never a mock of git."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

FUNNEL = f"{shlex.quote(sys.executable)} -m funnel"  # this funnel, as git runs it from a driver or a hook


def git(cwd: Path, *args: str, check: bool = True, input: str | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, input=input)
    if check and done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def make_repo(root: Path, commit: str | None = "start") -> Path:
    """`root` as a git repository with an identity; everything in it committed when `commit` names a message."""
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Анна Тестова")
    git(root, "config", "user.email", "anna@example.com")
    git(root, "config", "commit.gpgsign", "false")
    if commit:
        commit_all(root, commit)
    return root


def commit_all(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD").stdout.strip()


def configure_merge_driver(root: Path) -> None:
    """The driver as `funnel hooks install` sets it up, by hand (the merge tests do not depend on install)."""
    git(root, "config", "merge.funnel.driver", f"{FUNNEL} merge-driver %O %A %B %P")
    info = Path(git(root, "rev-parse", "--git-path", "info/attributes").stdout.strip())
    info = info if info.is_absolute() else root / info
    info.parent.mkdir(parents=True, exist_ok=True)
    info.write_text("contacts/*.md merge=funnel\ndeals/*.md merge=funnel\n")


@pytest.fixture(autouse=True)
def isolated_git(tmp_path_factory, monkeypatch):
    """No test reads the user's or the system's git configuration; each has its own empty global one."""
    home = tmp_path_factory.mktemp("git-home")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL",
                 "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(name, raising=False)
