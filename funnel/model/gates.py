"""What a record still lacks: one implementation for `check` and for every writing command.

`unmet_requirements(record, schema, context)` evaluates the kind's own requirements, the gates that apply at
the record's stage, and the consistency rules. Which gates apply (SPEC): every non-optional stage up to and
including the current one, plus the current one's own gate if it is optional; a won deal every non-optional
gate up to `won`; a lost deal the gates that applied at the stage it was lost from (`lost_at`; timeline.py says
how it is read when that is missing) plus `lost`'s.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterable

from . import conditions as c
from .matching import normal_form
from .records import Record
from .schema import Requirement, Schema, Stage
from .timeline import lost_from
from ..valueclass import valueclass


@valueclass(frozen=True)
class Unmet:
    message: str  # "install_address (Installation address): required"
    severity: str  # "error" | "warning"
    code: str  # "gate", "gate-warning" or the rule's own code
    fields: tuple[str, ...]  # the fields the requirement names, to point the message at
    stage: str | None = None  # the stage whose gate this is; None for the kind's own requirements and rules

    def __init__(self, message, severity, code, fields, stage=None):  # one per unmet requirement: written out
        self.__dict__.update(message=message, severity=severity, code=code, fields=fields, stage=stage)


def gate_stages(schema: Schema, stage_id: str | None, lost_from: Stage | None = None) -> list[Stage]:
    """The stages whose gates a deal in `stage_id` must meet, in pipeline order (`lost_from`: the active stage a
    lost deal was lost from, timeline.lost_from)."""
    stage = schema.stage(stage_id) if stage_id else None
    if stage is None:
        return []
    if stage.terminal == "won":
        return list(schema.main_path) + [stage]
    if stage.terminal == "lost":
        before = gate_stages(schema, lost_from.id) if lost_from is not None and lost_from.terminal is None else []
        return before + [stage]
    return [s for s in schema.main_path if s.index < stage.index] + [stage]


def historical_exemption(schema: Schema, record) -> frozenset[str]:
    """The stages whose gates a deal imported with `--historical` is exempt from: every gate that applied at
    the stage it held at import (its last history entry before `imported_at`; an import writes its entries
    before that moment and every later write at or after it), since it lived those stages elsewhere. A stage
    it enters later under funnel is gated as usual."""
    moment = record.fields.get("imported_at")
    if not isinstance(moment, datetime):
        return frozenset()
    held = None
    for entry in record.fields.get("history") or ():
        at = entry.get("at")
        if isinstance(at, datetime) and at < moment:
            held = entry.get("stage")
    stage = schema.stage(held) if isinstance(held, str) else None
    if stage is None:
        return frozenset()
    lost_at = lost_from(record, schema) if stage.terminal == "lost" else None
    return frozenset(s.id for s in gate_stages(schema, held, lost_at))


def unmet_requirements(record, schema: Schema, context: "GateContext | None",
                       stage_id: str | None = None) -> list[Unmet]:
    """Everything `record` fails to satisfy, were it in `stage_id` (default: its own stage)."""
    kind = schema.kind(record.kind)
    unmet: list[Unmet] = []
    for requirement in kind.requires:
        _evaluate(requirement, record, context, kind, None, unmet)
    if record.kind == "deal":
        stage_id = stage_id or record.fields.get("stage")
        target = schema.stage(stage_id) if isinstance(stage_id, str) else None
        lost_at = lost_from(record, schema) if target is not None and target.terminal == "lost" else None
        exempt = historical_exemption(schema, record)
        for stage in gate_stages(schema, stage_id, lost_at):
            if stage.id in exempt:
                continue
            for requirement in stage.requires:
                _evaluate(requirement, record, context, kind, stage.id, unmet)
    for requirement in kind.rules:
        _evaluate(requirement, record, context, kind, None, unmet)
    # "usually three options" says nothing new while "at least one option" is unmet
    failing = {u.fields for u in unmet if u.severity == "error"}
    return [u for u in unmet if u.severity == "error" or u.fields not in failing]


def _evaluate(requirement: Requirement, record, context, kind, stage_id, unmet: list[Unmet]) -> None:
    when = requirement.when
    # a `when` that asks about the other deals (prior_deal) is asked last: a requirement the record meets is met
    # whatever it says, so `check` can judge most records before it has read the others; any other `when` is
    # asked first, as it is the cheaper question (a rule of won deals on a deal in lead)
    asks_others = isinstance(when, c.PriorDeal)
    if when is not None and not asks_others and not when.holds(record, context):
        return
    if requirement.condition.holds(record, context):
        return
    if asks_others and not when.holds(record, context):
        return
    condition = requirement.condition
    described = condition.describe(kind)
    if requirement.severity == "warning" and requirement.message:
        # "proposals (Proposal options): usually three options in different price ranges (has 2)"
        value = record.fields.get(condition.fields[0]) if condition.fields else None
        count = len(value) if isinstance(value, list) else 0
        described = f"{c.field_name(kind, condition.fields[0])}: {requirement.message} (has {count})"
    elif requirement.message:
        described = requirement.message
    if isinstance(requirement.when, c.PriorDeal):
        described += f" — {requirement.when.explain(record, context)}"
    unmet.append(Unmet(described, requirement.severity, requirement.code, tuple(condition.fields), stage_id))


def requirements_naming(schema: Schema, kind_name: str, name: str) -> list[Requirement]:
    """Every requirement of the kind (its own, any stage's gate, its rules) that asks for `name` to hold a value
    (a comparison does not: it holds vacuously while a field is empty)."""
    kind = schema.kind(kind_name)
    requirements = list(kind.requires) + list(kind.rules)
    if kind_name == "deal":
        for stage in schema.stages:
            requirements += stage.requires
    return [requirement for requirement in requirements
            if name in requirement.condition.fields and not isinstance(requirement.condition, c.Compare)]


def excused(record, name: str, schema: Schema, context: "GateContext | None") -> bool:
    """True when the schema asks for `name` but not of this record: every requirement naming it is limited by a
    `when` that does not hold here, or is an `any_of` group another field already satisfies (a first-time
    client's debt check, the e-mail of a contact who gave a phone). A field no requirement names is not excused:
    the schema says nothing about it."""
    naming = requirements_naming(schema, record.kind, name)
    if not naming:
        return False
    for requirement in naming:
        if requirement.when is not None and not requirement.when.holds(record, context):
            continue
        if isinstance(requirement.condition, c.AnyOf) and requirement.condition.holds(record, context):
            continue
        return False
    return True


def normalize_text(value) -> str:
    """Company names compare by their normal form: NFKC, case-folded, invisible characters dropped, white
    space trimmed and collapsed (matching.normal_form), so `Café` typed in NFD is the `Café` of NFC."""
    return normal_form(str(value)) if value is not None else ""


class GateContext:
    """What a gate may need beyond the record itself: the contacts it refers to, the other deals."""

    def __init__(self, contacts: Iterable, deals: Iterable, writing: str | None = None, _keys: dict | None = None,
                 _parent: "GateContext | None" = None):
        self.writing = writing  # the deal a write is judging: ties with it count as prior (SPEC)
        self.contacts = {}
        for contact in contacts:
            if contact.id is not None:
                self.contacts.setdefault(contact.id, contact)
        self.deals = [deal for deal in deals if deal.id is not None]
        self._earliest: dict[tuple, dict] = {}
        # Each deal's counterparty keys, worked out once: a write judges its deal in two contexts (before, after)
        # over the same 10,000 other deals with the same contacts, so `replacing` a deal shares them.
        # (id(deal), same) -> (deal, keys): the deal is held, so its id is never reused while the entry lives.
        self._keys: dict[tuple, tuple] = {} if _keys is None else _keys
        self._members: dict[tuple, dict] = {}  # same -> {group key: [deals]}
        # `replacing` one deal: the parent's indexes, read without the old deal and with the new one
        self._parent = _parent

    @classmethod
    def of(cls, workspace, shared_with: "GateContext | None" = None) -> "GateContext":
        """The context of a workspace's records; `shared_with`: another context over mostly the same deals and
        contacts (the same workspace before a change), whose counterparty keys this one reuses."""
        return cls(workspace.contacts, workspace.deals, _keys=shared_with._keys if shared_with is not None else None)

    @staticmethod
    def summary(record):
        """What a context reads of `record` when it is one of the *other* records (a contact that deals refer to,
        a deal that may be prior to another): a contact's values, a deal's id, contact and first history entry.
        A context of summaries judges a record exactly as one of whole records does, and `check` holds only
        these while it reads a large workspace."""
        fields = record.fields
        if record.kind == "deal":
            fields = {name: fields[name] for name in ("id", "contact") if name in fields}
            history = record.fields.get("history")
            if history:
                fields["history"] = history[:1]
        return Summary(record.kind, record.path, fields, _id_position(record))

    def replacing(self, record) -> "GateContext":
        """The context as it would be once `record` is written (a new or changed record)."""
        if record.kind == "contact":
            contacts = [r for r in self.contacts.values() if r.id != record.id] + [record]
            return GateContext(contacts, self.deals)
        return GateContext(self.contacts.values(), [d for d in self.deals if d.id != record.id] + [record],
                           writing=record.id, _keys=self._keys, _parent=self)

    def forget(self, records) -> None:
        """Drop the counterparty keys worked out for `records` while they were judged (records that are not this
        context's own, e.g. neighbours read again with positions): each entry holds its record, so a caller that
        judges many a part at a time would otherwise keep every part."""
        judged = {id(record) for record in records}
        for key in [key for key in self._keys if key[0] in judged]:
            del self._keys[key]

    def contact_of(self, deal):
        contact_id = deal.fields.get("contact")
        return self.contacts.get(contact_id) if isinstance(contact_id, str) else None

    def _group_keys(self, deal, same: tuple[str, ...]) -> list[tuple]:
        known = self._keys.get((id(deal), same))
        if known is not None and known[0] is deal:
            return known[1]
        contact_id = deal.fields.get("contact")
        keys = self.counterparty_keys(contact_id if isinstance(contact_id, str) else None,
                                      self.contact_of(deal), same)
        self._keys[(id(deal), same)] = (deal, keys)
        return keys

    def _members_of(self, same: tuple[str, ...]):
        """{group key: the deals in that group} (a mapping with `get`)."""
        members = self._members.get(same)
        if members is None:
            if self._parent is not None:
                added = {key: self.deals[-1] for key in self._group_keys(self.deals[-1], same)}
                members = _Replaced(self._parent._members_of(same), self.writing, added, sort=False)
            else:
                members = {}
                for deal in self.deals:
                    for key in self._group_keys(deal, same):
                        members.setdefault(key, []).append(deal)
            self._members[same] = members
        return members

    def _earliest_of(self, same: tuple[str, ...]):
        """{group key: [(started, id)] of its deals, earliest first} (a mapping with `get`)."""
        index = self._earliest.get(same)
        if index is None:
            if self._parent is not None:
                new = self.deals[-1]
                added = {key: (self.started(new), new.id) for key in self._group_keys(new, same)}
                index = _Replaced(self._parent._earliest_of(same), self.writing, added, sort=True)
            else:
                index = {}
                for other in self.deals:
                    entry = (self.started(other), other.id)
                    for group in self._group_keys(other, same):
                        index.setdefault(group, []).append(entry)
                for entries in index.values():
                    entries.sort()
            self._earliest[same] = index
        return index

    @staticmethod
    def counterparty_keys(contact_id: str | None, contact, same: tuple[str, ...]) -> list[tuple]:
        """What makes two deals the same counterparty: the same contact, or equal `contact.FIELD` values
        (trimmed, inner white space collapsed, case-folded; blank never matches)."""
        keys = []
        for name in same:
            if name == "contact":
                if contact_id:
                    keys.append(("contact", contact_id))
            elif name.startswith("contact."):
                value = normalize_text(contact.fields.get(name[8:])) if contact is not None else ""
                if value:
                    keys.append((name, value))
        return keys

    def counterparty_deals(self, record, sames: list[tuple[str, ...]]) -> list:
        """The other deals that share a counterparty with `record` (a deal, or a contact) under any of the
        schema's `prior_deal` groupings: the deals whose gates may read it."""
        groups = set()
        for same in sames:
            if record.kind == "contact":
                groups.update(self.counterparty_keys(record.id, record, same))
            else:
                groups.update(self._group_keys(record, same))
        if not groups:
            return []
        found = {id(deal) for same in sames for key in groups for deal in self._members_of(same).get(key, ())}
        return [deal for deal in self.deals if deal.id != record.id and id(deal) in found]

    def prior_deal_facts(self, deal, sames: list[tuple[str, ...]]) -> tuple:
        """All that another deal's `prior_deal` reads of `deal`: its id, when it started and its counterparty
        keys. A change of a deal that keeps them leaves every other deal's gates as they were."""
        return deal.id, self.started(deal), tuple(tuple(self._group_keys(deal, same)) for same in sames)

    @staticmethod
    def started(deal) -> tuple:
        """When a deal started, for ordering: its first history entry (in UTC); a deal without one comes last
        (and ties with every other such deal)."""
        history = deal.fields.get("history") or []
        first = history[0].get("at") if history else None
        if isinstance(first, datetime):
            return (0, first.astimezone(timezone.utc).isoformat())
        return (1, "")

    def earliest_prior_deal(self, deal, same: tuple[str, ...]) -> str | None:
        """Id of the earliest other deal of the same contact or company that started before `deal` (SPEC):
        in `check` strictly before — a tie is not a prior deal, so adding a deal never turns an existing one
        into a repeat client; for the deal a write judges (`writing`), at or before — the newcomer is the
        repeat client. Among deals that started together, the smallest id is named."""
        index = self._earliest_of(same)
        own = self.started(deal)
        inclusive = deal.id is not None and deal.id == self.writing
        best = None
        for group in self._group_keys(deal, same):
            # the earliest other deal of the group; it is prior or no deal of the group is
            first = next((entry for entry in index.get(group, ()) if entry[1] != deal.id), None)
            if first is None or not (first[0] < own or (inclusive and first[0] == own)):
                continue
            best = first if best is None or first < best else best
        return best[1] if best else None


class _Replaced:
    """A group index of a context where one deal (`removed`, by id) was replaced: the parent's entries without
    it, plus the new deal's (`added`, by group key). Groups are small (one counterparty's deals), so each read
    filters the parent's list instead of copying an index of every deal."""

    def __init__(self, base, removed: str, added: dict, sort: bool):
        self.base, self.removed, self.added, self.sort = base, removed, added, sort

    def get(self, key, default=()):
        entries = [item for item in self.base.get(key, ()) if _id_of(item) != self.removed]
        if key in self.added:
            entries.append(self.added[key])
            if self.sort:
                entries.sort()
        return entries or default


def change_bound(old, new) -> tuple:
    """The earlier start of a deal before (`old`; None for a new deal) and after a change (`new`): only a deal
    that started after it can read the change (prior_deal_readers)."""
    return min(GateContext.started(deal) for deal in (old, new) if deal is not None)


def prior_deal_readers(deals, bound: tuple) -> list:
    """Of `deals` (other deals of a changed deal's counterparties), those whose gates may read the change. A
    deal's prior deal is the earliest other deal of its counterparty that started strictly before it, so for a
    deal that started no later than `bound` (change_bound) the changed deal, before and after, is neither that
    prior deal nor ahead of it: it has the same one, or none, whatever the change."""
    return [deal for deal in deals if GateContext.started(deal) > bound]


class Summary:
    """GateContext.summary of a record: as a Record to a context, to Workspace's index of ids and to the
    duplicate-id check (kind, path, fields, id, where), in a fifth of a Record's memory."""

    __slots__ = ("kind", "path", "fields", "positions", "id")

    def __init__(self, kind: str, path: str, fields: dict, positions: dict):
        self.kind, self.path, self.fields, self.positions = kind, path, fields, positions
        self.id = Record.id.func(self)  # Record's own rule, read once

    where = Record.where


def _id_position(record) -> dict:
    """The position of a record's id, for a message about the id its summary still names (a duplicate id): one
    shared mapping per position (ids stand on line 2 of nearly every file), never changed by a reader."""
    where = record.positions.get(("id",))
    if where is None:
        return _EMPTY
    positions = _ID_POSITIONS.get(where)
    if positions is None:
        positions = _ID_POSITIONS[where] = {("id",): where}
    return positions


_EMPTY: dict = {}  # shared, never changed
_ID_POSITIONS: dict[tuple[int, int], dict] = {}


def _id_of(item) -> str | None:
    return item[1] if isinstance(item, tuple) else item.id


def prior_deal_groupings(schema: Schema) -> list[tuple[str, ...]]:
    """The `same:` lists of every `prior_deal` condition in the schema's deal gates and rules."""
    found: list[tuple[str, ...]] = []

    def visit(condition) -> None:
        if isinstance(condition, c.PriorDeal):
            if condition.same not in found:
                found.append(condition.same)
        for part in getattr(condition, "parts", ()):
            visit(part)
        if isinstance(condition, c.Not):
            visit(condition.part)

    requirements = list(schema.deals.requires) + list(schema.deals.rules)
    for stage in schema.stages:
        requirements += stage.requires
    for requirement in requirements:
        visit(requirement.condition)
        if requirement.when is not None:
            visit(requirement.when)
    return found
