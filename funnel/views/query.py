"""Choosing and reading records for views: `--where` conditions and the columns of `--fields`.

A condition is `FIELD OP VALUE` with OP one of `=` `!=` `<` `<=` `>` `>=`:

- VALUE is read by the field's declared type (values.parse_value, as `funnel set` reads it): decimals and
  integers compare as numbers, dates as dates; a value that does not fit is refused with the field named;
- on `stage` and choice fields `<` and `>` follow the schema's order (`stage>=contract`);
- on a multi-choice field `=` means "contains" (`categories=small`; `categories=small,large` contains both),
  `!=` "does not contain";
- an empty VALUE means the field is empty (`next_action_due=`), `FIELD!=` that it holds a value;
- a deal condition may read its contact: `contact.source=exhibition`;
- computed deal columns are fields too: `client` (company, else the contact's name), `days_in_stage`,
  `stale_days` and `overdue_days` (aging.py), so `days_in_stage>30` works.

A record whose field is empty satisfies only `FIELD=` and `FIELD!=VALUE`.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterable

from ..errors import FunnelError, UsageError
from ..valueclass import valueclass
from ..model import aging
from ..model.matching import close_matches, did_you_mean
from ..model.conditions import is_blank
from ..model.fieldtypes import IntegerType, InvalidValue, StringType
from ..model.records import Record, Workspace
from ..model.schema import OWNER, FieldSpec, Schema
from ..model.values import parse_value

CONDITION = re.compile(r"\s*([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)?)\s*(<=|>=|!=|==|=|<|>)(.*)\Z", re.DOTALL)


class QueryError(FunnelError, ValueError):
    """A condition or a column the view cannot use; one line for the person."""


class WhereSyntaxError(QueryError, UsageError):
    """A condition that is not FIELD OP VALUE at all (a usage error, exit 2)."""


class ViewContext:
    """What reading a record for a view needs besides the record: the workspace (for contacts) and today."""

    def __init__(self, workspace: Workspace, today: date):
        self.workspace = workspace
        self.schema = workspace.schema
        self.today = today

    def contact_of(self, deal: Record) -> Record | None:
        contact_id = deal.fields.get("contact")
        return self.workspace.contact(contact_id) if isinstance(contact_id, str) else None

    def record_body(self, record: Record) -> str:
        """The record's Markdown body (views keep only the front matter): here, from its file."""
        from .cards import record_body

        return record_body(self.workspace.root, record)


@valueclass(frozen=True)
class Column:
    """A name a view can read from a record: a field, `contact.FIELD`, or a computed value."""

    name: str
    spec: FieldSpec
    read: Callable[[Record, ViewContext], Any]
    read_all: Callable[[list[Record], ViewContext], list] | None = None  # `read` of many records, column-wise

    def value(self, record: Record, context: ViewContext) -> Any:
        return self.read(record, context)

    def values(self, records: list[Record], context: ViewContext) -> list:
        """`value` of every record (a view of 10,000 deals reads whole columns of the cache, not 10,000
        mappings)."""
        if self.read_all is not None:
            return self.read_all(records, context)
        return [self.read(record, context) for record in records]


def _field_reader(name: str):
    return lambda record, context: record.fields.get(name)


def _field_column(name: str):
    from ..store.cache import field_values

    return lambda records, context: field_values(records, name)


def _contact_reader(name: str):
    def read(record, context):
        contact = context.contact_of(record)
        return contact.fields.get(name) if contact is not None else None
    return read


def client_name(record: Record, context: ViewContext) -> str | None:
    """Who a deal is with, in a word: the contact's company, else its name (else the contact id)."""
    return client_of(record.fields.get("contact"), context)


def client_of(contact_id, context: ViewContext) -> str | None:
    """`client_name` of a deal whose `contact` is `contact_id`."""
    contact = context.workspace.contact(contact_id) if isinstance(contact_id, str) else None
    if contact is None:
        return contact_id
    company = contact.fields.get("company")
    if isinstance(company, str) and company.strip():
        return company.strip()
    return contact.fields.get("name") or contact.id


def clients(records: list[Record], context: ViewContext) -> list:
    """`client_name` of every deal, each contact looked up once."""
    from ..store.cache import field_values

    contact_ids = field_values(records, "contact")
    try:
        known = {contact_id: client_of(contact_id, context) for contact_id in set(contact_ids)}
    except TypeError:  # a value that is not a text (an invalid deal): no contact to look up
        return [client_of(contact_id, context) for contact_id in contact_ids]
    return list(map(known.__getitem__, contact_ids))


