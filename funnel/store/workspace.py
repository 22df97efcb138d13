"""The workspace: find its root, load every record (through the cache when asked), resolve ids, mint new ones."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterable

from ..model.records import Record, Workspace, build_record
from ..model.matching import normal_form
from ..model.schema import Schema
from .recordfiles import record_from_file
from .schematree import workspace_schema
from .paths import SCHEMA_FILE, folder_problems, kind_of_path, leads_outside, record_files
from ..errors import FunnelError

ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford's base32, lowercase: no i, l, o, u to misread
ID_PREFIX = {"contact": "c-", "deal": "d-"}


class WorkspaceError(FunnelError):
    """The command cannot find or use a workspace; one line for the person."""


def find_root(start: str | os.PathLike | None = None, explicit: str | None = None) -> Path:
    """The workspace root: `--root`, else FUNNEL_ROOT, else the nearest directory upwards with schema.yaml."""
    explicit = explicit or os.environ.get("FUNNEL_ROOT") or None
    if explicit:
        root = Path(explicit)
        if not os.path.lexists(root / SCHEMA_FILE):
            raise WorkspaceError(f"{root}: not a funnel workspace (no {SCHEMA_FILE}); run 'funnel init {root}'")
        return _usable_root(root)
    here = Path(start or os.getcwd()).resolve()
    for directory in (here, *here.parents):
        if os.path.lexists(directory / SCHEMA_FILE):
            return _usable_root(directory)
    raise WorkspaceError(f"not inside a funnel workspace (no {SCHEMA_FILE} here or in any parent directory); "
                         "run 'funnel init' or pass --root DIR")


def _usable_root(root: Path) -> Path:
    """`root` when its schema.yaml is a file funnel may read: not a folder, not a link out of the workspace."""
    schema = root / SCHEMA_FILE
    if os.path.islink(schema) and leads_outside(root, SCHEMA_FILE):
        raise WorkspaceError(f"{schema}: is a symbolic link to {os.readlink(schema)}, outside the workspace; "
                             "funnel does not follow it [link-outside]")
    if schema.is_dir():
        raise WorkspaceError(f"{schema}: is a directory, not the workspace's schema file")
    if not schema.is_file():
        raise WorkspaceError(f"{schema}: is not a regular file (a dangling link?); funnel needs the schema there")
    return root


def load_workspace(root: Path, schema: Schema | None = None, cached: bool = False) -> Workspace:
    """Every record of the workspace. `cached`: through the record cache in funnel's own directory (never stale; for
    commands that read many records); without it every file is read and parsed, with exact positions.
    A batch write that crashed midway is finished first (taking the lock rolls its journal forward or back)."""
    finish_pending_batch(root)
    if cached:
        from .cache import load_records

        schema_bytes = (root / SCHEMA_FILE).read_bytes()
        schema = schema or workspace_schema(root)
        records = load_records(root, schema, schema_bytes)
        if records is not None:
            return Workspace(root, schema, records, folder_problems(root))
    schema = schema or workspace_schema(root)
    records = [record_from_file(schema, kind, relative, entry) for kind, relative, entry in record_files(root)]
    return Workspace(root, schema, records, folder_problems(root))


def finish_pending_batch(root: Path) -> None:
    """A batch write that crashed midway is finished before anything reads the workspace (taking the lock rolls
    its journal forward or back)."""
    from . import journal

    if journal.pending(root):
        from .atomic import workspace_lock

        with workspace_lock(root):
            pass


def workspace_from_files(root: Path, schema: Schema, files: Iterable[tuple[str, bytes]]) -> Workspace:
    """A workspace from (path relative to the root, bytes) pairs — a commit's files, not the working tree's.
    Only record files (`*.md` directly in contacts/ and deals/, no dot-files) become records, in path order."""
    records = []
    for relative, data in sorted(files):
        kind = kind_of_path(relative)
        if kind is not None and not relative.rsplit("/", 1)[-1].startswith("."):
            records.append(build_record(schema, kind, relative, data))
    return Workspace(root, schema, records)


def resolve_id(workspace: Workspace, text: str, kind: str | None = None) -> Record:
    """The record whose id is `text` or starts with it (as git resolves hashes); one clear error otherwise.
    An id typed in full-width letters, upper case or with stray spaces names the same record."""
    text = normal_form(text) or text
    if not re.fullmatch(r"[a-z0-9-]{1,40}", text):
        raise WorkspaceError(f"'{text}' is not an id (ids are lowercase letters, digits and '-')")
    candidates = [record for record in workspace.records if record.id is not None
                  and (kind is None or record.kind == kind)]
    exact = [record for record in candidates if record.id == text]
    if len(exact) > 1:
        paths = ", ".join(record.path for record in exact)
        raise WorkspaceError(f"id '{text}' is used by {len(exact)} files ({paths}); run 'funnel check'")
    matches = exact or [record for record in candidates if record.id.startswith(text)]
    what = kind or "record"
    if not matches:
        unreadable = [record.path for record in workspace.records if record.id is None
                      and (kind is None or record.kind == kind) and record.stem.startswith(text)]
        if unreadable:
            raise WorkspaceError(f"{unreadable[0]}: cannot be read as a record; run 'funnel check {unreadable[0]}'")
        other = [record for record in workspace.records if kind is not None and record.kind != kind
                 and record.id is not None and record.id.startswith(text)]
        if other:
            raise WorkspaceError(f"'{text}' is {other[0].kind} {other[0].id}, not a {kind}")
        raise WorkspaceError(f"no {what} with id '{text}'")
    ids = sorted({record.id for record in matches})
    if len(ids) > 1:
        raise WorkspaceError(f"'{text}' is ambiguous: it starts {len(ids)} ids ({', '.join(ids[:10])})")
    if len(matches) > 1:
        paths = ", ".join(record.path for record in matches)
        raise WorkspaceError(f"id '{ids[0]}' is used by {len(matches)} files ({paths}); run 'funnel check'")
    return matches[0]


def select_paths(root: Path, known: set[str], given: Iterable[str | os.PathLike]) -> set[str]:
    """The records (relative paths; schema.yaml too) that PATHs name, as `check PATH…` takes them: files, or
    directories meaning every record under them; `known`: the relative paths of every record file. A path
    outside the workspace, missing, or not a record file is refused."""
    resolved_root = root.resolve()
    selected: set[str] = set()
    for path in given:
        given_path = Path(path)
        # the folder resolved, not the file: a record that is a link is checked as the link it is
        absolute = given_path.resolve() if given_path.name in ("", ".", "..") else \
            given_path.absolute().parent.resolve() / given_path.name
        if not os.path.lexists(absolute):
            raise WorkspaceError(f"{path}: no such file or directory")
        if not absolute.is_relative_to(resolved_root):
            raise WorkspaceError(f"{path}: not inside the workspace {root}")
        relative = absolute.relative_to(resolved_root).as_posix()
        if absolute.is_dir():
            prefix = "" if relative == "." else relative + "/"
            selected.update(name for name in known if name.startswith(prefix))
        elif relative in known or relative == SCHEMA_FILE:
            selected.add(relative)
        elif kind_of_path(relative) is None:
            raise WorkspaceError(f"{path}: not a record file (records are contacts/*.md and deals/*.md)")
    return selected


def mint_id(kind: str, taken: Iterable[str], length: int = 8) -> str:
    """A fresh random id: no shared counter, so two people on two branches never mint the same one."""
    import secrets  # writes mint ids; a view never pays for the import

    taken = set(taken)
    while True:
        candidate = ID_PREFIX[kind] + "".join(secrets.choice(ID_ALPHABET) for _ in range(length))
        if candidate not in taken:
            return candidate


def load_for_id(root: Path, schema: Schema, text: str) -> Workspace | None:
    """A workspace of only what `show ID` needs for a deal — the records whose id or file name may be `text`,
    and what the deal's gates read (its contacts, the earliest deals of its counterparties: a card asks
    whether the client is a repeat one) — through the cache's index, fresh (store/lookup.py). None when every
    record is needed: no deal answers (the full load gives the exact error), a contact does (its card lists its
    deals), or the index cannot answer exactly."""
    from . import journal
    from .lookup import Lookup, NoIndex, around_deals

    if not re.fullmatch(r"[a-z0-9-]{1,40}", text):
        return None
    if journal.pending(root):
        return None  # the full load finishes the crashed batch first
    try:
        with Lookup(root, schema) as lookup:
            matches = lookup.records(lookup.paths_for_prefix(text))
            if not matches or any(record.kind != "deal" or record.id is None for record in matches):
                return None
            return lookup.workspace(around_deals(lookup, matches) + matches)
    except (NoIndex, OSError):
        return None
