"""`check --staged`: judge exactly what the next commit would hold — the index, not the working files.

The index is read with plumbing (`ls-files --stage`, `diff-index --cached`, `cat-file --batch`), never by checking
anything out. The staged snapshot is judged as a whole tree, so cross-record rules (repeat client, references,
duplicate ids) see the staged state, but only what the commit touches is reported:

- every problem in a record file the commit adds or changes;
- a *new* problem the commit causes in a record it does not touch (a deleted contact a deal still names, a
  duplicated id, a repeat-client gate): those records are judged before and after, and only what is new counts;
- with schema.yaml staged, every record (the rules themselves changed).

Fast: a record file whose working copy is what the index holds (`diff-files` says so by stat, as git does) is
taken from the record cache; only the files the commit changes, their neighbours and partly staged files are read
from git objects.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from ..model.checks import Diagnostic, check_workspace, from_problem, in_place_order
from ..model.gates import GateContext, prior_deal_groupings
from ..model.records import Record, Workspace, build_record
from ..model.schema import KIND_OF_DIR, Schema, SchemaError, parse_schema
from ..store.paths import SCHEMA_FILE, kind_of_path
from ..store.workspace import load_workspace
from ..views.checking import CheckOutcome
from .repo import GitError, Repository, find_repository

WORKSPACE_ENTRIES = (SCHEMA_FILE, *KIND_OF_DIR)


def _outcome(diagnostics: list[Diagnostic] | None = None, checked: int = 0) -> CheckOutcome:
    """The outcome `check` prints; `checked`: the record files judged (the changed ones and their neighbours)."""
    return CheckOutcome(diagnostics or [], checked)


class _Index:
    """The workspace's part of the index, relative to the workspace root."""

    def __init__(self, repository: Repository):
        self.repository = repository
        # in a hook of `git commit -a` or `git commit PATH`, git names the index the commit is made from
        self.index_file = os.environ.get("GIT_INDEX_FILE") or None
        prefix = repository.prefix
        specs = [prefix + name for name in WORKSPACE_ENTRIES]
        self.changes = self._relative(repository.staged_changes(specs, self.index_file))
        files, _ = repository.index_files(specs, self.index_file) if self.changes else ({}, set())
        self.files = self._relative(files)
        self.specs = specs

    def _relative(self, by_path: dict) -> dict:
        prefix = self.repository.prefix
        return {path[len(prefix):]: value for path, value in by_path.items()
                if path.startswith(prefix) and (path[len(prefix):] == SCHEMA_FILE or kind_of_path(path[len(prefix):]))}

    def unstaged(self) -> set[str]:
        prefix = self.repository.prefix
        return {path[len(prefix):] for path in self.repository.unstaged_paths(self.specs, self.index_file)
                if path.startswith(prefix)}

    def blobs(self, object_ids) -> dict[str, bytes]:
        return self.repository.read_blobs(object_ids)


def check_staged(root: Path) -> CheckOutcome:
    """The problems the staged snapshot of the workspace at `root` has in (or causes through) what it changes.
    Attached files are hashed as `check` does (cached by their stat)."""
    from ..store.cache import HashCache

    hashes = HashCache(root)
    outcome = _check_staged(root, hashes.sha256)
    hashes.save()
    return outcome