def stages(records: list[Record], context: ViewContext) -> list:
    """The Stage of every deal (None where its `stage` is not one)."""
    from ..store.cache import field_values

    stage_by_id = context.schema.stage_by_id
    return [stage_by_id.get(stage_id) if isinstance(stage_id, str) else None
            for stage_id in field_values(records, "stage")]


def days_in_stage(records: list[Record], context: ViewContext) -> list:
    """`aging.days_in_stage` of every deal, from the date each entered its stage as its summary keeps it (a
    view never decodes the histories)."""
    from ..model.timeline import entered_date
    from ..store.cache import summary_values

    today, since = context.today, aging.days_since
    entered = summary_values(records, "entered", context.schema)
    days = {text: since(entered_date(text), today) for text in set(entered)}  # deals share their dates
    return list(map(days.__getitem__, entered))


def stale_days(records: list[Record], context: ViewContext) -> list:
    """`aging.stale_days` of every deal."""
    return [aging.stale_by(stage, days) for stage, days in zip(stages(records, context),
                                                               days_in_stage(records, context))]


def overdue_days(records: list[Record], context: ViewContext) -> list:
    """`aging.overdue_days` of every deal."""
    from ..store.cache import field_values

    today = context.today
    return [aging.overdue_by(stage, due, today) for stage, due in zip(
        stages(records, context), field_values(records, aging.NEXT_ACTION_DUE))]


COMPUTED = {
    "deal": {
        "client": (FieldSpec("client", StringType.name, "Client"), client_name, clients),
        "days_in_stage": (FieldSpec("days_in_stage", IntegerType.name, "Days"),
                          lambda record, context: aging.days_in_stage(record, context.today), days_in_stage),
        "stale_days": (FieldSpec("stale_days", IntegerType.name, "Stale by"),
                       lambda record, context: aging.stale_days(record, context.schema, context.today), stale_days),
        "overdue_days": (FieldSpec("overdue_days", IntegerType.name, "Overdue by"),
                         lambda record, context: aging.overdue_days(record, context.schema, context.today),
                         overdue_days),
    },
    "contact": {},
}


def column(schema: Schema, kind: str, name: str) -> Column:
    """The column `name` of records of `kind` ('deal' or 'contact'); unknown names are refused with the
    closest known ones."""
    fields = schema.kind(kind).fields
    if name in fields:
        return Column(name, fields[name], _field_reader(name), _field_column(name))
    if name in COMPUTED[kind]:
        return Column(name, *COMPUTED[kind][name])
    head, dot, rest = name.partition(".")
    if kind == "deal" and dot and head == "contact" and rest in schema.kind("contact").fields:
        return Column(name, schema.kind("contact").fields[rest], _contact_reader(rest))
    known = list(fields) + list(COMPUTED[kind])
    close = [] if dot and head == "contact" else close_matches(name, known, 3)
    if kind == "deal":
        contact_fields = list(schema.kind("contact").fields)
        known += [f"contact.{field}" for field in contact_fields]
        # `sorce` and `contact.sorce` both mean the contact's `source`
        close += [f"contact.{field}" for field in close_matches(rest if dot else name, contact_fields, 3)]
    close = list(dict.fromkeys(close))[:3]
    quoted = ", ".join(f"'{word}'" for word in close)
    hint = f"did you mean {quoted}?" if close else f"known: {', '.join(known)}"
    raise QueryError(f"unknown field '{name}' for {kind}s; {hint}")


def columns(schema: Schema, kind: str, names: str) -> list[Column]:
    """The columns of a `--fields A,B` list."""
    chosen = [name.strip() for name in names.split(",") if name.strip()]
    if not chosen:
        raise QueryError("--fields: name at least one field")
    return [column(schema, kind, name) for name in dict.fromkeys(chosen)]


@valueclass(frozen=True)
class Where:
    text: str
    column: Column
    op: str
    value: Any  # typed; None means "empty"

    def holds(self, record: Record, context: ViewContext) -> bool:
        actual = self.column.value(record, context)
        spec = self.column.spec
        if self.value is None:
            return is_blank(actual) if self.op == "=" else not is_blank(actual)
        if is_blank(actual):
            return self.op == "!="
        return spec.fieldtype.matches(actual, self.op, self.value)


