"""Validation as a registry of small checks, each returning Diagnostics (beancount's way).

A record check is `check_x(record, run) -> Iterable[Diagnostic]`; a workspace check sees every record at once.
New rules are new functions with `@record_check` / `@workspace_check`, not new branches in one long function.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Callable, Iterable

from .matching import did_you_mean
from .gates import GateContext, unmet_requirements
from ..frontmatter.reader import Problem
from .records import ID_PATTERN, Record, Workspace
from .schema import OWNER
from ..valueclass import field, valueclass

@valueclass(frozen=True, order=True)  # in slots, by an __init__ of its own: a workspace of errors holds many
class Diagnostic:
    path: str
    line: int
    column: int
    severity: str
    code: str
    message: str

    __slots__ = ("path", "line", "column", "severity", "code", "message")

    def __init__(self, path, line, column, severity, code, message):
        held = object.__setattr__  # past the frozen guard, as the __init__ a dataclass writes
        held(self, "path", path)
        held(self, "line", line)
        held(self, "column", column)
        held(self, "severity", severity)
        held(self, "code", code)
        held(self, "message", message)

    def format(self) -> str:
        """One line, whatever the path or a quoted value holds: a line break in a file name must not make a
        second, forged diagnostic line (other control characters are escaped by the output)."""
        line = f"{self.path}:{self.line}:{self.column}: {self.severity}: {self.message} [{self.code}]"
        return line.replace("\r", "\\r").replace("\n", "\\n")

    def as_json(self) -> dict:
        return {"path": self.path, "line": self.line, "column": self.column, "severity": self.severity,
                "code": self.code, "message": self.message}


def diagnostic(record: Record, position: tuple[int, int], code: str, message: str,
               severity: str = "error") -> Diagnostic:
    return Diagnostic(record.path, position[0], position[1], severity, code, message)


def from_problem(path: str, problem: Problem) -> Diagnostic:
    return Diagnostic(path, problem.line, problem.column, problem.severity, problem.code, problem.message)


@valueclass
class CheckRun:
    """What the checks of one run share: the workspace and the gate context built once for all records."""

    workspace: Workspace
    context: GateContext
    digest: Callable[[Path], str] | None = None  # sha256 of an attached file (a stat-keyed cache, or none)
    _fields: dict = field(default_factory=dict, init=False, repr=False)

    def fields_of(self, kind_name: str, test: Callable) -> tuple[str, ...]:
        """The names of the kind's fields whose type passes `test`, found once per run (not once per record)."""
        names = self._fields.get((kind_name, test))
        if names is None:
            kind = self.workspace.schema.kind(kind_name)
            names = self._fields[(kind_name, test)] = tuple(
                name for name, spec in kind.fields.items() if test(spec.fieldtype))
        return names


RecordCheck = Callable[[Record, CheckRun], Iterable[Diagnostic]]
WorkspaceCheck = Callable[[CheckRun], Iterable[Diagnostic]]
RECORD_CHECKS: list[RecordCheck] = []
WORKSPACE_CHECKS: list[WorkspaceCheck] = []


def record_check(function: RecordCheck) -> RecordCheck:
    RECORD_CHECKS.append(function)
    return function


def workspace_check(function: WorkspaceCheck) -> WorkspaceCheck:
    WORKSPACE_CHECKS.append(function)
    return function


def check_workspace(workspace: Workspace, only: set[str] | None = None,
                    digest: Callable[[Path], str] | None = None, context: GateContext | None = None) -> list[Diagnostic]:
    """Every problem in the workspace (or in the records whose paths are in `only`), sorted by place.
    `digest`: how to hash an attached file (default: read it); `context`: the gate context of these records,
    when the caller has built it already."""
    run = CheckRun(workspace, context or GateContext.of(workspace), digest)
    found: list[Diagnostic] = []
    for record in workspace.records:
        if only is not None and record.path not in only:
            continue
        found.extend(check_record(record, run))
    return in_place_order(found + workspace_diagnostics(run, only))


def check_record(record: Record, run: CheckRun) -> list[Diagnostic]:
    found = [from_problem(record.path, problem) for problem in record.problems]
    if not record.readable:
        return found
    for check in RECORD_CHECKS:
        found.extend(check(record, run))
    return found


