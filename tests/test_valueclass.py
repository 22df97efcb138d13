"""`@valueclass` gives what `@dataclass` gave funnel's value classes: the same fields, equality, hashing, repr
and immutability; and every class that moved from one to the other keeps its contract."""

from __future__ import annotations

import copy
import dataclasses
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import ClassVar

import pytest

from conftest import CONTACT, REFERENCE_SCHEMA, full_deal
from funnel.frontmatter.editing import _Entry, _Style
from funnel.frontmatter.reader import ParsedText, Problem, parse_record_text
from funnel.git.commit import Committer
from funnel.git.repo import FileChange, LoggedCommit, Repository
from funnel.importing.importer import Planned
from funnel.importing.sources import Row
from funnel.model.checks import CheckRun, Diagnostic, from_problem
from funnel.model import conditions as c
from funnel.model.records import Record, Workspace
from funnel.model.schema import CardEntry, FieldSpec, Kind, Requirement, Schema, Stage, parse_schema
from funnel.model.timeline import Timeline, Visit, pipeline_of
from funnel.store.paths import Stray
from funnel.store.workspace import workspace_from_files
from funnel.valueclass import FrozenInstanceError, field, fields, valueclass
from funnel.model.gates import GateContext, Unmet
from funnel.views.board import BoardCard, BoardColumn
from funnel.views.cards import CardField
from funnel.views.checking import CheckOutcome
from funnel.views.listing import Listing
from funnel.views.query import Column, Where, column, parse_where
from funnel.views.reports import Inputs, Period, PeriodError
from funnel.writing.batch import NewRecord, RecordUpdate
from funnel.writing.writes import Edit, WriteResult


def shapes(decorate, make_field, frozen: bool, order: bool):
    """The same class bodies under `decorate` (dataclass or valueclass): a base with defaults, a factory, a
    field __init__ does not take, one its repr leaves out, a ClassVar and __post_init__, and a subclass that
    adds a field and overrides a default."""
    made = []

    @decorate(frozen=frozen, order=order)
    class Base:
        name: str
        size: int = 1
        tags: list = make_field(default_factory=list)
        log: list = make_field(default_factory=list, init=False, repr=False)
        label: str = make_field(default="x", repr=False)
        unit: ClassVar[str] = "pcs"

        def __post_init__(self):
            made.append(self.name)

    @decorate(frozen=frozen, order=order)
    class Child(Base):
        size: int = 2
        note: str | None = None

    return Base, Child, made


def observe(Base, Child, made) -> list:
    """What a user of the classes can see of them, as plain values (class names left out)."""
    seen = []

    def attempt(action):
        try:
            return ("ok", action())
        except Exception as exc:  # noqa: BLE001 - the exception's type and text are what is compared
            return (type(exc).__mro__[1].__name__ if type(exc).__name__ == "FrozenInstanceError"
                    else type(exc).__name__, str(exc).split("__init__() ")[-1])

    a, b = Base("a"), Base("a", 1, [])
    child = Child("c", note="n")
    seen += [repr(a), repr(child), a == b, a != b, a == Base("b"), a == child, a == ("a", 1, []), made]
    seen += [a.tags is not Base("x").tags, a.log, a.log is not b.log, Base.unit, Base.label, hasattr(Base, "tags"),
             hasattr(Base, "log"), Base.size, Child("c", label="y") == Child("c")]
    seen += [attempt(lambda: [v.name for v in sorted([Base("b"), Base("a", 2), Base("a")])]),
             attempt(lambda: Base("a") <= Base("a")), attempt(lambda: Base("b") > Base("a", 5)),
             attempt(lambda: Base("a") >= Child("a")), attempt(lambda: Base("a") < ("a",))]
    seen += [attempt(lambda: hash(a) == hash(b)), attempt(lambda: hash(Base("a", 1, ())) == hash(Base("a", 1, ())))]
    seen += [attempt(lambda: setattr(a, "name", "z")), a.name, attempt(lambda: delattr(a, "size")), a.size]
    seen += [attempt(lambda: setattr(a, "other", 1)), attempt(lambda: Base()),
             attempt(lambda: Base("a", 1, [], "l", 2)), attempt(lambda: Base("a", nope=1)),
             attempt(lambda: Base("a", name="b")), attempt(lambda: Base("a", log=[]))]
    seen += [Child.__match_args__, attempt(lambda: copy.copy(child) == child), attempt(lambda: copy.deepcopy(a) == a)]
    return seen


