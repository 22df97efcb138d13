"""One object per field type of the schema language: everything funnel knows about a type, in one place.

A field's type (`spec.fieldtype`, a FieldType bound to its FieldSpec) is the one place for:

- `read(raw, typing, path, shown)`: a value from a record's YAML (always text, lists or mappings: the reader
  guesses nothing), problems reported with positions through `typing`;
- `parse(text)`: a value from a command line, a `--where` or a CSV cell (`InvalidValue` naming the field);
- `to_plain(value)` / `from_plain(plain)`: the plain form (str, int, list, dict) for JSON and the cache;
- `lines(value, view)` and `cell(value)`: the value as card lines and as one short cell of text;
- `matches(actual, op, wanted)` and `where_refusal(op)`: comparison and ordering for `--where`;
- `splits`: whether `report --by` may split on it; `equal(a, b)`: equality for diff and merge;
- what schema.yaml may say about it (`takes_options`, `takes_min`, `is_list`, `is_number`, `nestable`).

Adding a type is adding one class here and naming it in TYPES. Nothing else branches on a type's name.
Numbers and dates are ASCII digits only (`١٢٣` and `１２３` are not numbers), decimals are written in plain
positional notation (never `1E-7`), and a date is read one way everywhere: YYYY-MM-DD.
"""

from __future__ import annotations

import json
import operator
import re
from datetime import date, datetime
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, localcontext
from functools import cached_property
from typing import Any, ClassVar, Iterable, Protocol

from ..errors import FunnelError
from .matching import did_you_mean, find_option

DECIMAL = re.compile(r"[-+]?[0-9]+(\.[0-9]+)?\Z")
INTEGER = re.compile(r"[-+]?[0-9]+\Z")
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"
                       r"(Z|[+-][0-9]{2}:?[0-9]{2})\Z")
SHA256 = re.compile(r"[0-9a-f]{64}\Z")
PHONE_CHARS = re.compile(r"[0-9 +\-().]+\Z")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.][^@\s]*\Z")

COMPARE = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
           ">": operator.gt, ">=": operator.ge}


class InvalidValue(FunnelError, ValueError):
    """A value that does not fit its field (command line, `--where`, a CSV cell); the message names the field."""


# -- the readings every type shares ------------------------------------------------------------------------

def read_decimal(text: str) -> Decimal | None:
    """`1250000.50` → Decimal('1250000.50'); None for anything else (exponents, `١٢٣`, `1,5`)."""
    return Decimal(text) if DECIMAL.match(text) else None


def read_integer(text: str) -> int | None:
    return int(text) if INTEGER.match(text) else None


def read_date(text: str) -> date | None:
    """The one reading of a date, for files, the command line, `--since`, FUNNEL_TODAY: YYYY-MM-DD."""
    if not DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_date(text: str, what: str = "date") -> date:
    """`read_date` or InvalidValue naming `what`."""
    value = read_date(text)
    if value is None:
        raise InvalidValue(f"{what}: '{text}' is not a date YYYY-MM-DD")
    return value


def read_timestamp(text: str) -> datetime | None:
    """An ISO 8601 moment with its offset (`2026-03-14T10:02:00+03:00`), else None."""
    if not TIMESTAMP.match(text):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def plain_decimal(value: Decimal) -> str:
    """A decimal in plain positional notation, every digit kept: `0.0000001`, never `1E-7`."""
    return format(value, "f")


# Decimal's default context keeps 28 significant digits: 12345678901234567890123456789 + 0.01 would round.
# Sums and products of amounts are computed in a context that never rounds (the C decimal stores only the
# digits a result has); nothing here divides, which could need infinitely many.
EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)


def exact_sum(values: Iterable[Decimal | None]) -> Decimal:
    """The sum of the amounts (None skipped), every digit kept at any size."""
    with localcontext(EXACT):
        return sum((value for value in values if value is not None), Decimal(0))


