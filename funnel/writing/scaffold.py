"""`funnel init`: a new workspace holding the reference pipeline shipped with the package.

The reference schema is `funnel/data/schema.yaml`, byte for byte the repository's own schema.yaml (a test keeps
them identical). A workspace that already has a schema.yaml is never touched: init refuses before writing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from importlib import resources
from pathlib import Path

from ..store.paths import KEEP_FILE, SCHEMA_FILE
from ..store.workspace import WorkspaceError
from ..valueclass import field, valueclass

RECORD_DIRS = ("contacts", "deals")
# what .gitignore must hold, with the forms of it a person may have written: the temp files a killed write
# leaves (the next write removes them; until then git status must not show them). Nothing else funnel makes
# lives in the working tree: its cache, lock and journals are in the git directory (store/owndir.py).
IGNORED = ((".*.tmp", "*.tmp"),)


@valueclass
class Initialised:
    root: Path
    created: list[str] = field(default_factory=list)  # relative paths, in the order made
    git_initialised: bool = False
    git_problem: str | None = None  # why no repository was made where one was wanted


def reference_schema() -> bytes:
    return resources.files("funnel").joinpath("data", SCHEMA_FILE).read_bytes()


def init_workspace(directory: Path) -> Initialised:
    """Make `directory` a workspace. Everything that would stop it is checked before anything is written
    (WorkspaceError, nothing written); a workspace that an interrupted init left half-made (the reference
    schema.yaml, some of the rest missing) is finished, not refused."""
    schema = reference_schema()
    finishing = _refusal_or_resume(directory, schema)
    result = Initialised(directory)
    in_repository = inside_git_repository(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if not finishing:
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
    except OSError as exc:
        what = "cannot create the workspace" if not result.created else \
            f"stopped after {', '.join(result.created)}; run 'funnel init' again to finish"
        raise WorkspaceError(f"{exc.filename or directory}: {what}: {exc.strerror or exc}") from None
    if in_repository is None:
        result.git_problem = "git is not installed; run 'git init' yourself to keep the pipeline's history"
    elif not in_repository:
        completed = subprocess.run(["git", "init", "--quiet", str(directory)], capture_output=True, text=True)
        if completed.returncode == 0:
            result.git_initialised = True
        else:
            result.git_problem = f"git init failed: {completed.stderr.strip() or completed.returncode}"
    return result


def _refusal_or_resume(directory: Path, schema: bytes) -> bool:
    """Raise WorkspaceError when `directory` cannot become a workspace; True when it is one an interrupted
    init left half-made (so init finishes it), False for a new one."""
    if os.path.lexists(directory) and not directory.is_dir():
        raise WorkspaceError(f"{directory}: exists and is not a directory")
    for name in RECORD_DIRS:
        folder = directory / name
        if os.path.lexists(folder) and (folder.is_symlink() or not folder.is_dir()):
            raise WorkspaceError(f"{folder}: exists and is not a directory; nothing written")
    ignore = directory / ".gitignore"
    if os.path.lexists(ignore) and (ignore.is_symlink() or not ignore.is_file()):
        raise WorkspaceError(f"{ignore}: exists and is not a regular file; nothing written")
    schema_path = directory / SCHEMA_FILE
    if not os.path.lexists(schema_path):
        return False
    complete = all((directory / name).is_dir() for name in RECORD_DIRS) and _ignores_all(ignore)
    if schema_path.is_symlink() or not schema_path.is_file() or schema_path.read_bytes() != schema or complete:
        raise WorkspaceError(f"{schema_path}: already a funnel workspace; nothing written")
    return True


def _ignores_all(path: Path) -> bool:
    try:
        lines = {line.strip() for line in path.read_text(encoding="utf-8").splitlines()}
    except (OSError, UnicodeDecodeError):
        return False
    return all(any(form in lines for form in forms) for forms in IGNORED)


def add_ignore(path: Path) -> bool:
    """Make .gitignore hold what funnel keeps for itself and the temp files of a killed write; True when
    the file changed."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    lines = {line.strip() for line in text.splitlines()}
    missing = [forms[0] for forms in IGNORED if not any(form in lines for form in forms)]
    if not missing:
        return False
    path.write_text(text + ("" if not text or text.endswith("\n") else "\n") + "".join(f"{line}\n" for line in missing),
                    encoding="utf-8")
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