def parse_where(text: str, schema: Schema, kind: str) -> Where:
    """One `--where` condition, typed by its field; QueryError (naming the field) when it cannot hold."""
    match = CONDITION.match(text)
    if match is None:
        raise WhereSyntaxError(f"--where '{text}': expected FIELD OP VALUE with OP one of = != < <= > >= "
                           "(e.g. stage>=contract)")
    name, op, raw = match.group(1), match.group(2), match.group(3).strip()
    op = "=" if op == "==" else op
    target = column(schema, kind, name)
    spec = target.spec
    if raw == "":
        if op not in ("=", "!="):
            raise QueryError(f"--where '{text}': an empty value goes only with = (is empty) or != (is not empty)")
        return Where(text, target, op, None)
    refusal = spec.fieldtype.where_refusal(op, name)
    if refusal is not None:
        raise QueryError(f"--where '{text}': {refusal}")
    try:
        value = parse_value(spec, raw)
    except InvalidValue as exc:
        raise QueryError(f"--where '{text}': {exc}") from None
    return Where(text, target, op, value)


def parse_wheres(texts, schema: Schema, kind: str) -> list[Where]:
    return [parse_where(text, schema, kind) for text in texts]


def select(records, conditions: list[Where], context: ViewContext) -> list[Record]:
    """The records meeting every condition."""
    if not conditions:
        return list(records)
    return [record for record in records if all(condition.holds(record, context) for condition in conditions)]


def unmatched_notes(conditions: list[Where], records, context: ViewContext, kind: str) -> list[str]:
    """A word for each `FIELD=VALUE` filter on a free-text field whose value no record holds — most likely a
    typo, which would otherwise print an empty view and exit 0: `no deals of owner 'ivanovv'; did you mean
    'ivanov'?`. Choice fields need none: a value not among their options is refused before this."""
    notes = []
    for condition in conditions:
        if condition.op != "=" or not isinstance(condition.value, str) or condition.column.spec.options:
            continue
        held = {value for value in (condition.column.value(record, context) for record in records)
                if isinstance(value, str) and value}
        if condition.value in held:
            continue
        name = condition.column.name
        what = f"of {name}" if name == OWNER else f"with {name}"
        notes.append(f"no {kind}s {what} '{condition.value}'" + did_you_mean(condition.value, sorted(held)))
    return notes


def owner_condition(schema: Schema, owner: str) -> Where:
    """`--owner NAME`, the everyday filter, is `owner=NAME`."""
    return Where(f"owner={owner}", column(schema, "deal", "owner"), "=", owner)



DEFAULT_COLUMNS = {
    "deal": ("id", "stage", "title", "client", "owner", "amount", "days_in_stage"),
    "contact": ("id", "name", "company", "phone", "email"),
}


def default_columns(schema: Schema, kind: str, stale: bool = False, due: bool = False) -> list[Column]:
    """What `list` shows without `--fields` (only the names this schema has); `--stale` and `--due` add the
    days over and what is due."""
    names = list(DEFAULT_COLUMNS[kind])
    if stale:
        names.append("stale_days")
    if due:
        names += ["next_action", "next_action_due", "overdue_days"]
    known = set(schema.kind(kind).fields) | set(COMPUTED[kind])
    return [column(schema, kind, name) for name in names if name in known]


# -- what every view starts from -------------------------------------------------------------------------------

def open_view(root: Path, record_id: str | None = None) -> ViewContext:
    """The workspace at `root` loaded for a view — through the column cache, never stale — with today's date
    (FUNNEL_TODAY when set). `record_id`: only what showing that record needs, when that is less than every
    record (a deal and its contact)."""
    from ..model import clock
    from ..store.schematree import workspace_schema
    from ..store.workspace import load_for_id, load_workspace

    schema = workspace_schema(root)
    today = clock.today()
    workspace = load_for_id(root, schema, record_id) if record_id is not None else None
    return ViewContext(workspace or load_workspace(root, schema, cached=True), today)


def viewable(context: ViewContext, kind: str) -> tuple[list[Record], int]:
    """The valid records of `kind`, and how many files a view of them must skip as invalid. A deal view reads
    contacts too, so it counts skipped contacts as well."""
    shown, _ = context.workspace.viewable(kind)
    _, skipped = context.workspace.viewable(None if kind == "deal" else kind)
    return shown, len(skipped)


def view_conditions(schema: Schema, kind: str, wheres: Iterable[str] = (), owner: str | None = None,
                    stale: bool = False, due: bool = False) -> list[Where]:
    """--where, --owner, --stale and --due as conditions; a malformed one is a usage error (WhereSyntaxError),
    an unknown field or a value of the wrong type is refused (QueryError)."""
    conditions = parse_wheres(wheres, schema, kind)
    if owner is not None:
        conditions.append(owner_condition(schema, owner))
    if stale:
        conditions.append(parse_where("stale_days!=", schema, kind))
    if due:
        conditions.append(parse_where("overdue_days!=", schema, kind))
    return conditions
