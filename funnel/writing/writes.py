"""Every change to a record file goes through here: locked, validated, byte-exact, atomic.

A write reads the workspace under the workspace lock (so parallel commands never lose each other's updates),
edits only the lines it must (editing.py), reads the result back as `check` would, and refuses — writing
nothing — when the result has an error the file did not have before. An old, unrelated problem in the file
does not block an edit; `check` still reports it. A stage change must, besides, meet every gate of its new
stage in full.

`add_record` and `update_record` are the two ways in; `api.py` holds the entry points built on them.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from ..errors import FunnelError
from ..frontmatter.editing import EditError, append_item, render_record, set_field, unset_field
from ..model import clock
from ..model.checks import CheckRun, Diagnostic, check_gates, check_record, diagnostic
from ..model.matching import did_you_mean, normal_form
from ..model.gates import GateContext, change_bound, prior_deal_groupings, prior_deal_readers
from ..model.records import Record, Workspace, build_record
from ..model.schema import DEAL_BUILTIN_FIELDS, DIR_OF_KIND, LOSS_COMMENT, LOSS_REASON, OWNER, Schema
from ..model.values import InvalidValue, field_spec, parse_value, split_assignment
from ..store.atomic import LockTimeout, atomic_write, remove_stale_temp_files, workspace_lock
from ..store.cache import record_written
from ..store.paths import leads_outside
from ..store.workspace import WorkspaceError, load_workspace, mint_id, resolve_id
from ..valueclass import field, valueclass

# fields only the write API maintains: stages change with move, win and lose, which append the history
PROTECTED_FIELDS = DEAL_BUILTIN_FIELDS

# FIELD=VALUE texts as the command line gives them, or {field: value}: a str value is read by the field's type
# as the command line's would be, None removes the field, anything else is taken as the typed value itself
Assignments = Mapping[str, Any] | Iterable[str]


class Refused(FunnelError):
    """The write is refused and nothing was written. `diagnostics` are the reasons when they are about what
    a file would hold: the result as `check` would judge it (path, line, column — in the text the write would
    have written —, severity, code, message); `path` is the record the write was for, whose own problems need
    no path when shown."""

    def __init__(self, message: str, diagnostics: Iterable[Diagnostic] = (), path: str | None = None):
        super().__init__(message)
        self.message = message
        self.diagnostics = tuple(diagnostics)
        self.path = path

    @property
    def problems(self) -> list[str]:
        return problem_lines(self.diagnostics, self.path)

    def __str__(self) -> str:
        return "\n".join([self.message] + [f"  {problem}" for problem in self.problems])


def problem_lines(diagnostics: Iterable[Diagnostic], path: str | None) -> list[str]:
    """One line per diagnostic for a person: the message, after its file when that is another record's."""
    return [d.message if d.path == path else f"{d.path}: {d.message}" for d in diagnostics]


@valueclass(frozen=True)
class Edit:
    """What a write changes in one record, decided from the record as it is now (read under the lock)."""

    changes: dict[str, Any]  # field → typed value; None removes the field
    history: dict | None = None  # an entry to append to `history` (a stage change)
    gate: str | None = None  # a stage change: the refusal's message when the result misses a gate of its stage
    files: tuple[str, ...] = ()  # files written besides the record (an attachment's copy), relative to the root
    attached: str | None = None  # attach: the path recorded
    into_lost_entry: dict | None = None  # reopening a lost deal: fields moved into its last `lost` history entry