@pytest.mark.parametrize("frozen", [True, False])
@pytest.mark.parametrize("order", [True, False])
def test_valueclass_behaves_as_dataclass(frozen, order):
    expected = observe(*shapes(dataclasses.dataclass, dataclasses.field, frozen, order))
    assert observe(*shapes(valueclass, field, frozen, order)) == expected
    Base, Child, _ = shapes(valueclass, field, frozen, order)
    twin = shapes(dataclasses.dataclass, dataclasses.field, frozen, order)[1]
    assert fields(Child) == tuple(f.name for f in dataclasses.fields(twin))
    assert fields(Child) == ("name", "size", "tags", "log", "label", "note")  # the base's first, in their places


def test_valueclass_refuses_what_dataclass_refuses():
    with pytest.raises(ValueError, match="mutable default"):
        @valueclass
        class Mutable:
            items: list = []  # noqa: RUF012 - the mistake under test
    with pytest.raises(TypeError, match="non-default argument 'late'"):
        @valueclass
        class Order:
            early: int = 0
            late: int
    with pytest.raises(TypeError, match="__hash__"):
        @valueclass(frozen=True)
        class OwnHash:
            value: int

            def __hash__(self):
                return 0


def test_a_class_keeps_the_methods_it_writes_itself():
    @valueclass(frozen=True)
    class Own:
        value: int

        def __init__(self, text: str):
            object.__setattr__(self, "value", int(text))

        def __repr__(self):
            return "own"

    assert Own("7").value == 7 and repr(Own("7")) == "own" and Own("7") == Own("07") and hash(Own("7")) == hash((7,))


# The classes that were frozen dataclasses, and whether their values hash (a dict field makes one unhashable).
FROZEN = {cls: True for cls in (c.Present, c.Equals, c.MinCount, c.AnyOf, c.Compare, c.All, c.AnyHolds, c.Not,
                                c.PriorDeal, Requirement, Stage, CardEntry, Visit, Stray, Period, Unmet,
                                Diagnostic, Repository, FileChange)}
# a FieldSpec holds dicts, and so does everything holding one; a list is no key either
FROZEN.update({cls: False for cls in (FieldSpec, Kind, Schema, Record, Column, Where, Listing, CardField,
                                      CheckOutcome, Edit, WriteResult)})
# plain dataclasses: never hashable
CHANGEABLE = (Problem, ParsedText, Workspace, BoardCard, BoardColumn, Inputs, CheckRun, LoggedCommit, Committer,
              _Style, _Entry, Row, NewRecord, RecordUpdate, Planned)


def conditions_in(condition):
    yield condition
    for part in getattr(condition, "parts", ()) + ((condition.part,) if isinstance(condition, c.Not) else ()):
        yield from conditions_in(part)


