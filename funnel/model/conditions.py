"""The small condition language of schema.yaml: what a gate requires, when a requirement applies, rules.

A condition is a value with `holds(record, context)` and `describe(kind)`. The same objects serve a stage's
gate, a kind's always-on requirements and consistency rules, so `check` and every writing command agree.

    owner                                   the field holds a non-blank value
    {field: F, equals: V} / {field: F, in: [V, …]}
    {field: F, min: N}                      a list holding at least N items
    {any_of: [F, G]}                        at least one of them holds a value
    {compare: [A, OP, B]}                   A, B a field or a list of fields (summed); OP < <= == != >= >;
                                            holds vacuously while any operand is empty
    {all: […]} {any: […]} {not: C}         combinations (used in `when`)
    {prior_deal: {same: [contact, contact.company]}}
                                            an earlier deal (by first history entry, ties by id) of the same
                                            contact, or of a contact of the same company
"""

from __future__ import annotations

import operator
from decimal import Decimal
from typing import Any, Callable, ClassVar, Iterable, Protocol

from .matching import is_blank as text_is_blank
from ..valueclass import valueclass

OPERATORS = {"<": operator.lt, "<=": operator.le, "==": operator.eq, "!=": operator.ne,
             ">=": operator.ge, ">": operator.gt}


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return text_is_blank(value)  # white space and invisible characters (a zero-width space) only
    if isinstance(value, (list, dict)):
        return not value
    return False


class ConditionReader(Protocol):
    """What parsing a condition of schema.yaml needs from the schema's reader: where to report a problem (with
    the path into schema.yaml), the declared fields, and the reading of nested conditions."""

    requirement: bool  # a requirement (what must hold), not a `when` (where it applies)

    def error(self, path, message: str) -> None: ...

    def known_field(self, name, path): ...  # the FieldSpec, or None after reporting the problem

    def sequence(self, value, path, what: str) -> list: ...

    def mapping(self, value, path, allowed: tuple[str, ...], what: str) -> dict: ...

    def number(self, value, path, what: str, convert, default, minimum=None): ...

    def condition(self, item, path) -> "Condition": ...


# `{KEY: VALUE}` conditions: KEY -> parse(value, path, key, reader), each registered beside its class
PARSERS: dict[str, Callable] = {}


def parses(key: str):
    """Register the decorated condition class's `parse` as the parser of `{key: …}` conditions."""
    def register(cls):
        PARSERS[key] = cls.parse
        return cls
    return register


class Condition:
    fields: tuple[str, ...] = ()  # the fields a message about this condition points at

    def holds(self, record, context) -> bool:
        raise NotImplementedError

    def describe(self, kind) -> str:
        raise NotImplementedError


def field_name(kind, name: str) -> str:
    """`install_address (Installation address)`: the id a person types and the label they read."""
    spec = kind.fields.get(name) if kind is not None else None
    if spec is None or not spec.label or spec.label == name:
        return name
    return f"{name} ({spec.label})"


def option_name(kind, name: str, value: Any) -> str:
    spec = kind.fields.get(name) if kind is not None else None
    label = spec.option_label(value) if spec is not None else None
    return f"{value} ({label})" if label and label != value else f"{value}"


def parse_field_condition(item: dict, path, reader: ConditionReader) -> "Condition":
    """`{field: F}`, `{field: F, equals: V}`, `{field: F, in: [V, …]}`, `{field: F, min: N}`."""
    reader.mapping(item, path, ("field", "equals", "in", "min"), "a condition")
    name = item["field"]
    spec = reader.known_field(name, path + ("field",))
    if "equals" in item or "in" in item:
        values = (item["equals"],) if "equals" in item else tuple(reader.sequence(item.get("in"), path + ("in",), "in"))
        if spec is not None and spec.options:
            for value in values:
                if value not in spec.options:
                    reader.error(path, f"'{value}' is not an option of field '{name}'")
        return Equals(name, values)
    if "min" in item:
        if spec is not None and not spec.fieldtype.is_list:
            reader.error(path + ("min",), f"min goes with a list field; '{name}' is {spec.type}")
        return MinCount(name, reader.number(item["min"], path + ("min",), "min", int, 1, minimum=0))
    return Present(name)


@valueclass(frozen=True)
class Present(Condition):
    field: str

    @property
    def fields(self):
        return (self.field,)

    def holds(self, record, context) -> bool:
        return not is_blank(record.fields.get(self.field))

    def describe(self, kind) -> str:
        return f"{field_name(kind, self.field)}: required"


@valueclass(frozen=True)
class Equals(Condition):
    field: str
    values: tuple

    @property
    def fields(self):
        return (self.field,)

    def holds(self, record, context) -> bool:
        value = record.fields.get(self.field)
        if isinstance(value, list):  # a multi-choice field "equals" an option it contains
            return any(item in self.values for item in value)
        return value in self.values

    def describe(self, kind) -> str:
        wanted = " or ".join(option_name(kind, self.field, value) for value in self.values)
        return f"{field_name(kind, self.field)}: must be {wanted}"


@valueclass(frozen=True)
class MinCount(Condition):
    field: str
    minimum: int

    @property
    def fields(self):
        return (self.field,)

    def holds(self, record, context) -> bool:
        value = record.fields.get(self.field)
        return isinstance(value, list) and len(value) >= self.minimum

    def describe(self, kind) -> str:
        noun = "item" if self.minimum == 1 else "items"
        return f"{field_name(kind, self.field)}: at least {self.minimum} {noun} required"