def exact_product(value: Decimal, factor: Decimal) -> Decimal:
    """`value × factor` with every digit kept, without the trailing zeros the multiplication added."""
    with localcontext(EXACT):
        product = value * factor
        if product == product.to_integral_value():
            return product.quantize(Decimal(1))
        return product.normalize()


def grouped_amount(value: Decimal | None, empty: str = "—") -> str:
    """An exact amount for people: every digit kept, thousands grouped by spaces (1 250 000.50)."""
    if value is None:
        return empty
    # plain_decimal's positional digits, grouped in threes by Decimal's own formatting (C, a list's hot path)
    return format(value, ",f").replace(",", " ")


def labelled(label: str | None, value: str) -> str:
    """An option or stage as a person reads it: its label, with the id beside it when the label is not just
    the id spelled out (so `Website`, `Lost`, but `Banned at the finance/legal check (finance_ban)`) — the id
    is what `--where` and `funnel set` take."""
    if not label or label == value:
        return value
    if label.casefold().replace(" ", "_").replace("-", "_") == value.replace("-", "_"):
        return label
    return f"{label} ({value})"


def _shape(raw) -> str:
    return "a list" if isinstance(raw, list) else "a mapping" if isinstance(raw, dict) else f"'{raw}'"


def _show(raw) -> str:
    return _shape(raw) if not isinstance(raw, str) else f"'{raw}'"


class Typing(Protocol):
    """What reading a record's YAML gives a type: where to report a problem, and the stages that exist."""

    def problem(self, path, code: str, message: str) -> None: ...

    def value_path(self, path): ...

    def known_stage(self, stage_id: str) -> bool: ...


class CardView(Protocol):
    """What a card needs beyond the value: how a stage and a contact read to a person."""

    def stage_text(self, stage_id: str) -> str: ...

    def contact_text(self, contact_id: str) -> str: ...


# -- the types --------------------------------------------------------------------------------------------

class FieldType:
    """A field type bound to one field's declaration (`spec`: name, label, options, subfields, minimum)."""

    name: ClassVar[str]
    declarable: ClassVar[bool] = True  # schema.yaml may declare a field of this type
    takes_options: ClassVar[bool] = False  # `options:` in schema.yaml
    schema_options: ClassVar[str | None] = None  # options filled from the schema: "stages" or "loss_reasons"
    takes_min: ClassVar[bool] = False  # `min:` in schema.yaml (numbers)
    has_subfields: ClassVar[bool] = False  # `fields:` and `requires:` in schema.yaml (a list of objects)
    is_number: ClassVar[bool] = False  # a `compare` operand; right-aligned in a table
    is_list: ClassVar[bool] = False  # `{field: F, min: N}` counts its items
    itemized: ClassVar[bool] = False  # a change reads item by item (added, removed, changed): lists of records
    nestable: ClassVar[bool] = True  # may be a field of an `objects` item
    splits: ClassVar[bool] = False  # `report --by` may split on it
    references: ClassVar[str | None] = None  # the kind of record a value names ("contact")
    holds_files: ClassVar[bool] = False  # values name files in the workspace (check reads them)

    def __init__(self, spec):
        self.spec = spec

    # reading ------------------------------------------------------------------------------------------------
    def read(self, raw, typing: Typing, path: tuple, shown: str) -> Any:
        """The typed value of `raw` (not None) from YAML, or None with a problem reported."""
        raise NotImplementedError

    def parse(self, text: str) -> Any:
        """The typed value of a non-empty `text` from the command line or a CSV cell."""
        raise InvalidValue(f"{self.spec.name}: cannot be set from the command line")

    # plain form ----------------------------------------------------------------------------------------------
    def to_plain(self, value):
        return value

    def from_plain(self, plain):
        return plain

    def from_plain_column(self, plains: list) -> list:
        """A whole column from plain form (None: the record does not hold the field)."""
        from_plain = self.from_plain
        return [None if plain is None else from_plain(plain) for plain in plains]

    # JSON output writes a text as is, a decimal as its plain digits, a date or timestamp in ISO 8601
    # (output.to_json_value): for most types that is their plain form already
    plain_is_json: ClassVar[bool] = False

    def json_column(self, plains: list) -> list | None:
        """A whole column as JSON output holds its values (output.to_json_value of each typed value), straight
        from plain form, so a list of 10,000 records types nothing; None when this type cannot say so."""
        return plains if self.plain_is_json else None

    # text ------------------------------------------------------------------------------------------------
    def cell(self, value) -> str:
        """The value as one short piece of text (an item of a list of objects)."""
        return str(value)

    def lines(self, value, view: CardView) -> list[str]:
        """The value as the lines of a card."""
        return [self.cell(value)]

    def item_text(self, item, view: CardView) -> str:
        """One item of a list value as one line (a diff's added or removed item, a textconv list line)."""
        return self.cell(item)

    # --where ---------------------------------------------------------------------------------------------
    def where_refusal(self, op: str, name: str) -> str | None:
        """Why `NAME OP VALUE` (VALUE not empty; NAME the field as the person wrote it) cannot be asked, or None."""
        return None

    def matches(self, actual, op: str, wanted) -> bool:
        """Whether a non-blank `actual` satisfies `op wanted`."""
        try:
            return COMPARE[op](actual, wanted)
        except TypeError:  # a value typed differently from the field (an invalid record): no match
            return op == "!="

    # diff and merge ----------------------------------------------------------------------------------------
    def equal(self, a, b) -> bool:
        """Whether two values of this field say the same thing (None: the field is not there)."""
        return a == b