@valueclass(frozen=True)
class WriteResult:
    """What one write did: all a command prints, and all a commit message needs."""

    action: str  # "add", "set", "move", "win", "lose" or "attach"
    kind: str  # "contact" | "deal"
    id: str
    path: str  # the record's file, relative to the workspace root
    before: Record | None = field(repr=False)  # the record as it was; None for a new one
    after: Record = field(repr=False)  # as it is now, read back from the bytes written (== before when unchanged)
    schema: Schema = field(repr=False)  # the schema it was judged by (to print it as `show --format json` does)
    written: tuple[str, ...] = ()  # every file written, relative to the root, the record last; () when unchanged
    changed_fields: tuple[str, ...] = ()  # fields whose value differs (the ones asked for first, in their order)
    warnings: tuple[Diagnostic, ...] = ()  # new warnings of the result (never errors: those refuse the write)
    attached: str | None = None  # attach: the stored file's path, relative to the root

    @property
    def changed(self) -> bool:
        return bool(self.written)

    @property
    def old_stage(self) -> str | None:
        return self.before.fields.get("stage") if self.before is not None else None

    @property
    def new_stage(self) -> str | None:
        return self.after.fields.get("stage")

    @property
    def loss_reason(self) -> str | None:
        return self.after.fields.get(LOSS_REASON) if self.action == "lose" else None

    @property
    def loss_comment(self) -> str | None:
        return self.after.fields.get(LOSS_COMMENT) if self.action == "lose" else None

    @property
    def notes(self) -> list[str]:
        """The warnings as lines for a person."""
        return problem_lines(self.warnings, self.path)

    @property
    def summary(self) -> str:
        """The change in words, as a reviewer reads it: `deal d-7k3m9x2q: proposal → decision`."""
        name = f"{self.kind} {self.id}"
        if self.action == "add":
            label = self.after.fields.get("title") or self.after.fields.get("name")
            return f"new {name}" + (f": {label}" if label else "")
        if not self.changed:
            return f"{name}: unchanged"
        if self.action == "attach":
            return f"{name}: attach {self.attached}"
        if self.action in ("move", "win", "lose"):
            if self.old_stage == self.new_stage:
                return f"{name}: stays in {self.new_stage}"
            reason = f" ({self.loss_reason})" if self.loss_reason else ""
            return f"{name}: {self.old_stage} → {self.new_stage}{reason}"
        return f"{name}: set {', '.join(self.changed_fields)}"


class LockedWorkspace:
    """`with LockedWorkspace(root) as locked:` the workspace lock held and every record loaded once under it
    (`locked.workspace`), attachment hashes saved at a clean exit: what a single write and a batch share."""

    def __init__(self, root: Path):
        self.root = root
        self._lock = workspace_lock(root)

    def __enter__(self):
        try:
            self._lock.__enter__()
        except LockTimeout as exc:
            raise Refused(str(exc)) from None
        try:
            from ..store.cache import HashCache

            # before load(): a connection opened while another of this process is open (a Lookup's) would
            # release that one's POSIX locks on SQLite's side files when the cache checks them (Cache.open)
            self.hashes = HashCache(self.root)
            self.workspace: Workspace = self.load()
            self.loaded()
        except BaseException:
            # `with` calls __exit__ only after __enter__ returned: release the lock here, or a broken schema
            # would keep it held for the rest of the process
            self.closing()
            self._lock.__exit__(None, None, None)
            raise
        return self

    def load(self) -> Workspace:
        """The workspace as the lock found it: every record (a subclass may read fewer)."""
        return load_workspace(self.root, cached=True)

    def loaded(self) -> None:
        """What a subclass prepares from the loaded workspace, still under the lock."""

    def closing(self) -> None:
        """What a subclass releases besides the lock."""

    def __exit__(self, *exc_info):
        try:
            self.closing()
            if exc_info[0] is None:
                self.hashes.save()
        except BaseException:
            self._lock.__exit__(*exc_info)
            raise
        return self._lock.__exit__(*exc_info)

    @property
    def schema(self) -> Schema:
        return self.workspace.schema


