"""What the shell may complete, from the schema and the workspace: ids (with titles), stages, fields, values.

Each function takes what the person has typed so far of one word and returns `(value, description)` pairs whose
values start with it. A value that needs more after it (`amount=`) ends where the person goes on typing. Nothing
here knows of a shell: the CLI hands these to click's completion machinery.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from ..model.schema import OWNER, Kind, Schema
from ..store.cache import field_values, remembered_values
from ..store.paths import record_files
from ..store.recordfiles import record_from_file
from ..store.workspace import load_workspace
from .query import COMPUTED

Suggestion = tuple[str, str]


def _starting(pairs: Iterable[Suggestion], typed: str) -> list[Suggestion]:
    return [(value, help) for value, help in pairs if value.startswith(typed)]


DESCRIBED_AT_MOST = 200  # ids beyond this many are offered without their titles: no one reads 10,000 of them


def record_ids(root: Path, schema: Schema, typed: str, kind: str | None = None) -> list[Suggestion]:
    """Ids (file names: a valid record's id is its file's name) of `kind` starting with `typed`, each described
    by its title or name, in id order. Only the record files that match are read — a person is waiting — and
    only up to DESCRIBED_AT_MOST; a file that is not a valid record is not offered."""
    matches = [(found_kind, relative, entry) for found_kind, relative, entry in record_files(root)
               if entry.name.startswith(typed) and (kind is None or found_kind == kind)
               and not entry.is_symlink()]
    if len(matches) > DESCRIBED_AT_MOST:
        return [(entry.name[:-3], "") for _, _, entry in matches]
    found = []
    for found_kind, relative, entry in matches:
        record = record_from_file(schema, found_kind, relative, entry)  # a file it cannot read is a broken record
        if not record.broken and record.id == record.stem:
            found.append((record.id, str(record.fields.get("title" if found_kind == "deal" else "name") or "")))
    return sorted(found)


def stages(schema: Schema, typed: str) -> list[Suggestion]:
    return _starting(((stage.id, stage.label or "") for stage in schema.stages), typed)


def loss_reasons(schema: Schema, typed: str) -> list[Suggestion]:
    return _starting(schema.loss_reasons.items(), typed)


def owners(root: Path, schema: Schema, typed: str) -> list[Suggestion]:
    """Owners declared by the schema's team list and every owner a deal names (as the cache last saw them: a
    suggestion may be a command old, never a reason to read 10,000 files while a person waits)."""
    seen = remembered_values(root, "deal", OWNER)
    if seen is None:
        deals, _ = load_workspace(root, schema, cached=True).viewable("deal")
        seen = sorted({value for value in field_values(deals, OWNER) if isinstance(value, str) and value})
    return _starting(((name, "") for name in dict.fromkeys(list(schema.owners) + seen)), typed)


def _value_suggestions(kind: Kind, name: str, typed_value: str) -> list[Suggestion]:
    """After `FIELD=`: the options of a choice field; for a multi-choice field, the next item of a list."""
    spec = kind.fields.get(name)
    if spec is None or not spec.options:
        return []
    head, comma, last = typed_value.rpartition(",") if spec.fieldtype.is_list else ("", "", typed_value)
    chosen = set(head.split(",")) if comma else set()
    return [(f"{name}={head}{comma}{option}", label) for option, label in spec.options.items()
            if option.startswith(last) and option not in chosen]


def assignments(kind: Kind, typed: str, protected: Iterable[str] = ()) -> list[Suggestion]:
    """`FIELD=VALUE` for `set` and `--set`: field names (as `FIELD=`), then the values a choice field takes."""
    name, equals, value = typed.partition("=")
    if equals:
        return _value_suggestions(kind, name, value)
    protected = set(protected)
    return _starting(((f"{field}=", spec.label or "") for field, spec in kind.fields.items()
                      if field not in protected), typed)


def conditions(schema: Schema, kind_name: str, typed: str) -> list[Suggestion]:
    """`--where`: field names (a deal's also as `contact.FIELD`), then a choice field's values after `=`."""
    for op in ("!=", "<=", ">=", "=", "<", ">"):
        name, found, value = typed.partition(op)
        if found:
            kind = schema.kind(kind_name)
            if name.startswith("contact.") and kind_name == "deal":
                kind, name = schema.kind("contact"), name[len("contact."):]
                return [(f"contact.{text}".replace("=", op, 1), help)
                        for text, help in _value_suggestions(kind, name, value)]
            return [(text.replace("=", op, 1), help) for text, help in _value_suggestions(kind, name, value)]
    return _starting(((f"{name}=", label) for name, label in _field_names(schema, kind_name)), typed)


def _field_names(schema: Schema, kind_name: str, computed: bool = False) -> list[Suggestion]:
    kind = schema.kind(kind_name)
    names = [(name, spec.label or "") for name, spec in kind.fields.items()]
    if kind_name == "deal":
        names += [(f"contact.{name}", f"contact: {spec.label or name}")
                  for name, spec in schema.kind("contact").fields.items()]
    if computed:
        names += [(name, "computed") for name in COMPUTED.get(kind_name, {})]
    return names


def field_list(schema: Schema, kind_name: str, typed: str) -> list[Suggestion]:
    """`--fields A,B`: the next column name after the last comma."""
    head, comma, last = typed.rpartition(",")
    done = set(head.split(",")) if comma else set()
    return [(f"{head}{comma}{name}", label) for name, label in _field_names(schema, kind_name, computed=True)
            if name.startswith(last) and name not in done]


def split_fields(schema: Schema, typed: str) -> list[Suggestion]:
    """`--by`: the fields a report can split by (a deal's, or its contact's as `contact.FIELD`)."""
    found = [(name, spec.label or "") for name, spec in schema.kind("deal").fields.items()
             if spec.fieldtype.splits and name != "id"]
    found += [(f"contact.{name}", f"contact: {spec.label or name}")
              for name, spec in schema.kind("contact").fields.items() if spec.fieldtype.splits and name != "id"]
    return _starting(found, typed)
