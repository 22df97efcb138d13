"""What changed in the pipeline between two states of a workspace, per record and field, for a pull request.

A state is a commit or the working tree (untracked record files included). Only the files git reports as
changed are read (one `git diff --raw`, one `cat-file --batch`), so a diff of one commit costs one commit's files,
whatever the size of the workspace. Records are matched by id, so a record whose file moved is one record.
"""

from __future__ import annotations

import os
import stat
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..frontmatter.reader import record_body
from ..model.records import Record, build_record
from ..model.schema import Schema, SchemaError, parse_schema
from ..model.fieldtypes import exact_sum, grouped_amount as format_amount
from ..output import terminal_safe
from ..store.paths import SCHEMA_FILE, kind_of_path
from .changes import FieldChange, record_changes, value_text
from .repo import GitError, Repository
from .schema_diff import schema_diff
from .snapshot import is_workspace_file, relative, repository_of, workspace_paths
from ..valueclass import field, valueclass

WORKING_TREE = "working tree"
NO_COMMITS = "no commits yet"  # the old side of `funnel diff` in a repository with no commit: the empty tree
CHANGE_ORDER = ("moved", "won", "lost", "added", "removed", "edited")


@valueclass
class RecordDiff:
    id: str
    kind: str
    change: str  # added | removed | moved | won | lost | edited
    title: str
    fields: list[FieldChange]
    from_stage: str | None = None
    to_stage: str | None = None
    amount: Decimal | None = None  # the newer side's amount (won: what was won)
    loss_reason: str | None = None
    loss_comment: str | None = None

    def as_json(self) -> dict:
        data: dict[str, Any] = {"id": self.id, "kind": self.kind, "change": self.change}
        if self.from_stage is not None or self.to_stage is not None:
            data["from_stage"] = self.from_stage
            data["to_stage"] = self.to_stage
        data["fields"] = [change.as_json() for change in self.fields]
        return data


@valueclass
class FileProblem:
    path: str
    side: str  # the name of the side (a revision, or "working tree")
    message: str


@valueclass
class PipelineDiff:
    old_name: str
    new_name: str
    schema: Schema  # the newer side's (labels come from it)
    records: list[RecordDiff]
    open_amount_change: Decimal
    schema_changes: dict | None = None
    problems: list[FileProblem] = field(default_factory=list)

    def count(self, change: str) -> int:
        return sum(1 for record in self.records if record.change == change)

    def summary(self) -> dict:
        return {"moved": self.count("moved"), "won": self.count("won"), "lost": self.count("lost"),
                "new": self.count("added"), "removed": self.count("removed"), "edited": self.count("edited"),
                "open_amount_change": str(self.open_amount_change)}

    def as_json(self) -> dict:
        data: dict[str, Any] = {"from": self.old_name, "to": self.new_name, "summary": self.summary(),
                "records": [record.as_json() for record in self.records]}
        if self.schema_changes is not None:
            data["schema"] = self.schema_changes
        if self.problems:
            data["problems"] = [{"path": problem.path, "side": problem.side, "message": problem.message}
                                for problem in self.problems]
        return data


# -- reading the two sides ------------------------------------------------------------------------------------

@valueclass
class Side:
    name: str
    schema: Schema | None
    files: dict[str, bytes]  # the changed files as they are on this side (absent: not there)


def parse_range(repository: Repository, text: str | None) -> tuple[str, str | None, str, str]:
    """(old commit, new commit or None for the working tree, old name, new name) from `REV`, `A..B`, `A...B`
    or nothing (HEAD against the working tree). Every revision is checked by `verify_commit`."""
    if text is None:
        head = repository.head()
        if head is None:  # no commit yet: everything in the working tree is new
            return repository.empty_tree(), None, NO_COMMITS, WORKING_TREE
        return head, None, "HEAD", WORKING_TREE
    for separator in ("...", ".."):
        if separator in text:
            first, _, second = text.partition(separator)
            first, second = first or "HEAD", second or "HEAD"
            old, new = repository.verify_commit(first), repository.verify_commit(second)
            if separator == "...":
                old = repository.merge_base(old, new)
                return old, new, f"merge-base of {first} and {second} ({old[:12]})", second
            return old, new, first, second
    return repository.verify_commit(text), None, text, WORKING_TREE


