"""Many records created or updated at once: validated together, written all or nothing, under one lock.

This is the write API's batch entry point (an import is its caller). Unlike `add_record`, a new record may come
with its id, stage, `created` and `history` given. The batch is judged against the workspace as it will be
once written (a deal may refer to a contact created in the same batch; two new records may not share an id),
by the same checks `funnel check` runs; any error refuses the whole batch with every problem named. An update
changes only the lines of the fields it names (the byte-exact editor), and an old, unrelated problem in an
updated file does not block it.

Writing: every text goes to a temp file beside its record, then all are renamed into place, with a journal in
funnel's own directory (`store/journal.py`) so a crash midway is rolled forward or back by the next command.
"""

from __future__ import annotations

import os
import secrets
import stat as stat_module
from collections import Counter
from pathlib import Path
from typing import Any, Callable

from ..errors import FunnelError
from ..frontmatter.editing import EditError, render_record
from ..model.checks import CheckRun, Diagnostic, check_record
from ..model.gates import GateContext, prior_deal_groupings
from ..model.records import Record, Workspace, build_record
from ..model.schema import DIR_OF_KIND
from ..store import journal
from ..store.owndir import fsync_directory
from ..store.workspace import mint_id
from .writes import LockedWorkspace, Refused, edit_text, refuse_outside
from ..valueclass import field, valueclass

Progress = Callable[[int], None]


@valueclass
class NewRecord:
    kind: str  # "contact" | "deal"
    values: dict[str, Any]  # typed values by field name; `id` minted when absent
    body: str = ""
    origin: Any = None  # the caller's tag (an import's row), handed back with its problems

    def __init__(self, kind, values, body="", origin=None):  # one per imported row: written out
        self.kind = kind
        self.values = values
        self.body = body
        self.origin = origin


@valueclass
class RecordUpdate:
    record: Record  # the record as loaded in this batch's workspace
    changes: dict[str, Any]  # field -> new typed value (None removes it)
    history: list[dict] = field(default_factory=list)  # entries to append
    origin: Any = None

    def __init__(self, record, changes, history=None, origin=None):  # one per imported row: written out
        self.record = record
        self.changes = changes
        self.history = [] if history is None else history
        self.origin = origin


@valueclass(frozen=True)
class BatchProblem:
    origin: Any
    message: str  # "amount: expected a decimal number like 1250000.50, not '12,5k'"


class BatchRefused(FunnelError):
    """The batch was refused and nothing was written; `problems` says why, per origin."""

    def __init__(self, problems: list[BatchProblem]):
        super().__init__(f"refused, nothing written: {len(problems)} problem(s)")
        self.problems = problems


@valueclass
class BatchResult:
    created: list[Record]
    updated: list[Record]
    unchanged: list[Record]
    written: bool  # False for a dry run (or when there was nothing to write)


