"""Every change to a record file goes through here: locked, validated, byte-exact, atomic.

A write reads the workspace under the workspace lock (so parallel commands never lose each other's updates),
edits only the lines it must (editing.py), reads the result back as `check` would, and refuses — writing
nothing — when the result has an error the file did not have before. An old, unrelated problem in the file
does not block an edit; `check` still reports it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..model import clock
from ..store.atomic import LockTimeout, atomic_write, workspace_lock
from ..store.cache import record_written
from ..model.checks import CheckRun, Diagnostic, check_record
from ..frontmatter.editing import EditError, append_item, render_record, set_field, unset_field
from ..model.gates import GateContext, prior_deal_groupings
from ..model.records import Record, Workspace, build_record
from ..store.workspace import load_workspace, mint_id, resolve_id
from ..model.schema import DIR_OF_KIND, Schema
from ..errors import FunnelError



class Refused(FunnelError):
    """The command is refused and nothing was written; `problems` are the reasons, one per line."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = problems or []

    def __str__(self) -> str:
        return "\n".join([self.message] + [f"  {problem}" for problem in self.problems])


@dataclass
class Written:
    record: Record  # the record as written (re-read from the new bytes)
    schema: Schema  # the schema it was judged by (to print it as `show --format json` does)
    changed: bool  # False when the file already held exactly this
    notes: list[str] = field(default_factory=list)  # warnings the person should see


class Transaction:
    """One locked read-modify-write of the workspace."""

    def __init__(self, root: Path):
        self.root = root
        self._lock = workspace_lock(root)

    def __enter__(self) -> "Transaction":
        try:
            self._lock.__enter__()
        except LockTimeout as exc:
            raise Refused(str(exc)) from None
        try:
            from ..store.cache import HashCache

            self.workspace: Workspace = load_workspace(self.root, cached=True)
            self.context = GateContext.of(self.workspace)
            self.hashes = HashCache(self.root)
        except BaseException:
            # `with` calls __exit__ only after __enter__ returned: release the lock here, or a broken schema
            # would keep it held for the rest of the process
            self._lock.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc_info):
        if exc_info[0] is None:
            self.hashes.save()
        return self._lock.__exit__(*exc_info)

    @property
    def schema(self):
        return self.workspace.schema

    def resolve(self, text: str, kind: str | None = None) -> Record:
        from ..store.workspace import WorkspaceError

        try:
            return resolve_id(self.workspace, text, kind)
        except WorkspaceError as exc:
            raise Refused(str(exc)) from None

    def read_text(self, record: Record) -> str:
        data = (self.root / record.path).read_bytes()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise Refused(f"{record.path}: not valid UTF-8; fix it first (funnel check shows where)") from None

    def key_order(self, kind: str) -> list[str]:
        return list(self.schema.kind(kind).fields)

    # -- validation ------------------------------------------------------------------------------------------
    def diagnostics(self, records: list[Record], context: GateContext) -> list[Diagnostic]:
        run = CheckRun(self.workspace, context, self.hashes.sha256)
        found = []
        for record in records:
            found.extend(check_record(record, run))
        return found

    def affected(self, record: Record, context: GateContext) -> list[Record]:
        """Deals whose gates may read `record`: those of the same counterparty, as the schema groups them."""
        return context.counterparty_deals(record, prior_deal_groupings(self.schema))

    def refuse_new_errors(self, old: Record | None, new: Record, what: str) -> list[str]:
        """Raise Refused when `new` (or a deal that depends on it) gains an error; return new warnings."""
        new_context = self.context.replacing(new)
        before_records = ([old] if old is not None else []) + (self.affected(old, self.context) if old else [])
        after_records = [new] + self.affected(new, new_context)
        before_ids = {r.id for r in before_records}
        # deals that only became affected after the change are judged before it too
        before_records += [r for r in self.affected(new, self.context) if r.id not in before_ids]
        before = Counter(_key(d) for d in self.diagnostics(before_records, self.context))
        added: list[Diagnostic] = []
        warnings: list[str] = []
        for diagnostic in self.diagnostics(after_records, new_context):
            key = _key(diagnostic)
            if before[key] > 0:
                before[key] -= 1
                continue
            if diagnostic.severity == "error":
                added.append(diagnostic)
            else:
                warnings.append(_problem_text(diagnostic, new))
        if added:
            raise Refused(f"{what}: refused, nothing written:", [_problem_text(d, new) for d in added])
        return warnings

    # -- writing ----------------------------------------------------------------------------------------------
    def write(self, record_path: str, text: str, kind: str, old: Record | None, what: str) -> Written:
        data = text.encode("utf-8")
        new = build_record(self.schema, kind, record_path, data)
        warnings = self.refuse_new_errors(old, new, what)
        atomic_write(self.root / record_path, data)
        record_written(self.root, self.schema, new, data)  # the cache's row, in the same lock
        return Written(new, self.schema, True, warnings)