class TextLike(FieldType):
    """One string; what it may hold is up to the subclass (`problem_with`)."""

    described: ClassVar[str] = "a string"  # "expected a string, not a list"
    plain_is_json = True

    def problem_with(self, text: str) -> tuple[str, str] | None:
        """(code, message) when `text` is not a valid value, else None."""
        return None

    keeps_invalid: ClassVar[bool] = True  # a malformed phone stays in the record (with its problem)

    def read(self, raw, typing, path, shown):
        if not isinstance(raw, str):
            typing.problem(typing.value_path(path), "type", f"{shown}: expected {self.described}, not {_shape(raw)}")
            return None
        problem = self.problem_with(raw)
        if problem is not None:
            typing.problem(typing.value_path(path), problem[0], f"{shown}: {problem[1]}")
            return raw if self.keeps_invalid else None
        return raw

    def parse(self, text):
        problem = self.problem_with(text)
        if problem is not None:
            raise InvalidValue(f"{self.spec.name}: {problem[1]}")
        return text

    def from_plain_column(self, plains):
        return plains

    def lines(self, value, view):
        if isinstance(value, str):
            return value.rstrip("\n").splitlines() or ["—"]
        return [str(value)]


class StringType(TextLike):
    name = "string"
    splits = True


class TextType(TextLike):
    name = "text"
    described = "text"


class EmailType(TextLike):
    name = "email"
    described = "an e-mail address"

    def problem_with(self, text):
        return None if EMAIL.match(text) else ("type", f"'{text}' is not an e-mail address")


class PhoneType(TextLike):
    name = "phone"
    described = "a phone number"

    def problem_with(self, text):
        if PHONE_CHARS.match(text) and 7 <= sum(ch.isdigit() for ch in text) <= 15:
            return None
        return "type", f"'{text}' is not a phone number (digits, spaces and + - ( ) ., 7 to 15 digits)"


class ContactType(TextLike):
    name = "contact"
    described = "a contact id"
    splits = True
    references = "contact"

    def lines(self, value, view):
        return [view.contact_text(value)]


def unknown_option(text: str, options) -> str:
    """"'leed' is not one of lead, needs, …; did you mean 'lead'?": one message for every option list."""
    return f"'{text}' is not one of {', '.join(options)}{did_you_mean(text, options)}"