@pytest.fixture(scope="module")
def instances() -> dict[type, list]:
    """Values of every converted class, made the way funnel makes them: the reference schema, a workspace of one
    contact and one deal read from bytes, its deal's visits, a query, a board column."""
    text = REFERENCE_SCHEMA.read_text(encoding="utf-8")
    nested = "  rules:\n    - code: nested\n      when: {not: {field: owner}}\n      requires: [title]\n"
    schema = parse_schema(text.replace("  rules:\n", nested, 1).encode(), str(REFERENCE_SCHEMA))
    deal = full_deal("d-pump0001", "contract", body="Body.\n")
    workspace = workspace_from_files(Path("/nowhere"), schema, [("contacts/c-ivanov01.md", CONTACT.encode()),
                                                               ("deals/d-pump0001.md", deal.encode())])
    record = workspace.records[1]
    found: dict[type, list] = {}
    values = [schema, schema.contacts, schema.deals, workspace, *workspace.records,
              *[problem for r in workspace.records for problem in r.problems],
              parse_record_text(deal), parse_record_text("---\nid: [\n---\n"),
              *parse_record_text("---\nid: [\n---\n").problems,
              *Timeline(record, pipeline_of(schema)).visits,
              Stray("deals/notes.txt", "warning", "stray-file", "not a record"),
              column(schema, "deal", "amount"), parse_where("amount>=1000", schema, "deal"),
              BoardCard("d-pump0001", "Pump", "Client", "c-ivanov01", "ivanov", Decimal(5), 3, None, 1)]
    values.append(BoardColumn(schema.stages[0], [values[-1]]))
    amount = column(schema, "deal", "amount")
    values += [Listing([{"amount": 1}], [amount], 0, False), CardField(amount.spec, Decimal(1)),
               CheckOutcome([], 2), Period(), Period(until=datetime(2026, 5, 1).date()), Inputs(schema, None),
               Unmet("owner: required", "error", "gate", ("owner",), "lead")]
    values += [Diagnostic("deals/d-pump0001.md", 3, 1, "error", "gate", "owner: required"), CheckRun(workspace,
               GateContext.of(workspace)), Edit({"owner": "ivanov"}, gate="needs"),
               WriteResult("set", "deal", "d-pump0001", record.path, record, record, schema, changed_fields=("owner",)),
               _Style(0, 2, 0), _Entry("owner", None, "ivanov", 3, 3)]
    values += [from_problem(record.path, problem) for problem in values if isinstance(problem, Problem)]
    change = FileChange("M", record.path, record.path, "0" * 39 + "1", None)
    repository = Repository(Path("/nowhere"), Path("/nowhere/.git"), "")
    values += [NewRecord("contact", {"name": "Иванов"}, origin=2), RecordUpdate(record, {"owner": "petrova"}),
               Planned("update", 2, record.id, record.path, ["owner"])]
    values += [change, repository, Committer(repository), Row(2, {"name": "Иванов"}),
               LoggedCommit("1" * 40, datetime(2026, 3, 14, tzinfo=timezone.utc), "me", "deal d-pump0001", [change])]
    values += list(schema.stages)
    for kind in (schema.contacts, schema.deals):
        values += list(kind.fields.values()) + list(kind.card)
    for requirement in (*schema.contacts.requires, *schema.contacts.rules, *schema.deals.requires,
                        *schema.deals.rules, *(held for stage in schema.stages for held in stage.requires)):
        values += [requirement, *conditions_in(requirement.condition)]
        if requirement.when is not None:
            values += list(conditions_in(requirement.when))
    for value in values:
        found.setdefault(type(value), []).append(value)
    return found


def rebuilt(value, **changes):
    """A value made anew from the fields of `value` its __init__ takes (__match_args__), some changed."""
    return type(value)(**{name: changes.get(name, getattr(value, name)) for name in type(value).__match_args__})


def another_value(value) -> tuple[str, object]:
    """A field of `value` and a different value for it that its class still takes (a Period checks its order)."""
    for name in type(value).__match_args__:
        held = getattr(value, name)
        if isinstance(held, date):
            return name, held + timedelta(days=1)
        if isinstance(held, tuple) and held:
            return name, ()
        if held is not None:
            return name, object()
    return fields(value)[0], object()


@pytest.mark.parametrize("cls", list(FROZEN) + list(CHANGEABLE), ids=lambda cls: cls.__qualname__)
def test_each_converted_class_keeps_its_contract(cls, instances):
    assert cls in instances, f"no {cls.__qualname__} among the values funnel made"
    for value in instances[cls]:
        twin = rebuilt(value)
        assert twin == value and not (twin != value) and twin is not value
        first = fields(value)[0]
        changed, new = another_value(value)
        other = rebuilt(value, **{changed: new})
        assert other != value  # equal by value: one field differs, the values differ
        assert value != tuple(getattr(value, name) for name in fields(value))  # and only to its own class
        shown = repr(value)
        assert shown.startswith(cls.__qualname__ + "(") and f"{first}={getattr(value, first)!r}" in shown
        if cls in FROZEN:
            before = getattr(value, first)
            with pytest.raises(FrozenInstanceError, match=f"cannot assign to field '{first}'"):
                setattr(value, first, None)
            with pytest.raises(AttributeError):
                delattr(value, first)
            assert getattr(value, first) is before
            if FROZEN[cls]:
                assert hash(twin) == hash(value) and {value: 1}[twin] == 1
            else:
                with pytest.raises(TypeError, match="unhashable"):
                    hash(value)
        else:
            with pytest.raises(TypeError, match="unhashable"):
                hash(value)
            setattr(twin, changed, new)
            assert twin == other and twin != value