class Transaction(LockedWorkspace):
    """One locked read-modify-write of the workspace.

    A deal's write reads only what it needs through the cache's index (store/lookup.py, fresh under the lock):
    the records its id may name, and before judging, what the gates of the deal — and of the deals that may read
    the change — read (lookup.around_deals). The judging is the same either way: the same checks over a smaller
    workspace. Without an index (no cache to be had, contacts sharing an id) and for a contact's write (every
    deal of its counterparty reads it) every record is loaded, as a batch does."""

    def __init__(self, root: Path, partial: bool = True):
        super().__init__(root)
        self.partial = partial
        self.lookup = None

    def load(self) -> Workspace:
        if self.partial:
            from ..store.lookup import Lookup, NoIndex
            from ..store.schematree import workspace_schema

            try:
                self.lookup = Lookup(self.root, workspace_schema(self.root))
                self.hashes.shared = self.lookup.cache  # one connection for the whole write
                return self.lookup.workspace([])
            except NoIndex:
                pass
        return super().load()

    def loaded(self) -> None:
        self.context = GateContext.of(self.workspace)

    def closing(self) -> None:
        if self.lookup is not None:
            self.hashes.shared = None
            self.lookup.close()
            self.lookup = None

    def everything(self) -> None:
        """Read every record from now on (and judge with all of them)."""
        if self.lookup is not None:
            self.closing()
            self.workspace = super().load()
            self.loaded()

    def resolve(self, text: str, kind: str | None = None) -> Record:
        try:
            return resolve_id(self._records_named(text), text, kind)
        except WorkspaceError as exc:
            raise Refused(str(exc)) from None

    def _records_named(self, text: str) -> Workspace:
        """A workspace holding every record resolve_id may answer `text` with, or name in its error."""
        if self.lookup is None:
            return self.workspace
        lookup = self.lookup
        return lookup.workspace(lookup.records(lookup.paths_for_prefix(normal_form(text) or text)))

    def id_taken(self, record_id: str) -> bool:
        if self.lookup is not None:
            return self.lookup.id_taken(record_id)
        return record_id in self.workspace.by_id

    def other_owners(self, deal_id: str | None, owner: str) -> list[str]:
        """The owners of every other deal — or only `owner` when another deal has it (all a note needs)."""
        if self.lookup is not None:
            if self.lookup.another_deal_has(OWNER, owner, deal_id):
                return [owner]
            values = self.lookup.deal_field_values(OWNER)
        else:
            values = [(other.id, other.fields.get(OWNER)) for other in self.workspace.deals]
        known = {value for other_id, value in values if other_id != deal_id and isinstance(value, str)}
        return [owner] if owner in known else sorted(known - {""})

    def judging(self, old: Record | None, new: Record) -> None:
        """Before judging a deal's write through the index: the workspace and context hold what the gates read
        (of the deal; of the deals that may read the change, when what they read of it changes)."""
        if self.lookup is None:
            return
        from ..store.lookup import NoIndex, around_deals

        judged = [record for record in (old, new) if record is not None]
        try:
            self._judge_with(old, around_deals(self.lookup, judged))
            bound = self.readers_bound(old, new, self.context.replacing(new))
            if bound is not None:
                self._judge_with(old, around_deals(self.lookup, judged, bound))
        except NoIndex:
            self.everything()

    def _judge_with(self, old: Record | None, records: list[Record]) -> None:
        self.workspace = self.lookup.workspace(records + ([old] if old is not None else []))
        self.context = GateContext.of(self.workspace)

    def read_text(self, record: Record) -> str:
        data = (self.root / record.path).read_bytes()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise Refused(f"{record.path}: not valid UTF-8; fix it first (funnel check shows where)") from None

    def key_order(self, kind: str) -> list[str]:
        return list(self.schema.kind(kind).fields)

    def read_assignments(self, kind: str, assignments: Assignments = (), unset: Iterable[str] = ()) \
            -> dict[str, Any]:
        """{field: typed value, or None to remove it}, each field checked against the schema; a reference to
        a contact may be any unique prefix of its id, as every id on the command line (the file stores the
        whole id)."""
        fields = self.schema.kind(kind)
        pairs = list(assignments.items()) if isinstance(assignments, Mapping) else \
            [split_assignment(text) for text in assignments]
        pairs += [(name.strip(), None) for name in unset]
        changes: dict[str, Any] = {}
        for name, value in pairs:
            if name in PROTECTED_FIELDS:
                raise InvalidValue(f"'{name}' cannot be set directly" + (
                    "; stages change with 'funnel move', 'win' or 'lose'" if name in ("stage", "history") else ""))
            spec = field_spec(fields, name)
            if isinstance(value, str):
                value = parse_value(spec, value)
            elif value is not None:
                _check_writable(name, value)
            changes[name] = value
            if spec.fieldtype.references == "contact" and isinstance(changes[name], str) and changes[name].strip():
                changes[name] = self.resolve(changes[name].strip(), "contact").id
        return changes

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

    def readers_bound(self, old: Record | None, new: Record, new_context: GateContext) -> tuple | None:
        """For a deal's change: None when no other deal's gates can read it (what prior_deal reads of the deal
        is unchanged), else the start after which a deal of its counterparties may (gates.change_bound)."""
        sames = prior_deal_groupings(self.schema)
        if old is not None and self.context.prior_deal_facts(old, sames) == new_context.prior_deal_facts(new, sames):
            return None
        return change_bound(old, new)

    def refuse_unmet_gates(self, new: Record, message: str) -> None:
        """A stage change: every gate of the new stage must hold, old gaps included."""
        run = CheckRun(self.workspace, self.context.replacing(new), self.hashes.sha256)
        unmet = [d for d in check_gates(new, run) if d.severity == "error"]
        if unmet:
            raise Refused(message, unmet, new.path)

    def refuse_new_errors(self, old: Record | None, new: Record, what: str) -> tuple[Diagnostic, ...]:
        """Raise Refused when `new` (or a deal that depends on it) gains an error; return new warnings."""
        new_context = self.context.replacing(new)
        if new.kind == "deal":
            bound = self.readers_bound(old, new, new_context)

            def affected(record, context):  # the deals that may read this deal's change
                return [] if bound is None else prior_deal_readers(self.affected(record, context), bound)
        else:
            affected = self.affected
        before_records = ([old] if old is not None else []) + (affected(old, self.context) if old else [])
        after_records = [new] + affected(new, new_context)
        before_ids = {r.id for r in before_records}
        # deals that only became affected after the change are judged before it too
        before_records += [r for r in affected(new, self.context) if r.id not in before_ids]
        before = Counter(_key(d) for d in self.diagnostics(before_records, self.context))
        added: list[Diagnostic] = []
        warnings: list[Diagnostic] = []
        for found in self.diagnostics(after_records, new_context):
            key = _key(found)
            if before[key] > 0:
                before[key] -= 1
                continue
            (added if found.severity == "error" else warnings).append(found)
        if added:
            raise Refused(f"{what}: refused, nothing written:", added, new.path)
        return tuple(warnings)

    def new_owner_notes(self, old: Record | None, new: Record) -> tuple[Diagnostic, ...]:
        """A deal given an owner no other deal has — a newcomer, or a typo that would split one person's deals
        in two: said, never refused (a schema that lists its team in `owners:` makes it an error instead)."""
        owner = new.fields.get(OWNER) if new.kind == "deal" else None
        if self.schema.owners or not isinstance(owner, str) or not owner.strip() or (
                old is not None and old.fields.get(OWNER) == owner):
            return ()
        known = self.other_owners(new.id, owner)
        if owner in known or not known:
            return ()
        hint = did_you_mean(owner, known) or f" (owners so far: {', '.join(known[:8])})"
        return (diagnostic(new, new.where(OWNER), "new-owner",
                           f"{OWNER}: '{owner}' is new: no other deal has this owner{hint}", "warning"),)

    # -- writing ----------------------------------------------------------------------------------------------
    def write(self, record_path: str, text: str, kind: str, old: Record | None, gate: str | None = None) \
            -> tuple[Record, tuple[Diagnostic, ...]]:
        """Write `text` as the record at `record_path` when it passes; the record as written and its new
        warnings."""
        data = text.encode("utf-8")
        new = build_record(self.schema, kind, record_path, data)
        self.judging(old, new)
        if gate is not None:
            self.refuse_unmet_gates(new, gate)
        warnings = self.refuse_new_errors(old, new, f"{kind} {old.id}" if old is not None else f"new {kind}")
        warnings += self.new_owner_notes(old, new)
        refuse_outside(self.root, record_path)
        folder = record_path.rsplit("/", 1)[0]
        temps = self.lookup.temp_names.get(folder) if self.lookup is not None else None
        # under the lock no other write is under way: a temp file of ours is a killed write's leftover
        remove_stale_temp_files(self.root / folder, temps)
        atomic_write(self.root / record_path, data)
        # the cache's row, in the same lock, through the index's connection when it has one (one per process)
        record_written(self.root, self.schema, new, data, self.lookup.cache if self.lookup is not None else None)
        self.closing()
        return new, warnings