class ChoiceType(TextLike):
    """One of the field's options; `<` and `>` follow the options' order in the schema."""

    name = "choice"
    described = "one option"
    takes_options = True
    splits = True
    keeps_invalid = False
    unknown_code: ClassVar[str] = "choice"

    def problem_with(self, text):
        if text in self.spec.options:
            return None
        return self.unknown_code, unknown_option(text, self.spec.options)

    def parse(self, text):
        """An option as a person types it: another case, NFD, full-width or stray spaces name it too."""
        option = find_option(text, self.spec.options)
        if option is None:
            raise InvalidValue(f"{self.spec.name}: {unknown_option(text, self.spec.options)}")
        return option

    def cell(self, value):
        return labelled(self.spec.options.get(value), value)

    def lines(self, value, view):
        return [self.cell(value)]

    @cached_property
    def order(self) -> dict[str, int]:
        return {option: index for index, option in enumerate(self.spec.options)}

    def matches(self, actual, op, wanted):
        if op in ("=", "!="):
            return super().matches(actual, op, wanted)
        if actual not in self.order:
            return False
        return COMPARE[op](self.order[actual], self.order[wanted])


class LossReasonType(ChoiceType):
    name = "loss_reason"
    described = "a loss reason"
    takes_options = False
    schema_options = "loss_reasons"
    unknown_code = "unknown-loss-reason"


class StageType(ChoiceType):
    name = "stage"
    described = "a stage id"
    takes_options = False
    schema_options = "stages"
    unknown_code = "unknown-stage"

    def lines(self, value, view):
        return [view.stage_text(value)]


class NumberLike(FieldType):
    """A number or a date: one exact textual form, an optional minimum (`min:` in schema.yaml)."""

    form: ClassVar[str]  # how a message describes the form

    def read_text(self, text: str):
        raise NotImplementedError

    def below_minimum(self, value) -> bool:
        minimum = getattr(self.spec, "minimum", None)
        return minimum is not None and value < minimum

    def read(self, raw, typing, path, shown):
        value = self.read_text(raw) if isinstance(raw, str) else None
        if value is None:
            typing.problem(typing.value_path(path), "type", f"{shown}: expected {self.form}, not {_show(raw)}")
            return None
        if self.below_minimum(value):
            typing.problem(typing.value_path(path), "min", f"{shown}: must be at least {self.spec.minimum}, not {raw}")
            return None
        return value

    def parse(self, text):
        value = self.read_text(text)
        if value is None:
            raise InvalidValue(f"{self.spec.name}: '{text}' is not {self.form}")
        if self.below_minimum(value):
            raise InvalidValue(f"{self.spec.name}: must be at least {self.spec.minimum}, not {text}")
        return value


class DecimalType(NumberLike):
    plain_is_json = True
    name = "decimal"
    form = "a decimal number like 1250000.50"
    takes_min = True
    is_number = True

    def read_text(self, text):
        return read_decimal(text)

    def to_plain(self, value):
        return plain_decimal(value)

    def from_plain(self, plain):
        return Decimal(plain)

    def from_plain_column(self, plains):
        return [None if plain is None else Decimal(plain) for plain in plains]

    def cell(self, value):
        return grouped_amount(value)


class IntegerType(NumberLike):
    plain_is_json = True
    name = "integer"
    form = "a whole number"
    takes_min = True
    is_number = True

    def read_text(self, text):
        return read_integer(text)

    def from_plain_column(self, plains):
        return plains


class DateType(NumberLike):
    plain_is_json = True
    name = "date"
    form = "a date YYYY-MM-DD"

    def read_text(self, text):
        return read_date(text)

    def to_plain(self, value):
        return value.isoformat()

    def from_plain(self, plain):
        return date.fromisoformat(plain)

    def from_plain_column(self, plains):
        fromiso = date.fromisoformat
        return [None if plain is None else fromiso(plain) for plain in plains]

    def cell(self, value):
        return value.isoformat()