class StreamingCheck:
    """`check_workspace` for a workspace read one record at a time, holding only what judging the others needs.

    Each record is judged as it is added, against the records added so far; a check that needs one not read
    yet (a contact referred to, the deals that make a repeat client) raises NeedsWorkspace, and that record
    alone is judged again in `finish`, against all of them. What is kept of a record is its diagnostics and
    its summary (GateContext.summary): a workspace of 100,000 deals is never held in memory whole. The
    diagnostics are the same, in the same order, as check_workspace's on the whole workspace."""

    def __init__(self, root: Path, schema, only: set[str] | None = None,
                 digest: Callable[[Path], str] | None = None):
        self.root, self.schema, self.only, self.digest = root, schema, only, digest
        self.summaries: list[Record] = []
        self.pending: list[Record] = []
        self.found: list[Diagnostic] = []
        self._so_far = _ReadSoFar()
        self._run = CheckRun(Workspace(root, schema, []), self._so_far, digest)  # type: ignore[arg-type]

    def add(self, record: Record) -> None:
        summary = GateContext.summary(record)
        self.summaries.append(summary)
        if record.kind == "contact" and summary.id is not None:
            self._so_far.contacts.setdefault(summary.id, summary)
        if self.only is not None and record.path not in self.only:
            return
        try:
            self.found.extend(check_record(record, self._run))
        except NeedsWorkspace:
            self.pending.append(record)

    def finish(self, strays: list = ()) -> list[Diagnostic]:
        """Every diagnostic, sorted by place, once every record was added."""
        workspace = Workspace(self.root, self.schema, self.summaries, list(strays))
        run = CheckRun(workspace, GateContext.of(workspace), self.digest)
        for record in self.pending:
            self.found.extend(check_record(record, run))
        self.pending = []
        return in_place_order(self.found + workspace_diagnostics(run, self.only))


class NeedsWorkspace(Exception):
    """A check asked about records not read yet (StreamingCheck): judge the record again once all are."""


class _KnownContacts(dict):
    """The contacts read so far: a reference to one not among them cannot be judged yet."""

    def __contains__(self, contact_id) -> bool:
        if dict.__contains__(self, contact_id):
            return True
        raise NeedsWorkspace


class _ReadSoFar:
    """The gate context while records stream in (see StreamingCheck): every question about the other deals
    waits for the whole workspace."""

    def __init__(self):
        self.contacts = _KnownContacts()

    def earliest_prior_deal(self, deal, same) -> str | None:
        raise NeedsWorkspace

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise NeedsWorkspace  # whatever else a condition may come to ask of the other records waits for all


def workspace_diagnostics(run: CheckRun, only: set[str] | None) -> list[Diagnostic]:
    return [d for check in WORKSPACE_CHECKS for d in check(run) if only is None or d.path in only]


def in_place_order(found: list[Diagnostic]) -> list[Diagnostic]:
    # stable: problems at one place keep the order they were found in (gates in pipeline order)
    return sorted(found, key=lambda d: (d.path, d.line, d.column))


# -- record checks -----------------------------------------------------------------------------------------

@record_check
def check_id(record: Record, run: CheckRun) -> Iterable[Diagnostic]:
    raw = record.fields.get("id")
    if raw is None:
        yield diagnostic(record, (1, 1), "missing-id", f"id: required (the file name says '{record.stem}')")
        return
    where = record.where("id")
    if not ID_PATTERN.match(raw):
        yield diagnostic(record, where, "bad-id",
                         f"id '{raw}' must be 3 to 40 lowercase letters, digits or '-'")
    if raw != record.stem:
        yield diagnostic(record, where, "id-mismatch",
                         f"id '{raw}' differs from the file name '{record.stem}.md'")


@record_check
def check_unknown_fields(record: Record, run: CheckRun) -> Iterable[Diagnostic]:
    known = run.workspace.schema.kind(record.kind).fields
    for key in record.unknown:
        hint = did_you_mean(key, known)
        yield diagnostic(record, record.where(key), "unknown-field",
                         f"unknown field '{key}' (not declared for {record.kind}s in schema.yaml){hint}")


@record_check
def check_stage_present(record: Record, run: CheckRun) -> Iterable[Diagnostic]:
    if record.kind == "deal" and "stage" not in record.fields and ("stage",) not in record.positions:
        yield diagnostic(record, (1, 1), "missing-field", "stage: required")


@record_check
def check_gates(record: Record, run: CheckRun) -> Iterable[Diagnostic]:
    if record.kind == "deal" and "stage" not in record.fields:
        return  # without a valid stage no gate can be judged; the stage problem is reported already
    schema = run.workspace.schema
    for unmet in unmet_requirements(record, schema, run.context):
        if unmet.fields and unmet.fields[0] in record.invalid:
            continue  # its value was refused while typing, and that problem is reported already
        # point at the field the requirement names when the file holds it, else at the stage that asks
        present = [name for name in unmet.fields if (name,) in record.positions]
        if present:
            where = record.where(present[0])
        else:
            where = record.where("stage" if unmet.stage is not None else None)
        message = unmet.message
        if unmet.stage is not None:
            stage = schema.stage(unmet.stage)
            message = f"{message} (gate of stage '{stage.id}')"
        yield diagnostic(record, where, unmet.code, message, unmet.severity)