def read_sides(root: Path, repository: Repository, old: str, new: str | None, old_name: str,
               new_name: str) -> tuple[Side, Side, list[FileProblem]]:
    """The two sides' changed workspace files (schema.yaml always) and their schemas."""
    paths = workspace_paths(repository)
    old_blobs: dict[str, str] = {}
    new_blobs: dict[str, str] = {}
    from_disk: list[str] = []
    for change in repository.changed_files(old, new, paths):
        for path, blob, target in ((change.old_path, change.old_blob, old_blobs),
                                   (change.new_path, change.new_blob, new_blobs)):
            inside = relative(repository, path) if path is not None else None
            if inside is None or not is_workspace_file(inside):
                continue
            if blob is not None:
                target[inside] = blob
            elif target is new_blobs and new is None:
                from_disk.append(inside)
    if new is None:
        for path in repository.untracked_files(paths):
            inside = relative(repository, path)
            if inside is not None and is_workspace_file(inside):
                from_disk.append(inside)
    # the schema of each side, even when it did not change (records are typed by it)
    for commit, target in ((old, old_blobs), (new, new_blobs)):
        if commit is not None and SCHEMA_FILE not in target:
            for path, blob in repository.tree_files(commit, [repository.prefix + SCHEMA_FILE]):
                target[SCHEMA_FILE] = blob
    contents = repository.read_blobs([*old_blobs.values(), *new_blobs.values()])
    old_files = {path: contents[blob] for path, blob in old_blobs.items() if blob in contents}
    new_files = {path: contents[blob] for path, blob in new_blobs.items() if blob in contents}
    if new is None:
        for inside in from_disk:
            data = read_working_file(root, inside)
            if data is not None:
                new_files[inside] = data
        if SCHEMA_FILE not in new_files:
            data = read_working_file(root, SCHEMA_FILE)
            if data is not None:
                new_files[SCHEMA_FILE] = data
    problems: list[FileProblem] = []
    sides = []
    for name, files in ((old_name, old_files), (new_name, new_files)):
        schema = None
        try:
            if SCHEMA_FILE in files:
                schema = parse_schema(files[SCHEMA_FILE], SCHEMA_FILE)
            elif name != NO_COMMITS:
                problems.append(FileProblem(SCHEMA_FILE, name, "no schema.yaml"))
        except SchemaError as exc:
            problems.append(FileProblem(SCHEMA_FILE, name, str(exc).split(": error: ", 1)[-1]))
        sides.append(Side(name, schema, files))
    return sides[0], sides[1], problems


def read_working_file(root: Path, inside: str) -> bytes | None:
    """A workspace file from the working tree: a regular file whose folders are not links, else None."""
    path = root
    for part in inside.split("/"):
        path = path / part
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            return None
        if stat.S_ISLNK(mode):
            return None
    if not stat.S_ISREG(mode):
        return None
    try:
        return path.read_bytes()
    except OSError:
        return None


# -- comparing ------------------------------------------------------------------------------------------------

def pipeline_diff(root: Path, revisions: str | None = None) -> PipelineDiff:
    """The diff `funnel diff [REV | A..B | A...B]` prints."""
    repository = repository_of(root)
    old, new, old_name, new_name = parse_range(repository, revisions)
    old_side, new_side, problems = read_sides(root, repository, old, new, old_name, new_name)
    old_schema = old_side.schema or new_side.schema
    new_schema = new_side.schema or old_side.schema
    if new_schema is None:
        raise GitError(f"{SCHEMA_FILE} cannot be read on either side ({problems[0].message})")
    old_records = _records(old_side, old_schema, problems)
    new_records = _records(new_side, new_schema, problems)
    records = []
    open_change = Decimal(0)
    for key in sorted(set(old_records) | set(new_records)):
        before, after = old_records.get(key), new_records.get(key)
        open_change += _open_amount(after, new_schema) - _open_amount(before, old_schema)
        record = _record_diff(before, after, old_side, new_side, new_schema)
        if record is not None:
            records.append(record)
    records.sort(key=lambda item: (CHANGE_ORDER.index(item.change), item.kind != "deal", item.id))
    schema_changes = None
    if old_side.files.get(SCHEMA_FILE) != new_side.files.get(SCHEMA_FILE):
        schema_changes = schema_diff(old_side.files.get(SCHEMA_FILE), new_side.files.get(SCHEMA_FILE))
    return PipelineDiff(old_name, new_name, new_schema, records, open_change, schema_changes, problems)


def _records(side: Side, schema: Schema, problems: list[FileProblem]) -> dict[str, Record]:
    """The side's changed records by id (a file whose id cannot be read: by its path), problems noted."""
    records = {}
    for path, data in side.files.items():
        kind = kind_of_path(path)
        if kind is None:
            continue
        record = build_record(schema, kind, path, data)
        errors = [problem for problem in record.problems if problem.severity == "error"]
        if errors:
            first = errors[0]
            problems.append(FileProblem(path, side.name, f"{first.line}:{first.column}: {first.message}"))
        if not record.readable:
            continue
        records[record.id or path] = record
    return records


def _open_amount(record: Record | None, schema: Schema) -> Decimal:
    if record is None or record.kind != "deal":
        return Decimal(0)
    stage = schema.stage(record.fields.get("stage") or "")
    amount = record.fields.get("amount")
    if stage is None or stage.terminal is not None or not isinstance(amount, Decimal):
        return Decimal(0)
    return amount