def refuse_outside(root: Path, relative: str) -> None:
    """Refuse a write to `relative` when it is, or leads through, a link out of the workspace: a clone of
    someone else's repository must never make funnel write elsewhere."""
    if os.path.islink(root / relative) or leads_outside(root, relative):
        raise Refused(f"{relative}: leads outside the workspace (a symbolic link); refusing to write there; "
                      "run 'funnel check'")


def _check_writable(name: str, value: Any) -> None:
    """A typed value must be one the editor writes (str, int, Decimal, date, datetime, lists and mappings of
    them); whether it fits the field is judged on the result, as `check` judges a file."""
    try:
        render_record([(name, value)])
    except TypeError as exc:
        raise InvalidValue(f"{name}: {exc}") from None


def _key(diagnostic: Diagnostic) -> tuple:
    return diagnostic.path, diagnostic.code, diagnostic.message


def changed_fields(before: Record | None, after: Record, first: Iterable[str] = ()) -> tuple[str, ...]:
    """The fields whose value differs between `before` and `after`: the names in `first` (what was asked for)
    in their order, then the others in the file's order. Values compare by their exact form (1250000.10 is
    not 1250000.1), as the file holds them."""
    old = before.fields if before is not None else {}
    names = dict.fromkeys([*first, *after.fields, *old])
    return tuple(name for name in names if repr(old.get(name)) != repr(after.fields.get(name)))


# -- the edits every command makes -----------------------------------------------------------------------------