@record_check
def check_history(record: Record, run: CheckRun) -> Iterable[Diagnostic]:
    if record.kind != "deal":
        return
    history = record.fields.get("history")
    if not history:
        if ("history",) not in record.positions:
            yield diagnostic(record, (1, 1), "missing-history",
                             "history: no stage changes recorded (reports of time in stage need them)", "warning")
        return
    previous = None
    for index, entry in enumerate(history):
        moment = entry.get("at")
        if moment is None:
            continue
        if previous is not None and moment < previous:
            where = record.positions.get(("history", index), record.where("history"))
            yield diagnostic(record, where, "history-order",
                             f"history[{index + 1}] at {moment.isoformat()} is earlier than the entry before it")
        previous = moment
    last = history[-1].get("stage")
    stage = record.fields.get("stage")
    if stage is not None and last != stage:
        yield diagnostic(record, record.where("stage"), "history-stage",
                         f"stage is '{stage}' but the last history entry is '{last}'", "warning")


@record_check
def check_references(record: Record, run: CheckRun) -> Iterable[Diagnostic]:
    for name in run.fields_of(record.kind, _refers_to_contacts):
        target = record.fields.get(name)
        if isinstance(target, str) and target.strip() and target not in run.context.contacts:
            yield diagnostic(record, record.positions.get(("=", name), record.where(name)), "dangling-reference",
                             f"{name}: no contact with id '{target}'")


@record_check
def check_owner_in_team(record: Record, run: CheckRun) -> Iterable[Diagnostic]:
    """Where schema.yaml declares the team (`owners:`), a deal's owner is one of them: a typo is an error."""
    team = run.workspace.schema.owners
    owner = record.fields.get(OWNER) if record.kind == "deal" else None
    if team and isinstance(owner, str) and owner.strip() and owner not in team:
        yield diagnostic(record, record.positions.get(("=", OWNER), record.where(OWNER)), "unknown-owner",
                         f"{OWNER}: '{owner}' is not one of the team ({', '.join(team)})")


@record_check
def check_attachments(record: Record, run: CheckRun) -> Iterable[Diagnostic]:
    root = run.workspace.root
    for name in run.fields_of(record.kind, _holds_files):
        for index, item in enumerate(record.fields.get(name) or ()):
            where = record.positions.get((name, index), record.where(name))
            problem = attachment_problem(root, item["path"], item.get("sha256"), run.digest or file_sha256)
            if problem is not None:
                code, message = problem
                yield diagnostic(record, where, code, f"{name}[{index + 1}]: {message}")


def _refers_to_contacts(fieldtype) -> bool:
    return fieldtype.references == "contact"


def _holds_files(fieldtype) -> bool:
    return fieldtype.holds_files


def attachment_problem(root: Path, relative: str, sha256: str | None,
                       digest: Callable[[Path], str] = None) -> tuple[str, str] | None:
    """Why an attachment is not acceptable, or None. Paths are relative to the root and stay inside it."""
    if not relative or os.path.isabs(relative) or "\\" in relative or ".." in Path(relative).parts:
        return "attachment-escapes", f"path '{relative}' must be relative to the workspace and stay inside it"
    target = root / relative
    try:
        resolved = target.resolve()
    except OSError:
        return "attachment-missing", f"file '{relative}' is missing"
    if not resolved.is_relative_to(root.resolve()):
        return "attachment-escapes", f"path '{relative}' leads outside the workspace"
    if not resolved.is_file():
        if resolved.exists():  # a folder, a named pipe, a device: never read (a pipe would hang the check)
            return "attachment-missing", f"'{relative}' is not a regular file (a folder, pipe or device)"
        return "attachment-missing", f"file '{relative}' is missing"
    if sha256 is not None and (digest or file_sha256)(resolved) != sha256:
        return "attachment-hash", f"file '{relative}' does not match its sha256 (changed since it was attached)"
    return None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# -- workspace checks --------------------------------------------------------------------------------------

@workspace_check
def check_duplicate_ids(run: CheckRun) -> Iterable[Diagnostic]:
    for record_id, records in run.workspace.by_id.items():
        if len(records) < 2:
            continue
        for record in records:
            paths = [other.path for other in records if other is not record]
            # a folder of copies would otherwise print every path on every line (n² text)
            others = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
            yield diagnostic(record, record.where("id"), "duplicate-id", f"id '{record_id}' is also used by {others}")


@workspace_check
def check_unread_files(run: CheckRun) -> Iterable[Diagnostic]:
    """Files and folders the loader did not read as records (links out of the workspace, folders it may not
    list, files in subfolders): named, so a clean `check` means every file was validated."""
    for stray in run.workspace.strays:
        yield Diagnostic(stray.path, 1, 1, stray.severity, stray.code, stray.message)