class TimestampType(NumberLike):
    """A moment with its offset (`2026-03-14T10:02:00+03:00`): the built-in `imported_at`. Written by funnel only."""

    plain_is_json = True
    name = "timestamp"
    form = "a timestamp with offset like 2026-03-14T10:02:00+03:00"
    declarable = False

    def read_text(self, text):
        return read_timestamp(text)

    def to_plain(self, value):
        return value.isoformat()

    def from_plain(self, plain):
        return datetime.fromisoformat(plain)

    def cell(self, value):
        return value.isoformat()


class MultichoiceType(FieldType):
    """Several of the field's options; `=` on it means "contains", and order does not matter."""

    plain_is_json = True
    name = "multichoice"
    takes_options = True
    is_list = True
    splits = True

    def read(self, raw, typing, path, shown):
        options = self.spec.options
        if not isinstance(raw, list):
            typing.problem(typing.value_path(path), "type",
                           f"{shown}: expected a list of options like [a, b], not {_show(raw)}")
            return None
        items = raw
        odd = [index for index, item in enumerate(items) if not isinstance(item, str)]
        for index in odd:  # `[small, ~]`, `[small, [a]]`: the item, where it is
            item = items[index]
            typing.problem(path + (index,), "type", f"{shown}: item {index + 1} is "
                           f"{'empty' if item is None else _shape(item)}; expected one of the options")
        if odd:
            return None
        for index, item in enumerate(items):
            if item not in options:
                typing.problem(path + (index,), "choice", f"{shown}: {unknown_option(item, options)}")
        return [item for item in items if item in options]

    def parse(self, text):
        """`small,standard`: comma-separated options (each as ChoiceType reads one)."""
        items = []
        for item in (item.strip() for item in text.split(",")):
            if not item:
                continue
            option = find_option(item, self.spec.options)
            if option is None:
                raise InvalidValue(f"{self.spec.name}: {unknown_option(item, self.spec.options)}")
            items.append(option)
        return list(dict.fromkeys(items))

    def from_plain_column(self, plains):
        return plains

    def item_text(self, item, view):
        return self.cell([item])

    def cell(self, value):
        return ", ".join(labelled(self.spec.options.get(item), item) for item in value)

    def where_refusal(self, op, name):
        if op in ("=", "!="):
            return None
        return f"{name} holds several options; use = (contains) or != (does not contain)"

    def matches(self, actual, op, wanted):
        contains = isinstance(actual, list) and all(item in actual for item in wanted)
        return contains if op == "=" else not contains

    def equal(self, a, b):
        if a is None or b is None:
            return a is b
        return set(a) == set(b)


class ListLike(FieldType):
    """A list of items: `--where` asks only whether it is empty."""

    is_list = True
    itemized = True
    nestable = False

    def where_refusal(self, op, name):
        return f"{name} is a list; only {name}= (empty) and {name}!= (not empty) work on it"

    def lines(self, value, view):
        return [self.cell(item) for item in value]