WRITTEN_OUT = [cls for cls in (*FROZEN, *CHANGEABLE) if "__init__" in cls.__dict__]  # made by the thousand


@pytest.mark.parametrize("cls", WRITTEN_OUT, ids=lambda cls: cls.__qualname__)
def test_an_init_written_out_agrees_with_the_declared_fields(cls, instances):
    assert {Record, ParsedText, Problem, Visit, Unmet, Diagnostic, BoardCard, Row, NewRecord, RecordUpdate,
            Planned} <= set(WRITTEN_OUT)
    value = instances[cls][0]
    declared = cls.__value_fields__
    assert cls(*(getattr(value, name) for name in cls.__match_args__)) == value  # positions in the declared order
    required = {name: getattr(value, name) for name, spec in declared.items() if not spec.optional}
    made, again = cls(**required), cls(**required)
    for name, spec in declared.items():
        assert getattr(made, name) == (spec.make() if spec.optional else required[name]), name
        if spec.factory is not None:
            assert getattr(made, name) is not getattr(again, name), name  # made anew for each value


def test_hash_and_equality_reach_into_nested_conditions():
    when = c.AnyHolds((c.Not(c.Present("owner")), c.All((c.Present("owner"), c.AnyOf(("title",))))))
    same = c.AnyHolds((c.Not(c.Present("owner")), c.All((c.Present("owner"), c.AnyOf(("title",))))))
    assert when == same and hash(when) == hash(same) and len({when, same}) == 1
    assert when != c.All(when.parts)  # same fields, another class
    assert repr(c.Not(c.Present("owner"))) == "Not(part=Present(field='owner'))"
    assert repr(Stage("lead", "Lead", 0)) == ("Stage(id='lead', label='Lead', index=0, probability=0.0, rot_days=None, "
                                             "optional=False, terminal=None, requires=())")


def test_what_a_repr_leaves_out_and_an_init_does_not_take(instances):
    result = instances[WriteResult][0]
    shown = repr(result)
    assert "before=" not in shown and "schema=" not in shown and "changed_fields=('owner',)" in shown
    run = instances[CheckRun][0]
    assert run._fields == {} and "_fields" not in repr(run) and "_fields" in fields(run)
    assert run.fields_of("deal", lambda fieldtype: fieldtype.is_number) and run._fields != {}


def test_a_frozen_value_in_slots_copies_and_sorts():
    errors = [Diagnostic("deals/b.md", 1, 1, "error", "gate", "b"), Diagnostic("deals/a.md", 9, 1, "error", "x", "a"),
              Diagnostic("deals/a.md", 2, 5, "error", "gate", "c")]
    assert [d.message for d in sorted(errors)] == ["c", "a", "b"]
    assert copy.copy(errors[0]) == errors[0] and copy.deepcopy(errors) == errors and not hasattr(errors[0], "__dict__")


def test_post_init_still_checks_and_factories_still_make():
    with pytest.raises(PeriodError, match="is after --until"):
        Period(datetime(2026, 5, 2).date(), datetime(2026, 5, 1).date())
    assert Inputs(None, None).period == Period() and Inputs(None, None).period is not Inputs(None, None).period


def test_derived_values_still_cache_on_frozen_values():
    spec = FieldSpec("amount", "decimal", "Amount")
    assert spec.fieldtype is spec.fieldtype  # cached_property writes the instance's __dict__ past the frozen guard
    record = Record("deal", "deals/d-x.md", {"id": "d-x"})
    assert record.id == "d-x" and record.unknown == {} and record.unknown is not Record("deal", "p", {}).unknown
    moment = datetime(2026, 3, 14, tzinfo=timezone.utc)
    assert Visit(Stage("lead", "Lead", 0), moment, None).days() is None
