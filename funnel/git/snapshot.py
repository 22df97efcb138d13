"""A workspace as committed at a revision: its schema and records read from git objects (one `ls-tree`, one
`cat-file --batch`), never a checkout — the working tree and its cache are not touched.

`--at REV` on every view goes through `view_at`; REV is a commit, tag or branch (checked by `verify_commit`), or
a date `YYYY-MM-DD`: the last commit on HEAD before that day ends.
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime
from pathlib import Path

from ..frontmatter.reader import parse_record_bytes
from ..model.fieldtypes import read_date
from ..model.records import Record, Workspace
from ..model.schema import KIND_OF_DIR, Schema, parse_schema
from ..store.paths import SCHEMA_FILE, kind_of_path
from ..store.workspace import workspace_from_files
from ..model import clock
from ..views.query import ViewContext
from .repo import GitError, Repository, find_repository
from ..valueclass import field, valueclass

DAY = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
WORKSPACE_PATHS = (SCHEMA_FILE, *KIND_OF_DIR)


def repository_of(root: Path) -> Repository:
    """The repository the workspace at `root` is in; GitError saying so when it is in none."""
    repository = find_repository(root)
    if repository is None:
        raise GitError(f"{root}: not inside a git repository (or git is not installed)")
    return repository


def resolve_revision(repository: Repository, text: str) -> str:
    """The full commit id a person's REV names: a commit, tag or branch, or a date YYYY-MM-DD (the last commit on
    HEAD before the end of that day, as `git rev-list -1 --before` finds it)."""
    if DAY.match(text):
        day = read_date(text)
        if day is None:
            raise GitError(f"'{text}' is not a date YYYY-MM-DD")
        found = repository.last_commit_before(f"{day.isoformat()} 23:59:59")
        if found is None:
            raise GitError(f"no commit on HEAD before the end of {text}")
        return repository.verify_commit(found)
    return repository.verify_commit(text)


def workspace_paths(repository: Repository) -> list[str]:
    """schema.yaml, contacts/ and deals/ of the workspace, as paths from the repository's top."""
    return [repository.prefix + name for name in WORKSPACE_PATHS]


def relative(repository: Repository, path: str) -> str | None:
    """`path` (from the top) relative to the workspace root, or None when it lies outside the workspace."""
    if not path.startswith(repository.prefix):
        return None
    return path[len(repository.prefix):]


def is_workspace_file(path: str) -> bool:
    """schema.yaml or a record file (dot-files, such as a writer's temp file, are not records)."""
    return path == SCHEMA_FILE or (kind_of_path(path) is not None and not path.rsplit("/", 1)[-1].startswith("."))


def files_at(repository: Repository, commit: str) -> dict[str, bytes]:
    """The workspace's schema.yaml and record files at `commit`, by path relative to the workspace root; links
    and submodules are skipped."""
    blobs = {}
    for path, blob in repository.tree_files(commit, workspace_paths(repository)):
        inside = relative(repository, path)
        if inside is not None and is_workspace_file(inside):
            blobs[inside] = blob
    contents = repository.read_blobs(blobs.values())
    return {path: contents[blob] for path, blob in blobs.items() if blob in contents}


def schema_of(files: dict[str, bytes], where: str) -> Schema:
    """The schema in `files`; SchemaError (naming `where`) when it is missing or broken."""
    from ..model.schema import SchemaError
    from ..frontmatter.reader import Problem

    data = files.get(SCHEMA_FILE)
    if data is None:
        raise SchemaError(f"{where}:{SCHEMA_FILE}", [Problem(1, 1, "schema", "no schema.yaml at this revision")])
    return parse_schema(data, f"{where}:{SCHEMA_FILE}")


@valueclass
class Snapshot:
    commit: str
    committed: datetime
    workspace: Workspace
    files: dict[str, bytes] = field(repr=False)


def snapshot_at(root: Path, revision: str) -> Snapshot:
    """The workspace at `root` as committed at `revision` (what a person typed)."""
    repository = repository_of(root)
    commit = resolve_revision(repository, revision)
    files = files_at(repository, commit)
    schema = schema_of(files, commit[:12])
    workspace = workspace_from_files(root, schema, files.items())
    return Snapshot(commit, repository.commit_time(commit), workspace, files)


class SnapshotView(ViewContext):
    """A view's context over a snapshot: record bodies come from the commit's blobs, not the working tree."""

    def __init__(self, snapshot: Snapshot, today: date):
        super().__init__(snapshot.workspace, today)
        self.snapshot = snapshot

    def record_body(self, record: Record) -> str:
        data = self.snapshot.files.get(record.path)
        return parse_record_bytes(data, all_positions=False).body if data is not None else ""


def view_at(root: Path, revision: str) -> SnapshotView:
    """What a view `--at REV` starts from: the workspace as committed at `revision`, "today" being FUNNEL_TODAY
    when set, else the day of that commit."""
    snapshot = snapshot_at(root, revision)
    today = clock.today() if os.environ.get("FUNNEL_TODAY") else snapshot.committed.date()
    return SnapshotView(snapshot, today)