def _key(diagnostic: Diagnostic) -> tuple:
    return diagnostic.path, diagnostic.code, diagnostic.message


def _problem_text(diagnostic: Diagnostic, record: Record) -> str:
    prefix = "" if diagnostic.path == record.path else f"{diagnostic.path}: "
    return f"{prefix}{diagnostic.message}"


# -- the edits every command makes -----------------------------------------------------------------------------

def edit_text(text: str, changes: dict[str, Any], order: list[str], history_entry: dict | None = None) -> str:
    """`text` with `changes` applied (None removes a field) and a history entry appended."""
    try:
        for name, value in changes.items():
            text = unset_field(text, name) if value is None else set_field(text, name, value, order)
        if history_entry is not None:
            text = append_item(text, "history", history_entry, order)
    except EditError as exc:
        raise Refused(f"cannot edit this file safely: {exc}") from None
    return text


def add_record(root: Path, kind: str, changes: dict[str, Any],
               prepare: Callable[[Transaction, dict[str, Any]], None] | None = None) -> Written:
    """A new contact or deal: a fresh id, the given fields, validated as a whole; refused when invalid."""
    with Transaction(root) as tx:
        values = {name: value for name, value in changes.items() if value is not None}
        resolve_references(tx, kind, values)
        if prepare is not None:
            prepare(tx, values)
        record_id = mint_id(kind, tx.workspace.by_id)
        while (root / DIR_OF_KIND[kind] / f"{record_id}.md").exists():
            record_id = mint_id(kind, set(tx.workspace.by_id) | {record_id})
        values["id"] = record_id
        order = tx.key_order(kind)
        fields = [(name, values[name]) for name in order if name in values]
        text = render_record(fields)
        relative = f"{DIR_OF_KIND[kind]}/{record_id}.md"
        (root / DIR_OF_KIND[kind]).mkdir(exist_ok=True)
        return tx.write(relative, text, kind, None, f"new {kind}")


def resolve_references(tx: Transaction, kind: str, values: dict[str, Any]) -> None:
    """A reference to a contact may be given by any unique prefix of its id, as every id on the command line;
    the file stores the whole id."""
    fields = tx.schema.kind(kind).fields
    for name, value in values.items():
        spec = fields.get(name)
        if spec is not None and spec.type == "contact" and isinstance(value, str) and value.strip():
            values[name] = tx.resolve(value.strip(), "contact").id


def new_deal_values(tx: Transaction, values: dict[str, Any]) -> None:
    """A new deal starts in the first stage, with `created` and a first history entry."""
    first = tx.schema.first_stage.id
    moment = clock.now()
    values.setdefault("created", moment.date())
    values["stage"] = first
    values["history"] = [{"stage": first, "at": moment}]


Plan = Callable[["Transaction", Record], tuple[dict[str, Any], dict | None, str]]


def update_record(root: Path, id_text: str, plan: Plan, kind: str | None = None) -> tuple[Written, Record]:
    """Change one record under the lock. `plan(tx, record)` says what to change, from the record as it is now:
    (changes — None removes a field —, a history entry to append or None, what to call the change in
    messages). Returns what was written and the record as it was before."""
    with Transaction(root) as tx:
        record = tx.resolve(id_text, kind)
        if not record.readable:
            raise Refused(f"{record.path}: cannot be read as a record; run 'funnel check' and fix it first")
        changes, history_entry, what = plan(tx, record)
        resolve_references(tx, record.kind, changes)
        text = tx.read_text(record)
        new_text = edit_text(text, changes, tx.key_order(record.kind), history_entry)
        if new_text == text:
            return Written(record, tx.schema, False), record
        return tx.write(record.path, new_text, record.kind, record, what), record
