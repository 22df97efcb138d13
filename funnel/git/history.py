"""A record's timeline: its own `history` entries merged with every commit that touched its file (followed
across renames), each with the fields it changed old → new, and uncommitted changes last.

Only the commits that touch the file are read (`git log --follow --raw -- PATH`), and every version of the file
in one `git cat-file --batch`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..frontmatter.reader import record_body
from ..model.records import ID_PATTERN, Record, Workspace, build_record
from ..model.schema import KIND_OF_DIR, Schema
from ..output import terminal_safe, to_json_value
from .changes import FieldChange, record_changes, value_text
from .diff import read_working_file
from .repo import find_repository
from ..valueclass import field, valueclass

NOT_IN_GIT = "not inside a git repository: only the record's own history entries are shown"


@valueclass
class Entry:
    source: str  # "history" | "commit" | "working-tree"
    at: datetime | None
    stage: str | None = None
    commit: str | None = None
    author: str | None = None
    subject: str | None = None
    changes: list[FieldChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # a rename, a version that cannot be read

    def as_json(self) -> dict:
        data: dict[str, Any] = {"source": self.source, "at": to_json_value(self.at)}
        for key in ("stage", "commit", "author", "subject"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        data["changes"] = [change.as_json() for change in self.changes]
        if self.notes:
            data["notes"] = self.notes
        return data


@valueclass
class RecordHistory:
    record: Record
    schema: Schema
    entries: list[Entry]
    note: str | None = None  # why commits are missing (outside a repository)

    def as_json(self) -> dict:
        data: dict[str, Any] = {"id": self.record.id, "kind": self.record.kind,
                                "entries": [entry.as_json() for entry in self.entries]}
        if self.note:
            data["note"] = self.note
        return data


def record_history(workspace: Workspace, record: Record) -> RecordHistory:
    entries = [Entry("history", item.get("at"), stage=item.get("stage"))
               for item in record.fields.get("history") or [] if isinstance(item, dict)]
    repository = find_repository(workspace.root)
    if repository is None:
        return RecordHistory(record, workspace.schema, _in_order(entries), NOT_IN_GIT)
    schema = workspace.schema
    logged = repository.file_log(repository.prefix + record.path)
    changes = [(commit, commit.changes[0] if commit.changes else None) for commit in logged]
    contents = repository.read_blobs(blob for _, change in changes if change is not None
                                     for blob in (change.old_blob, change.new_blob) if blob is not None)
    versions: dict[str | None, tuple[Record | None, str, str | None]] = {None: (None, "", None)}

    def version(blob: str | None, path: str | None):
        """(record, body, problem) of one version of the file, parsed once per blob."""
        if blob not in versions:
            data = contents.get(blob)
            if data is None:
                versions[blob] = (None, "", "this version is not in the repository")
            else:
                versions[blob] = _parsed(schema, record.kind, path or record.path, data)
        return versions[blob]

    last_blob = None
    for commit, change in changes:
        entry = Entry("commit", commit.at, commit=commit.commit, author=terminal_safe(commit.author),
                      subject=terminal_safe(commit.subject))
        if change is not None:
            before, before_body, _ = version(change.old_blob, change.old_path)
            after, after_body, problem = version(change.new_blob, change.new_path)
            if problem is not None:
                entry.notes.append(f"cannot be read after this commit: {problem}")
            if change.status == "R" and change.old_path != change.new_path:
                entry.notes.append(f"renamed from {terminal_safe(change.old_path or '')}")
            if change.new_blob is None:
                entry.notes.append("file removed")
            if after is not None or change.new_blob is None:
                entry.changes = record_changes(schema, before, after, before_body, after_body)
            last_blob = change.new_blob
        entries.append(entry)
    entries = _in_order(entries)
    working = _working_tree_entry(workspace, record, version(last_blob, None), contents.get(last_blob),
                                  bool(logged))
    if working is not None:
        entries.append(working)
    return RecordHistory(record, schema, entries)


def removed_record(workspace: Workspace, record_id: str) -> Record | None:
    """A record whose file is no longer in the working tree, as the file last was in the commits of HEAD (the
    whole id only: a prefix is resolved among the records that are there). None when there never was one."""
    repository = find_repository(workspace.root)
    if repository is None or not ID_PATTERN.match(record_id):
        return None
    for directory, kind in KIND_OF_DIR.items():
        path = f"{directory}/{record_id}.md"
        for commit in reversed(repository.file_log(repository.prefix + path)):
            change = commit.changes[0] if commit.changes else None
            blob = change and (change.new_blob or change.old_blob)
            if blob is None:
                continue
            data = repository.read_blobs([blob]).get(blob)
            if data is None:
                return None
            found = build_record(workspace.schema, kind, path, data)
            return found if found.readable else None
    return None


def _parsed(schema, kind: str, path: str, data: bytes) -> tuple[Record | None, str, str | None]:
    parsed = build_record(schema, kind, path, data)
    if not parsed.readable:
        first = parsed.problems[0] if parsed.problems else None
        return None, "", f"{first.line}:{first.column}: {first.message}" if first else "no front matter"
    return parsed, record_body(data), None


def _working_tree_entry(workspace: Workspace, record: Record, committed, committed_bytes: bytes | None,
                        tracked: bool) -> Entry | None:
    data = read_working_file(workspace.root, record.path)
    if data is None:
        if committed_bytes is None:
            return None
        return Entry("working-tree", None, notes=["file removed (not committed yet)"])
    if data == committed_bytes:
        return None
    before, before_body, _ = committed
    after, after_body, problem = _parsed(workspace.schema, record.kind, record.path, data)
    try:
        moment = datetime.fromtimestamp((workspace.root / record.path).stat().st_mtime).astimezone()
    except OSError:
        moment = None
    entry = Entry("working-tree", moment.replace(microsecond=0) if moment else None)
    if not tracked:
        entry.notes.append("not committed yet")
    if problem is not None:
        entry.notes.append(f"cannot be read: {problem}")
    else:
        entry.changes = record_changes(workspace.schema, before, after, before_body, after_body)
    return entry if entry.changes or entry.notes else None


def _in_order(entries: list[Entry]) -> list[Entry]:
    """Oldest first; an entry without a time keeps its place after those before it."""
    return sorted(entries, key=lambda entry: (entry.at is None, entry.at.timestamp() if entry.at else 0))


def history_lines(history: RecordHistory) -> list[str]:
    """The timeline as text, oldest first, each commit's changed fields under it."""
    record = history.record
    stage_spec = history.schema.kind(record.kind).fields.get("stage")
    title = record.fields.get("title") or record.fields.get("name") or ""
    lines = [f"{record.kind} {record.id}" + (f"  {terminal_safe(title)}" if isinstance(title, str) and title else "")]
    if history.note:
        lines.append(f"({history.note})")
    for entry in history.entries:
        when = entry.at.isoformat(sep=" ", timespec="minutes") if entry.at else "?"
        if entry.source == "history":
            lines.append(f"{when}  stage   {value_text(stage_spec, entry.stage, history.schema)}")
        elif entry.source == "commit":
            lines.append(f"{when}  commit  {entry.commit[:10]}  {entry.author}: {entry.subject}")
        else:
            lines.append(f"{when}  working tree (uncommitted)")
        lines.extend(f"    ({note})" for note in entry.notes)
        for change in entry.changes:
            lines.extend("    " + line for line in change.lines)
    return lines
