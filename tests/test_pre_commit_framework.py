"""The hook works from the pre-commit framework: `pre-commit try-repo` on a temp repository installs funnel from
this repository (`.pre-commit-hooks.yaml`, language: python) into its own environment and runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CONTACT, REPO
from gitrepo import git, isolated_git, make_repo  # noqa: F401

pytest.importorskip("pre_commit")


def try_repo(root: Path, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(REPO), "funnel-check"], cwd=root,
                          env=env, capture_output=True, text=True)


def test_pre_commit_try_repo_blocks_an_invalid_contact_and_passes_a_valid_one(workspace, tmp_path):
    if not (REPO / ".git").exists() or shutil.which("git") is None:
        pytest.skip("try-repo needs this project as a git repository")
    root = workspace({"contacts/c-ivanov01.md": CONTACT})
    make_repo(root)
    home = tmp_path / "pre-commit-home"
    (root / "contacts/c-ivanov01.md").write_text(CONTACT.replace("source: website", "source: nowhere"),
                                                 encoding="utf-8")
    git(root, "add", "-A")
    done = try_repo(root, home)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "contacts/c-ivanov01.md:7:9: error: source: 'nowhere'" in done.stdout
    (root / "contacts/c-ivanov01.md").write_text(CONTACT.replace("source: website", "source: referral"),
                                                 encoding="utf-8")
    git(root, "add", "-A")
    done = try_repo(root, home)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Passed" in done.stdout