def _body(side: Side, record: Record | None) -> str:
    if record is None:
        return ""
    return record_body(side.files[record.path])


def _record_diff(before: Record | None, after: Record | None, old_side: Side, new_side: Side,
                 schema: Schema) -> RecordDiff | None:
    either = after or before
    fields = record_changes(schema, before, after, _body(old_side, before), _body(new_side, after))
    if before is not None and after is not None and not fields:
        return None  # the bytes changed, the record did not (a reformatted line)
    title = either.fields.get("title") or either.fields.get("name") or ""
    diff = RecordDiff(either.id or either.path, either.kind, "edited", title if isinstance(title, str) else "",
                      fields, amount=either.fields.get("amount"))
    if before is None:
        diff.change = "added"
    elif after is None:
        diff.change = "removed"
    elif either.kind == "deal" and before.fields.get("stage") != after.fields.get("stage"):
        diff.from_stage, diff.to_stage = before.fields.get("stage"), after.fields.get("stage")
        stage = schema.stage(diff.to_stage or "")
        diff.change = stage.terminal if stage is not None and stage.terminal else "moved"
        diff.loss_reason = after.fields.get("loss_reason")
        diff.loss_comment = after.fields.get("loss_comment")
    return diff


# -- the diff as text -----------------------------------------------------------------------------------------

def summary_line(diff: PipelineDiff) -> str:
    """`3 moved · 1 won (1 250 000) · 1 lost: price · 2 new · 4 edited · open pipeline +90 000`."""
    parts = []
    if diff.count("moved"):
        parts.append(f"{diff.count('moved')} moved")
    won = [record for record in diff.records if record.change == "won"]
    if won:
        total = exact_sum(record.amount for record in won if isinstance(record.amount, Decimal))
        parts.append(f"{len(won)} won ({format_amount(total)})")
    lost = [record for record in diff.records if record.change == "lost"]
    if lost:
        reasons: dict[str, int] = {}
        for record in lost:
            reason = record.loss_reason or "no reason"
            reasons[reason] = reasons.get(reason, 0) + 1
        parts.append(f"{len(lost)} lost: " + ", ".join(
            terminal_safe(reason) + (f" ×{count}" if count > 1 else "") for reason, count in reasons.items()))
    for change, word in (("added", "new"), ("removed", "removed"), ("edited", "edited")):
        if diff.count(change):
            parts.append(f"{diff.count(change)} {word}")
    if not parts:
        parts.append("no changes to records")
    change = diff.open_amount_change
    sign = "+" if change > 0 else "−" if change < 0 else "±"
    parts.append(f"open pipeline {sign}{format_amount(abs(change))}")
    return " · ".join(parts)


def diff_lines(diff: PipelineDiff) -> list[str]:
    """The whole diff for people: the summary, the two sides, each record's change, schema changes, problems."""
    schema = diff.schema
    lines = [summary_line(diff), f"{terminal_safe(diff.old_name)} → {terminal_safe(diff.new_name)}"]
    for record in diff.records:
        lines.append("")
        heading = f"{_word(record.change):<8} {record.kind} {record.id}"
        if record.title:
            heading += f"  {terminal_safe(record.title)}"
        lines.append(heading)
        stage_spec = schema.kind("deal").fields.get("stage")
        if record.change in ("moved", "won", "lost"):
            line = f"{value_text(stage_spec, record.from_stage, schema)} → {value_text(stage_spec, record.to_stage, schema)}"
            if record.change == "won" and isinstance(record.amount, Decimal):
                line += f"  ({format_amount(record.amount)})"
            lines.append("    " + line)
        if record.change == "lost":
            reason_spec = schema.kind("deal").fields.get("loss_reason")
            lines.append(f"    reason: {value_text(reason_spec, record.loss_reason, schema)}")
            if record.loss_comment:
                lines.append(f"    comment: {value_text(None, record.loss_comment, schema)}")
        for change in record.fields:
            if (change.field == "stage" and record.from_stage is not None) or (record.change == "lost" and change.field in ("loss_reason", "loss_comment")):
                continue
            lines.extend("    " + line for line in change.lines)
    if diff.schema_changes is not None:
        lines.append("")
        lines.append("schema.yaml changed:")
        for section, title in (("stages", "stages"), ("fields", "fields"), ("gates", "gates"),
                               ("loss_reasons", "loss reasons")):
            for verb in ("added", "removed", "changed"):
                names = diff.schema_changes[section][verb]
                if names:
                    lines.append(f"    {title} {verb}: {terminal_safe(', '.join(names))}")
    if diff.problems:
        lines.append("")
        for problem in diff.problems:
            lines.append(f"{terminal_safe(problem.path)} ({terminal_safe(problem.side)}): cannot be read: "
                         f"{terminal_safe(problem.message)}")
    return lines


def _word(change: str) -> str:
    return {"added": "new"}.get(change, change)

