"""`funnel init`: a new workspace holding the reference pipeline shipped with the package.

The reference schema is `funnel/data/schema.yaml`, byte for byte the repository's own schema.yaml (a test keeps
them identical). A workspace that already has a schema.yaml is never touched: init refuses before writing.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ..store.paths import SCHEMA_FILE
from ..store.workspace import WorkspaceError

RECORD_DIRS = ("contacts", "deals")
IGNORED = ".funnel/"
KEEP_FILE = ".gitkeep"  # git keeps no empty directory; a fresh clone still has contacts/ and deals/


@dataclass
class Initialised:
    root: Path
    created: list[str] = field(default_factory=list)  # relative paths, in the order made
    git_initialised: bool = False
    git_problem: str | None = None  # why no repository was made where one was wanted


def reference_schema() -> bytes:
    return resources.files("funnel").joinpath("data", SCHEMA_FILE).read_bytes()


def init_workspace(directory: Path) -> Initialised:
    """Make `directory` a workspace; WorkspaceError (nothing written) when it already is one or cannot be."""
    if directory.exists() and not directory.is_dir():
        raise WorkspaceError(f"{directory}: exists and is not a directory")
    if (directory / SCHEMA_FILE).exists():
        raise WorkspaceError(f"{directory / SCHEMA_FILE}: already a funnel workspace; nothing written")
    schema = reference_schema()
    result = Initialised(directory)
    in_repository = inside_git_repository(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / SCHEMA_FILE).write_bytes(schema)
    result.created.append(SCHEMA_FILE)
    for name in RECORD_DIRS:
        folder = directory / name
        if not folder.is_dir():
            folder.mkdir()
            (folder / KEEP_FILE).write_bytes(b"")
            result.created.append(f"{name}/")
    if add_ignore(directory / ".gitignore"):
        result.created.append(".gitignore")
    if in_repository is None:
        result.git_problem = "git is not installed; run 'git init' yourself to keep the pipeline's history"
    elif not in_repository:
        completed = subprocess.run(["git", "init", "--quiet", str(directory)], capture_output=True, text=True)
        if completed.returncode == 0:
            result.git_initialised = True
        else:
            result.git_problem = f"git init failed: {completed.stderr.strip() or completed.returncode}"
    return result


def add_ignore(path: Path) -> bool:
    """Make .gitignore hold `.funnel/` (the local cache); True when the file changed."""
    if path.exists():
        text = path.read_text(encoding="utf-8")
        if any(line.strip() in (IGNORED, IGNORED.rstrip("/"), "/" + IGNORED) for line in text.splitlines()):
            return False
        path.write_text(text + ("" if not text or text.endswith("\n") else "\n") + IGNORED + "\n", encoding="utf-8")
        return True
    path.write_text(IGNORED + "\n", encoding="utf-8")
    return True


def inside_git_repository(directory: Path) -> bool | None:
    """Whether `directory` (or, when it does not exist yet, its nearest existing parent) lies inside a git
    work tree; None when git is not installed."""
    probe = directory
    while not probe.exists():
        probe = probe.parent
    if shutil.which("git") is None:
        return None
    completed = subprocess.run(["git", "rev-parse", "--is-inside-work-tree"], cwd=probe, capture_output=True,
                               text=True)
    return completed.returncode == 0 and completed.stdout.strip() == "true"
