"""Which column feeds which field: by field id or label (case-insensitively, in any language), or `--map`.

Also reads the other options that name fields and columns (`--value`, `--set`, `--history`, `--key`,
`--contact-key`) against the schema and the file's header, so a typo is a usage error before any row is read.
"""

from __future__ import annotations


from ..errors import UsageError
from ..model.schema import Kind, Schema, Stage
from .cells import fold
from ..valueclass import field, valueclass

BODY = "body"  # not a field: the Markdown body after the front matter (what `list --body` exports)
SKIP = "-"


@valueclass
class ImportOptions:
    kind: str  # "contact" | "deal"
    maps: list[str] = field(default_factory=list)  # COLUMN=FIELD (FIELD `-` skips the column)
    values: list[str] = field(default_factory=list)  # FIELD:FROM=TO
    sets: list[str] = field(default_factory=list)  # FIELD=VALUE, where the row leaves FIELD empty
    histories: list[str] = field(default_factory=list)  # STAGE=COLUMN
    date_format: str | None = None
    decimal_comma: bool = False
    key: str | None = None
    contact_key: str | None = None
    historical: bool = False
    dry_run: bool = False


@valueclass
class Mapping:
    fields: dict[str, str]  # field name (or BODY) -> column
    history: list[tuple[Stage, str]]  # (stage, column holding the date it was entered)
    translations: dict[str, dict[str, str]]  # field -> {source value: funnel value}
    constants: dict[str, str]  # field -> text, read like a cell
    unmapped: list[str]  # columns feeding nothing: named in one warning


def find_field(kind: Kind, name: str) -> str | None:
    """The field (or BODY) that `name` means: its id exactly, else its id or label compared folded."""
    if name in kind.fields or name == BODY:
        return name
    wanted = fold(name)
    for field_name in kind.fields:
        if fold(field_name) == wanted:
            return field_name
    for field_name, spec in kind.fields.items():
        if fold(spec.label) == wanted:
            return field_name
    return BODY if wanted == BODY else None


def _field(kind: Kind, name: str, option: str) -> str:
    found = find_field(kind, name.strip())
    if found is None:
        raise UsageError(f"{option}: no field '{name}' in {kind.name} (fields: {', '.join(kind.fields)})")
    return found


def _column(columns: list[str], name: str, option: str) -> str:
    if name in columns:
        return name
    matches = [column for column in columns if fold(column) == fold(name)]
    if not matches:
        raise UsageError(f"{option}: no column '{name}' in the file (columns: {', '.join(columns)})")
    return matches[0]


def _pair(text: str, option: str, sep: str = "=") -> tuple[str, str]:
    left, found, right = text.partition(sep)
    if not found or not left.strip():
        raise UsageError(f"{option}: '{text}' is not {'COLUMN=FIELD' if option == '--map' else 'NAME=VALUE'}")
    return left.strip(), right


def build_mapping(schema: Schema, columns: list[str], options: ImportOptions) -> Mapping:
    kind = schema.kind(options.kind)
    explicit: dict[str, str] = {}
    for text in options.maps:
        column, target = _pair(text, "--map")
        column = _column(columns, column, "--map")
        explicit[column] = target.strip() if target.strip() == SKIP else _field(kind, target, "--map")
    history: list[tuple[Stage, str]] = []
    for text in options.histories:
        if options.kind != "deal":
            raise UsageError("--history is for deals")
        stage_name, column = _pair(text, "--history")
        stage = _stage(schema, stage_name)
        history.append((stage, _column(columns, column, "--history")))
    history_columns = {column for _, column in history}
    fields: dict[str, str] = {}
    unmapped = []
    for column in columns:
        target = explicit.get(column)
        if target is None:
            target = find_field(kind, column)
        if target == SKIP:
            continue
        if target is None:
            if column not in history_columns:
                unmapped.append(column)
            continue
        if target in fields:
            raise UsageError(f"columns '{fields[target]}' and '{column}' both feed field '{target}'; "
                             f"--map one of them to another field or to -")
        fields[target] = column
    translations: dict[str, dict[str, str]] = {}
    for text in options.values:
        name, found, rest = text.partition(":")
        source, equals, target = rest.rpartition("=")
        if not found or not equals or not name.strip():
            raise UsageError(f"--value: '{text}' is not FIELD:FROM=TO")
        name = _field(kind, name, "--value")
        if name not in fields:
            raise UsageError(f"--value: no column feeds field '{name}' (map one with --map COLUMN={name})")
        translations.setdefault(name, {})[source] = target.strip()
    constants = {}
    for text in options.sets:
        name, value = _pair(text, "--set")
        constants[_field(kind, name, "--set")] = value
    for option, name in (("--key", options.key),):
        if name is not None:
            found = _field(kind, name, option)
            if found not in fields and found not in constants:
                raise UsageError(f"--key: no column feeds field '{found}'")
    if options.contact_key is not None:
        if options.kind != "deal":
            raise UsageError("--contact-key is for deals")
        _field(schema.contacts, options.contact_key, "--contact-key")
    return Mapping(fields, history, translations, constants, unmapped)


def _stage(schema: Schema, name: str) -> Stage:
    stage = schema.stage(name.strip())
    if stage is None:
        stage = next((s for s in schema.stages if fold(s.id) == fold(name) or fold(s.label) == fold(name)), None)
    if stage is None:
        raise UsageError(f"--history: no stage '{name}' (stages: {', '.join(s.id for s in schema.stages)})")
    return stage