def _check_staged(root: Path, digest: Callable[[Path], str] | None) -> CheckOutcome:
    repository = find_repository(root)
    if repository is None:
        raise GitError(f"{root}: not inside a git repository, so nothing is staged (or git is not installed)")
    index = _Index(repository)
    if not index.changes:
        return _outcome()
    schema_oid = index.files.get(SCHEMA_FILE)
    if schema_oid is None:
        # the first commits after `funnel init` (records committed with --commit before the pipeline itself):
        # judged by the working tree's schema.yaml, and said — a clone of this commit would hold no pipeline
        try:
            working_schema = parse_schema((root / SCHEMA_FILE).read_bytes(), SCHEMA_FILE)
        except (OSError, SchemaError):
            return _outcome([Diagnostic(SCHEMA_FILE, 1, 1, "error", "schema-missing",
                                           "schema.yaml is not in the index: the commit would hold no pipeline")], 0)
        outcome = _check_changes(root, working_schema, index, set(index.changes), index.unstaged(), digest)
        note = Diagnostic(SCHEMA_FILE, 1, 1, "warning", "schema-not-committed",
                          "schema.yaml is not committed: judged by the working tree's; commit it too "
                          "(git add schema.yaml), or a clone holds records without their pipeline")
        return _outcome([note] + list(outcome.diagnostics), outcome.checked)
    schema_bytes = index.blobs([schema_oid]).get(schema_oid, b"")
    try:
        schema = parse_schema(schema_bytes, SCHEMA_FILE)
    except SchemaError as exc:
        return _outcome([from_problem(SCHEMA_FILE, problem) for problem in exc.problems], 0)
    changed = {path for path in index.changes if path != SCHEMA_FILE}
    unstaged = index.unstaged()
    if SCHEMA_FILE in index.changes or SCHEMA_FILE in unstaged:
        # new rules judge every record (and the working files' cache is typed by another schema): all from git
        staged = _from_blobs(index, schema, index.files)
        workspace = Workspace(root, schema, sorted(staged.values(), key=_path))
        diagnostics = check_workspace(workspace, None, digest) if SCHEMA_FILE in index.changes else \
            check_workspace(workspace, changed, digest)
        return _outcome(diagnostics, len(workspace.records) if SCHEMA_FILE in index.changes else len(changed))
    return _check_changes(root, schema, index, changed, unstaged, digest)


def _path(record: Record) -> str:
    return record.path


def _from_blobs(index: _Index, schema: Schema, paths_to_ids: dict[str, str]) -> dict[str, Record]:
    wanted = {path: oid for path, oid in paths_to_ids.items() if kind_of_path(path)}
    contents = index.blobs(wanted.values())
    return {path: build_record(schema, kind_of_path(path), path, contents[oid])
            for path, oid in wanted.items() if oid in contents}


def _check_changes(root: Path, schema: Schema, index: _Index, changed: set[str], unstaged: set[str],
                   digest) -> CheckOutcome:
    # the unchanged records as the working tree holds them (cached), where that is what the index holds
    cached = {record.path: record for record in load_workspace(root, schema, cached=True).records}
    staged: dict[str, Record] = {}
    from_git: dict[str, str] = {}
    for path, oid in index.files.items():
        if path == SCHEMA_FILE:
            continue
        record = cached.get(path)
        if record is not None and path not in unstaged and path not in changed:
            staged[path] = record
        else:
            from_git[path] = oid
    old_ids = {path: old for path, (old, _) in index.changes.items() if path in changed and old}
    contents = index.blobs(list(from_git.values()) + list(old_ids.values()))
    for path, oid in from_git.items():
        if oid in contents:
            staged[path] = build_record(schema, kind_of_path(path), path, contents[oid])
    before = {path: build_record(schema, kind_of_path(path), path, contents[oid])
              for path, oid in old_ids.items() if oid in contents}

    records = sorted(staged.values(), key=_path)
    base_records = [record for record in records if record.path not in changed] + list(before.values())
    # one gate context per state; when no contact changed, the two share each deal's counterparty keys (a deal's
    # keys read its contact, so a changed contact would make them differ)
    after_context = GateContext.of(Workspace(root, schema, records))
    contacts_changed = any(kind_of_path(path) == "contact" for path in changed)
    before_context = GateContext.of(Workspace(root, schema, base_records),
                                    shared_with=None if contacts_changed else after_context)
    related = _related(schema, records, changed, (after_context, [staged[p] for p in changed if p in staged]),
                       (before_context, list(before.values())))
    after = check_workspace(Workspace(root, schema, records), changed, digest, after_context)
    if related:
        after = in_place_order(after + _new_in_neighbours(root, schema, index, sorted(related), digest,
                                                          (records, after_context), (base_records, before_context)))
    after += _imported_at_changes(staged, before)
    return _outcome(after, len(changed | related))