class ObjectsType(ListLike):
    """A list of small records (`proposals`), each typed by the field's own subfields."""

    name = "objects"
    has_subfields = True

    def read(self, raw, typing, path, shown):
        spec = self.spec
        if not isinstance(raw, list):
            typing.problem(typing.value_path(path), "type",
                           f"{spec.name}: expected a list of {{…}} items, not {_shape(raw)}")
            return None
        items = []
        for index, item in enumerate(raw):
            item_path = path + (index,)
            if not isinstance(item, dict):
                typing.problem(item_path, "type", f"{spec.name}[{index + 1}]: expected {{…}} with "
                                                  f"{', '.join(spec.subfields)}, not {_shape(item)}")
                continue
            typed = {}
            for key, value in item.items():
                sub = spec.subfields.get(key)
                if sub is None:
                    typing.problem(item_path + (key,), "unknown-field", f"{spec.name}[{index + 1}]: unknown field "
                                                                        f"'{key}' (known: {', '.join(spec.subfields)})")
                    continue
                typed[key] = None if value is None else sub.fieldtype.read(
                    value, typing, item_path + (key,), f"{spec.name}[{index + 1}]: {key}")
            missing = [name for name in spec.required_subfields if typed.get(name) in (None, "")]
            if missing:
                typing.problem(item_path, "missing-field", f"{spec.name}[{index + 1}]: {', '.join(missing)} required")
            items.append(typed)
        return items

    def parse(self, text):
        """A JSON list of objects (or one object): `[{"option":"economy","price":890000}]`."""
        spec = self.spec
        items = []
        for index, item in enumerate(_json_objects(spec.name, text), 1):
            typed = {}
            for key, value in item.items():
                sub = spec.subfields.get(key)
                if sub is None:
                    raise InvalidValue(f"{spec.name}[{index}]: unknown field '{key}' "
                                       f"(known: {', '.join(spec.subfields)})")
                if value is None:
                    continue
                if isinstance(value, bool) or isinstance(value, (list, dict)):
                    raise InvalidValue(f"{spec.name}[{index}].{key}: expected a single value")
                if sub.fieldtype.is_number and isinstance(value, (int, Decimal)):
                    value = str(value)
                if not isinstance(value, str):
                    raise InvalidValue(f"{spec.name}[{index}].{key}: expected text")
                if value == "":
                    typed[key] = None
                    continue
                try:
                    typed[key] = sub.fieldtype.parse(value)
                except InvalidValue as exc:
                    raise InvalidValue(f"{spec.name}[{index}].{exc}") from None
            missing = [name for name in spec.required_subfields if typed.get(name) in (None, "")]
            if missing:
                raise InvalidValue(f"{spec.name}[{index}]: {', '.join(missing)} required")
            items.append(typed)
        return items

    def _subtype(self, key):
        sub = self.spec.subfields.get(key)
        return sub.fieldtype if sub is not None else None

    def to_plain(self, value):
        return [{key: item if item is None or self._subtype(key) is None else self._subtype(key).to_plain(item)
                 for key, item in entry.items()} for entry in value]

    def from_plain(self, plain):
        return [{key: item if item is None or self._subtype(key) is None else self._subtype(key).from_plain(item)
                 for key, item in entry.items()} for entry in plain]

    def cell(self, value):
        """One item: its filled subfields, in the schema's order, joined by ` · `."""
        return " · ".join(sub.fieldtype.cell(value[key]) for key, sub in self.spec.subfields.items()
                          if value.get(key) not in (None, ""))

    def lines(self, value, view):
        return [f"{index}. {self.cell(item)}" for index, item in enumerate(value, 1)]

    def equal(self, a, b):
        if a is None or b is None:
            return a is b
        if len(a) != len(b):
            return False
        for left, right in zip(a, b):
            for key in left.keys() | right.keys():
                sub = self._subtype(key)
                same = sub.equal(left.get(key), right.get(key)) if sub is not None else left.get(key) == right.get(key)
                if not same:
                    return False
        return True


class AttachmentsType(ListLike):
    """Files attached to a record: `{path, sha256}` items (written by `funnel attach`)."""

    name = "attachments"
    holds_files = True

    def read(self, raw, typing, path, shown):
        name = self.spec.name
        if not isinstance(raw, list):
            typing.problem(typing.value_path(path), "type",
                           f"{name}: expected a list of {{path, sha256}}, not {_shape(raw)}")
            return None
        items = []
        for index, item in enumerate(raw):
            item_path = path + (index,)
            if not (isinstance(item, dict) and isinstance(item.get("path"), str)):
                typing.problem(item_path, "type", f"{name}[{index + 1}]: expected {{path, sha256}}")
                continue
            digest = item.get("sha256")
            if not (isinstance(digest, str) and SHA256.match(digest)):
                typing.problem(item_path, "type", f"{name}[{index + 1}]: sha256 must be 64 lowercase hex digits")
                digest = None
            extra = set(item) - {"path", "sha256"}
            if extra:
                typing.problem(item_path, "unknown-field", f"{name}[{index + 1}]: unknown field {sorted(extra)[0]!r}")
            items.append({"path": item["path"], "sha256": digest})
        return items

    def parse(self, text):
        data = _json_objects(self.spec.name, text)
        for item in data:
            if set(item) != {"path", "sha256"} or not isinstance(item["path"], str) \
                    or not (isinstance(item["sha256"], str) and SHA256.match(item["sha256"])):
                raise InvalidValue(f"{self.spec.name}: each item is {{\"path\": …, \"sha256\": 64 hex digits}}; "
                                   "use 'funnel attach' to add a file")
        return data

    def item_text(self, item, view):
        return f"{item.get('path', '')} sha256:{item.get('sha256')}"

    def cell(self, value):
        return value.get("path", "")