class Batch(LockedWorkspace):
    """One locked batch: `with Batch(root) as batch:` loads the workspace once (`batch.workspace`), the caller
    plans from it, and `batch.write(...)` validates and writes everything under that same lock."""

    def mint(self, kind: str, taken: set[str]) -> str:
        """A fresh id no record of the workspace or of the batch (`taken`) has."""
        while True:
            record_id = mint_id(kind, ())  # not `taken`: mint_id copies it, once per id of a large batch
            if record_id not in taken and record_id not in self.workspace.by_id:
                return record_id

    # -- the one entry point ----------------------------------------------------------------------------------
    def write(self, creates: list[NewRecord], updates: list[RecordUpdate], unchanged: list[Record] = (),
              dry_run: bool = False, progress: Progress | None = None,
              before_write: Callable[[list[str]], None] | None = None) -> BatchResult:
        """Validate and write. `before_write(paths)` is a last refusal (raise to write nothing), once all is
        valid: `--commit` refuses to overwrite a record holding uncommitted edits."""
        tick = progress or (lambda count: None)
        problems: list[BatchProblem] = []
        files: list[tuple[str, bytes, Record | None]] = []  # (path, new bytes, the record it replaces)
        new_records: list[tuple[Record, Any]] = []
        taken = {record.values["id"] for record in creates if isinstance(record.values.get("id"), str)}
        paths_in_batch: Counter = Counter()
        for item in creates:
            record_id = item.values.get("id") or self.mint(item.kind, taken)
            taken.add(record_id)
            item.values["id"] = record_id
            path = f"{DIR_OF_KIND[item.kind]}/{record_id}.md"
            paths_in_batch[record_id] += 1
            order = list(self.schema.kind(item.kind).fields)
            fields = [(name, item.values[name]) for name in order if item.values.get(name) is not None]
            try:
                data = render_record(fields, item.body, verify=False).encode("utf-8")
            except (EditError, ValueError, TypeError) as exc:
                problems.append(BatchProblem(item.origin, f"cannot write this record: {exc}"))
                continue
            record = build_record(self.schema, item.kind, path, data)
            differs = _reads_back_differently(record, fields, data, item.body)
            if differs is not None:
                problems.append(BatchProblem(item.origin, f"{differs}: cannot be written so that it reads back "
                                                          "as given"))
                continue
            files.append((path, data, None))
            new_records.append((record, item.origin))
            tick(1)
        replaced: dict[str, tuple[Record, Record, Any]] = {}  # path -> (old, new, origin)
        for item in updates:
            record = item.record
            try:
                text = (self.root / record.path).read_bytes().decode("utf-8")
                new_text = edit_text(text, item.changes, list(self.schema.kind(record.kind).fields))
                for entry in item.history:
                    new_text = edit_text(new_text, {}, list(self.schema.kind(record.kind).fields), entry)
            except (Refused, UnicodeDecodeError, OSError) as exc:
                problems.append(BatchProblem(item.origin, f"{record.path}: cannot be updated: {exc}"))
                continue
            data = new_text.encode("utf-8")
            files.append((record.path, data, record))
            replaced[record.path] = (record, build_record(self.schema, record.kind, record.path, data), item.origin)
            tick(1)
        problems += self._duplicate_ids(new_records, paths_in_batch)
        problems += self._validate(new_records, replaced, progress)
        if problems:
            raise BatchRefused(problems)
        created = [record for record, _ in new_records]
        updated = [new for _, new, _ in replaced.values()]
        if dry_run or not files:
            return BatchResult(created, updated, list(unchanged), False)
        if before_write is not None:
            before_write([path for path, _, _ in files])
        write_all(self.root, [(path, data, old) for path, data, old in files], tick)
        return BatchResult(created, updated, list(unchanged), True)

    # -- validation -------------------------------------------------------------------------------------------
    def _duplicate_ids(self, new_records, paths_in_batch: Counter) -> list[BatchProblem]:
        problems = []
        for record, origin in new_records:
            existing = self.workspace.by_id.get(record.id)
            if existing:
                problems.append(BatchProblem(origin, f"id: '{record.id}' is already used by {existing[0].path}"))
            elif paths_in_batch[record.id] > 1:
                problems.append(BatchProblem(origin, f"id: '{record.id}' is given to more than one record"))
            elif (self.root / record.path).exists():
                problems.append(BatchProblem(origin, f"id: {record.path} already exists"))
        return problems

    def _validate(self, new_records, replaced, progress) -> list[BatchProblem]:
        """Every error of a new record, and every error an update adds, judged in the workspace as it will be."""
        workspace = self.workspace
        records = [record for record in workspace.records if record.path not in replaced]
        records += [new for _, new, _ in replaced.values()] + [record for record, _ in new_records]
        future = Workspace(self.root, self.schema, records)
        run = CheckRun(future, GateContext.of(future), self.hashes.sha256)
        problems = []
        for record, origin in new_records:
            problems += [BatchProblem(origin, _message(d)) for d in check_record(record, run)
                         if d.severity == "error"]
            if progress:
                progress(1)
        before_run = CheckRun(workspace, GateContext.of(workspace), self.hashes.sha256)
        groupings = prior_deal_groupings(self.schema)
        if groupings:
            # an existing deal of the same counterparty may become a repeat client's (an imported deal started
            # earlier): it must not gain an error either
            batch_records = new_records + [(new, origin) for _, new, origin in replaced.values()]
            in_batch = {record.path for record, _ in batch_records}
            for deal, origin in _affected_deals(batch_records, in_batch, run.context, groupings).values():
                problems += [BatchProblem(origin, f"{deal.path}: {_message(d)}")
                             for d in _new_errors(deal, deal, before_run, run)]
        if replaced:
            for old, new, origin in replaced.values():
                problems += [BatchProblem(origin, _message(d)) for d in _new_errors(old, new, before_run, run)]
                if progress:
                    progress(1)
        return problems