NEIGHBOURS_AT_ONCE = 2000  # neighbours read with positions at a time (~6 kB each)


def _new_in_neighbours(root: Path, schema: Schema, index: _Index, related: list[str], digest,
                       after: tuple[list[Record], GateContext], before: tuple[list[Record], GateContext]
                       ) -> list[Diagnostic]:
    """The problems of the neighbours (unchanged records judged again) that the commit causes: each is judged
    after the commit and, when it has a problem then, before it; only what is new counts. They are read from
    git with exact positions, as what is printed points at them, and a part at a time: a company's 16,000 deals
    at 100,000 were a third of the memory when held at once. A record's diagnostics depend only on itself, the
    context and which paths share its id, so judging a part at a time changes none of them."""
    found: list[Diagnostic] = []
    for start in range(0, len(related), NEIGHBOURS_AT_ONCE):
        part = {path: index.files[path] for path in related[start:start + NEIGHBOURS_AT_ONCE]}
        fresh = _from_blobs(index, schema, part)
        now = _judged(root, schema, fresh, after, set(part), digest)
        if now:
            known = set(_judged(root, schema, fresh, before, {d.path for d in now}, digest))
            found += [d for d in now if d not in known]
        for _, context in (after, before):
            context.forget(fresh.values())  # a deal asked about its prior deal left its keys there
    return found


def _judged(root: Path, schema: Schema, fresh: dict[str, Record], state: tuple[list[Record], GateContext],
            only: set[str], digest) -> list[Diagnostic]:
    """check_workspace of the records at `only` in one state, with `fresh` in place of their other versions. The
    workspace judged holds them and the records that share an id with them, in the state's order: all that their
    diagnostics read of it (the duplicate-id check), without indexing 100,000 ids for each part."""
    records, context = state
    ids = {fresh.get(record.path, record).id for record in records if record.path in only}
    ids.discard(None)
    chosen = [fresh.get(record.path, record) for record in records if record.path in only or record.id in ids]
    return check_workspace(Workspace(root, schema, chosen), only, digest, context)


def _imported_at_changes(staged: dict[str, Record], before: dict[str, Record]) -> list[Diagnostic]:
    """`imported_at` exempts a deal from the gates it lived elsewhere: only `import --historical` sets it, when it
    creates the record. A commit that adds or changes it on a record that already existed is an error."""
    found = []
    for path, old in before.items():
        new = staged.get(path)
        if new is None or new.fields.get("imported_at") in (None, old.fields.get("imported_at")):
            continue
        line, column = new.where("imported_at")
        found.append(Diagnostic(path, line, column, "error", "imported-at",
                                "imported_at: added or changed on a record that already existed; only "
                                "'funnel import --historical' sets it, on the records it creates"))
    return found


def _related(schema: Schema, records: list[Record], changed: set[str], after: tuple[GateContext, list[Record]],
             before: tuple[GateContext, list[Record]]) -> set[str]:
    """Unchanged records whose judgement a change may alter: the same id, a reference to a changed record's id,
    a deal of the same counterparty (the repeat-client rule) after or before the change."""
    groupings = prior_deal_groupings(schema)
    related: set[str] = set()
    for context, versions in (after, before):
        for record in versions:
            related.update(deal.path for deal in context.counterparty_deals(record, groupings))
    new_versions, old_versions = after[1], before[1]
    ids = {record.id for record in new_versions + old_versions if record.id is not None}
    references = {kind: [name for name, spec in schema.kind(kind).fields.items() if spec.type == "contact"]
                  for kind in ("contact", "deal")}
    for record in records:
        if record.path in changed:
            continue
        if record.id in ids or any(record.fields.get(name) in ids for name in references[record.kind]):
            related.add(record.path)
    return related - changed