class HistoryType(ListLike):
    """A deal's moves: `{stage, at}` entries, `at` an ISO 8601 moment with its offset. Written by funnel only."""

    name = "history"
    declarable = False

    def read(self, raw, typing, path, shown):
        if not isinstance(raw, list):
            typing.problem(typing.value_path(path), "type", f"history: expected a list of {{stage, at}}, not {_shape(raw)}")
            return None
        entries = []
        for index, item in enumerate(raw):
            item_path = path + (index,)
            if not isinstance(item, dict) or not isinstance(item.get("stage"), str):
                typing.problem(item_path, "type", f"history[{index + 1}]: expected {{stage: STAGE, at: TIMESTAMP}}")
                continue
            stage = item["stage"]
            if not typing.known_stage(stage):
                typing.problem(item_path + ("stage",), "unknown-stage", f"history[{index + 1}]: unknown stage '{stage}'")
            at = item.get("at")
            moment = read_timestamp(at) if isinstance(at, str) else None
            if moment is None:
                typing.problem(item_path + ("at",), "type", f"history[{index + 1}]: 'at' must be an ISO 8601 "
                                                            f"timestamp with offset, like 2026-03-14T10:02:00+03:00, "
                                                            f"not {_show(at)}")
            entries.append({"stage": stage, "at": moment})
        return entries

    def to_plain(self, value):
        return [(entry.get("stage"), entry["at"].isoformat() if entry.get("at") is not None else None)
                for entry in value]

    def from_plain(self, plain):
        fromiso = datetime.fromisoformat
        return [{"stage": stage, "at": None if at is None else fromiso(at)} for stage, at in plain]

    def from_plain_column(self, plains):
        fromiso = datetime.fromisoformat
        return [None if row is None else
                [{"stage": stage, "at": None if at is None else fromiso(at)} for stage, at in row]
                for row in plains]

    def json_column(self, plains):
        return [None if row is None else [{"stage": stage, "at": at} for stage, at in row] for row in plains]

    def item_text(self, item, view):
        return self.lines([item], view)[0]

    def lines(self, value, view):
        return [f"{entry['at'].isoformat(sep=' ', timespec='minutes') if entry.get('at') else '?'}  "
                f"{view.stage_text(entry.get('stage') or '?')}" for entry in value]


def _json_objects(name: str, text: str) -> list[dict]:
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise InvalidValue(f"{name}: not a JSON list of objects ({exc.msg} at character {exc.pos + 1})")
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise InvalidValue(f"{name}: expected a JSON list of objects like '[{{\"option\": …}}]'")
    return data


TYPES: dict[str, type[FieldType]] = {kind.name: kind for kind in (
    StringType, TextType, IntegerType, DecimalType, DateType, EmailType, PhoneType, ChoiceType, MultichoiceType,
    ContactType, ObjectsType, AttachmentsType, LossReasonType, StageType, HistoryType, TimestampType,
)}
# the types a schema.yaml may declare
DECLARABLE = tuple(name for name, kind in TYPES.items() if kind.declarable)


def field_type(spec) -> FieldType:
    """The type of a field declaration (FieldSpec.fieldtype keeps it)."""
    return TYPES[spec.type](spec)