@parses("any_of")
@valueclass(frozen=True)
class AnyOf(Condition):
    names: tuple[str, ...]

    @property
    def fields(self):
        return self.names

    @classmethod
    def parse(cls, value, path, key, reader):
        names = tuple(reader.sequence(value, path + (key,), key))
        for index, name in enumerate(names):
            reader.known_field(name, path + (key, index))
        return cls(names)

    def holds(self, record, context) -> bool:
        return any(not is_blank(record.fields.get(name)) for name in self.names)

    def describe(self, kind) -> str:
        return " or ".join(field_name(kind, name) for name in self.names) + ": at least one required"


@parses("compare")
@valueclass(frozen=True)
class Compare(Condition):
    left: tuple[str, ...]
    op: str
    right: tuple[str, ...]

    @property
    def fields(self):
        return self.left + self.right

    @classmethod
    def parse(cls, value, path, key, reader):
        if not (isinstance(value, list) and len(value) == 3 and value[1] in OPERATORS):
            reader.error(path + (key,), "compare takes [FIELD, OP, FIELD] with OP one of " + " ".join(OPERATORS))
            return Present("id")
        left, op, right = value
        operands = []
        for side, operand in ((0, left), (2, right)):
            names = tuple(operand) if isinstance(operand, list) else (operand,)
            for name in names:
                spec = reader.known_field(name, path + (key, side))
                if spec is not None and not spec.fieldtype.is_number:
                    reader.error(path + (key, side), f"compare needs number fields; '{name}' is {spec.type}")
            operands.append(names)
        return cls(operands[0], op, operands[1])

    def holds(self, record, context) -> bool:
        left, right = self._total(record, self.left), self._total(record, self.right)
        if left is None or right is None:
            return True
        return OPERATORS[self.op](left, right)

    @staticmethod
    def _total(record, names):
        total = Decimal(0)
        for name in names:
            value = record.fields.get(name)
            if value is None or isinstance(value, (str, list, dict)):
                return None
            total += value
        return total

    def describe(self, kind) -> str:
        return f"{' + '.join(self.left)} {self.op} {' + '.join(self.right)} does not hold"


def _parse_parts(value, path, key, reader) -> tuple[Condition, ...]:
    return tuple(reader.condition(part, path + (key, index))
                 for index, part in enumerate(reader.sequence(value, path + (key,), key)))


@valueclass(frozen=True)
class _Combination(Condition):
    """Conditions joined by `all` or `any`: one shape, its quantifier and its word the only difference."""

    parts: tuple[Condition, ...]
    quantifier: ClassVar[Callable[[Iterable[bool]], bool]]
    word: ClassVar[str]

    @property
    def fields(self):
        return tuple(dict.fromkeys(name for part in self.parts for name in part.fields))

    @classmethod
    def parse(cls, value, path, key, reader):
        return cls(_parse_parts(value, path, key, reader))

    def holds(self, record, context) -> bool:
        # the quantifier's short circuit as a loop (a generator per record and condition costs more than the test)
        if type(self).quantifier is any:
            for part in self.parts:
                if part.holds(record, context):
                    return True
            return False
        for part in self.parts:
            if not part.holds(record, context):
                return False
        return True

    def describe(self, kind) -> str:
        return f" {self.word} ".join(part.describe(kind) for part in self.parts)


@parses("all")
@valueclass(frozen=True)
class All(_Combination):
    """`{all: [C, …]}`: every condition holds."""

    quantifier = all
    word = "and"


@parses("any")
@valueclass(frozen=True)
class AnyHolds(_Combination):
    """`{any: [C, …]}`: at least one of the conditions holds (AnyOf is about fields holding values)."""

    quantifier = any
    word = "or"


@parses("not")
@valueclass(frozen=True)
class Not(Condition):
    part: Condition

    @classmethod
    def parse(cls, value, path, key, reader):
        return cls(reader.condition(value, path + (key,)))

    def holds(self, record, context) -> bool:
        return not self.part.holds(record, context)

    def describe(self, kind) -> str:
        return f"not ({self.part.describe(kind)})"


@parses("prior_deal")
@valueclass(frozen=True)
class PriorDeal(Condition):
    """There is an earlier deal of the same counterparty (see GateContext.earliest_prior_deal)."""

    same: tuple[str, ...]

    @classmethod
    def parse(cls, value, path, key, reader):
        if reader.requirement:
            reader.error(path, "prior_deal is a condition for `when`, not a requirement")
        spec = reader.mapping(value, path + (key,), ("same",), "prior_deal")
        same = tuple(reader.sequence(spec.get("same"), path + (key, "same"), "same"))
        for index, name in enumerate(same):
            if name not in ("contact",) and not (isinstance(name, str) and name.startswith("contact.")):
                reader.error(path + (key, "same", index), "prior_deal compares 'contact' or 'contact.FIELD'")
        return cls(same)

    def holds(self, record, context) -> bool:
        return context is not None and context.earliest_prior_deal(record, self.same) is not None

    def describe(self, kind) -> str:
        return "repeat client"

    def explain(self, record, context) -> str:
        prior = context.earliest_prior_deal(record, self.same) if context is not None else None
        return f"repeat client: earlier deal {prior}" if prior else "repeat client"