def _affected_deals(batch_records: list[tuple[Record, Any]], in_batch: set[str], context: GateContext,
                    groupings) -> dict[str, tuple[Record, Any]]:
    """Deals outside the batch whose gates read a record of it (the same counterparty, as the schema's
    `prior_deal` groups deals), each with the origin of the first batch record that reaches it. One pass over
    the deals (counterparty_deals per record would scan them all once per record of a 10,000-row batch)."""
    reached: dict[tuple, Any] = {}
    for record, origin in batch_records:
        for same in groupings:
            keys = context.counterparty_keys(record.id, record, same) if record.kind == "contact" \
                else context._group_keys(record, same)
            for key in keys:
                reached.setdefault((same, key), origin)
    affected: dict[str, tuple[Record, Any]] = {}
    if not reached:
        return affected
    for deal in context.deals:
        if deal.path in in_batch:
            continue
        origin = next((reached[(same, key)] for same in groupings for key in context._group_keys(deal, same)
                       if (same, key) in reached), None)
        if origin is not None:
            affected[deal.path] = (deal, origin)
    return affected


def _reads_back_differently(record: Record, fields: list[tuple[str, Any]], data: bytes, body: str) -> str | None:
    """The first field the rendered record does not read back as (render_record's own check, done here on the
    typed record the batch builds anyway), "body" for the body, or None when all is as given."""
    from ..frontmatter.reader import parse_record_bytes

    if not record.readable or len(record.fields) + len(record.unknown) != len(fields):
        return "the record"
    for name, value in fields:
        read = record.fields.get(name, record.unknown.get(name))
        if name == "history" and isinstance(value, list) and isinstance(read, list):
            value = [{"stage": entry.get("stage"), "at": entry.get("at")} for entry in value]
        if read != value and not (name in record.invalid or any(p.severity == "error" for p in record.problems)):
            return name
    if body and parse_record_bytes(data, all_positions=False).body != body:
        return "body"
    return None


def _new_errors(old: Record, new: Record, before_run: CheckRun, run: CheckRun) -> list[Diagnostic]:
    before = Counter((d.code, d.message) for d in check_record(old, before_run))
    added = []
    for d in check_record(new, run):
        if d.severity != "error":
            continue
        if before[(d.code, d.message)] > 0:
            before[(d.code, d.message)] -= 1
            continue
        added.append(d)
    return added


def _message(diagnostic: Diagnostic) -> str:
    return diagnostic.message


# -- writing: temp files, journal, renames ------------------------------------------------------------------------

def write_all(root: Path, files: list[tuple[str, bytes, Record | None]], tick: Progress) -> None:
    """Write `files` (relative path, bytes, the record replaced or None) all or nothing (see store/journal)."""
    token = secrets.token_hex(6)
    pairs = [(journal.temp_name(path, token), path) for path, _, _ in files]
    for directory in sorted({path.split("/")[0] for path, _, _ in files}):
        refuse_outside(root, directory)  # contacts/ or deals/ as a link out of the workspace: never written
        (root / directory).mkdir(exist_ok=True)
    journal.write_journal(root, "pending", pairs)
    # one sync for all the temp files: a fsync per file costs ~10 ms each on a busy disk (80 s for 8,800)
    sync_each = not hasattr(os, "sync")
    try:
        for (temp, target), (_, data, old) in zip(pairs, files):
            _write_temp(root / temp, data, root / target if old is not None else None, sync_each)
        if not sync_each:
            os.sync()
        for directory in {path.split("/")[0] for path, _, _ in files}:
            fsync_directory(root / directory)
        journal.write_journal(root, "commit", pairs)
    except BaseException:
        # nothing was renamed yet: roll back now rather than leave it to the next command
        journal.recover(root)
        raise
    for temp, target in pairs:
        os.replace(root / temp, root / target)
        tick(1)
    for directory in {path.split("/")[0] for path, _, _ in files}:
        fsync_directory(root / directory)
    journal.remove_journal(root)


def _write_temp(path: Path, data: bytes, keep_mode_of: Path | None, sync: bool) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o666)
    with os.fdopen(fd, "wb") as handle:
        if keep_mode_of is not None:
            try:
                os.fchmod(handle.fileno(), stat_module.S_IMODE(os.stat(keep_mode_of).st_mode))
            except FileNotFoundError:
                pass
        handle.write(data)
        if sync:
            handle.flush()
            os.fsync(handle.fileno())