def move_into_lost_entry(text: str, values: dict[str, Any], order: list[str]) -> str:
    """`text` whose last `{stage: lost, …}` history entry also holds `values` (the loss of a deal being
    reopened), so the open deal carries no loss and nothing the person wrote is lost. The other entries keep
    their keys; moments stay unquoted timestamps."""
    from ..frontmatter.reader import parse_record_bytes
    from ..model.fieldtypes import read_timestamp

    tree = parse_record_bytes(text.encode("utf-8"), all_positions=False).tree
    history = tree.get("history") if isinstance(tree, dict) else None
    if not isinstance(history, list):
        raise Refused("cannot reopen: the deal has no readable history to keep its loss in; run 'funnel check'")
    entries = []
    for entry in history:
        if isinstance(entry, dict) and isinstance(entry.get("at"), str) and read_timestamp(entry["at"]) is not None:
            entry = {**entry, "at": read_timestamp(entry["at"])}
        entries.append(entry)
    last_lost = max((index for index, entry in enumerate(entries)
                     if isinstance(entry, dict) and entry.get("stage") == "lost"), default=None)
    if last_lost is None:
        raise Refused("cannot reopen: the history has no 'lost' entry to keep the loss in; run 'funnel check'")
    entries[last_lost] = {**entries[last_lost], **values}
    try:
        return set_field(text, "history", entries, order)
    except EditError as exc:
        raise Refused(f"cannot edit this file safely: {exc}") from None


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


def add_record(root: Path, kind: str, assignments: Assignments = (),
               prepare: Callable[[Transaction, dict[str, Any]], None] | None = None) -> WriteResult:
    """A new contact or deal: a fresh id, the given fields, validated as a whole; refused when invalid.
    `prepare(tx, values)` adds what the kind starts with (a deal's stage and history)."""
    with Transaction(root, partial=kind == "deal") as tx:
        values = {name: value for name, value in tx.read_assignments(kind, assignments).items()
                  if value is not None}
        if prepare is not None:
            prepare(tx, values)
        record_id = mint_id(kind, ())
        while tx.id_taken(record_id) or (root / DIR_OF_KIND[kind] / f"{record_id}.md").exists():
            record_id = mint_id(kind, {record_id})
        values["id"] = record_id
        order = tx.key_order(kind)
        text = render_record([(name, values[name]) for name in order if name in values])
        relative = f"{DIR_OF_KIND[kind]}/{record_id}.md"
        refuse_outside(root, DIR_OF_KIND[kind])
        (root / DIR_OF_KIND[kind]).mkdir(exist_ok=True)
        new, warnings = tx.write(relative, text, kind, None)
        return WriteResult("add", kind, record_id, relative, None, new, tx.schema, (relative,),
                           changed_fields(None, new), warnings)


def new_deal_values(tx: Transaction, values: dict[str, Any]) -> None:
    """A new deal starts in the first stage, with `created` and a first history entry."""
    first = tx.schema.first_stage.id
    moment = clock.now()
    values.setdefault("created", moment.date())
    values["stage"] = first
    values["history"] = [{"stage": first, "at": moment}]


# plan(tx, record, changes) → the Edit to make, from the record as it is now and the fields asked for
Plan = Callable[[Transaction, Record, dict[str, Any]], Edit]


def update_record(root: Path, action: str, id_text: str, plan: Plan, assignments: Assignments = (),
                  unset: Iterable[str] = (), kind: str | None = None) -> WriteResult:
    """Change one record under the lock: the fields asked for (`assignments`, `unset`), read once by the
    record's schema, and whatever `plan` adds to them."""
    with Transaction(root) as tx:
        record = tx.resolve(id_text, kind)
        if record.kind != "deal":
            tx.everything()  # a contact: the gates of its deals read it
            record = tx.resolve(id_text, kind)
        if not record.readable:
            raise Refused(f"{record.path}: cannot be read as a record; run 'funnel check' and fix it first")
        asked = tx.read_assignments(record.kind, assignments, unset)
        edit = plan(tx, record, asked)
        text = tx.read_text(record)
        edited = text
        if edit.into_lost_entry:
            edited = move_into_lost_entry(text, edit.into_lost_entry, tx.key_order(record.kind))
        new_text = edit_text(edited, edit.changes, tx.key_order(record.kind), edit.history)
        if new_text == text:
            return WriteResult(action, record.kind, record.id, record.path, record, record, tx.schema, edit.files,
                               (), attached=edit.attached)
        new, warnings = tx.write(record.path, new_text, record.kind, record, edit.gate)
        return WriteResult(action, record.kind, record.id, record.path, record, new, tx.schema,
                           (*edit.files, record.path), changed_fields(record, new, edit.changes) or tuple(edit.changes),
                           warnings, edit.attached)
