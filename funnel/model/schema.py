"""schema.yaml → a Schema value: stages, typed fields, gates, rules, card layout, loss reasons.

The pipeline is data. Nothing in Python knows the stage `proposal` or the field `debt_check`; a different
schema.yaml is a different pipeline. The schema is validated as strictly as records are, with errors that
name the line of schema.yaml, because a typo there would silently weaken every gate.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Protocol

from . import conditions as c
from .fieldtypes import DECLARABLE, TYPES, FieldType, InvalidValue, field_type, read_decimal, read_integer
from ..frontmatter.reader import Problem, decode, parse_yaml
from ..errors import FunnelError
from ..valueclass import field, valueclass

FIELD_TYPES = frozenset(DECLARABLE)
# fields every record has, whatever the schema says; the CLI maintains them. `imported_from` (the file's name)
# and `imported_at` (a timestamp) are written only by `import --historical` (see gates.historical_exemption).
IMPORT_FIELDS = ("imported_from", "imported_at")
BUILTIN_FIELDS = ("id",) + IMPORT_FIELDS
DEAL_BUILTIN_FIELDS = ("id", "stage", "history") + IMPORT_FIELDS
KIND_OF_DIR = {"contacts": "contact", "deals": "deal"}
DIR_OF_KIND = {kind: directory for directory, kind in KIND_OF_DIR.items()}
# The fields SPEC names for a loss: `lose` fills them, gates and reports read them; schema.yaml declares them.
LOSS_REASON = "loss_reason"
LOSS_COMMENT = "loss_comment"
LOST_AT = "lost_at"
OWNER = "owner"  # the SPEC-named field `--owner`, the team list and completion read


@valueclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    label: str
    options: dict[str, str] = field(default_factory=dict)  # choice/multichoice: id -> label, in order
    subfields: dict[str, "FieldSpec"] = field(default_factory=dict)  # objects
    required_subfields: tuple[str, ...] = ()
    minimum: Decimal | int | None = None  # numbers: the least value a record may hold (`min:` in schema.yaml)

    @cached_property  # a FieldSpec is frozen: its type object is made once, on first use
    def fieldtype(self) -> FieldType:
        return field_type(self)

    def option_label(self, value) -> str | None:
        return self.options.get(value) if isinstance(value, str) else None


@valueclass(frozen=True)
class Requirement:
    """One thing a record must satisfy; `when` limits it to records where that condition holds."""

    condition: c.Condition
    when: c.Condition | None = None
    severity: str = "error"
    code: str = "gate"
    message: str | None = None
    line: int = 0


@valueclass(frozen=True)
class Stage:
    id: str
    label: str
    index: int
    probability: float = 0.0
    rot_days: int | None = None
    optional: bool = False
    terminal: str | None = None  # "won" | "lost" | None for an active stage
    requires: tuple[Requirement, ...] = ()


@valueclass(frozen=True)
class CardEntry:
    field: str
    from_stage: str | None = None
    only: tuple[str, ...] = ()


@valueclass(frozen=True)
class Kind:
    name: str  # "contacts" | "deals"
    fields: dict[str, FieldSpec]
    requires: tuple[Requirement, ...] = ()
    rules: tuple[Requirement, ...] = ()
    card: tuple[CardEntry, ...] = ()


@valueclass(frozen=True)
class Schema:
    stages: tuple[Stage, ...]
    loss_reasons: dict[str, str]
    contacts: Kind
    deals: Kind
    path: str = "schema.yaml"
    owners: tuple[str, ...] = ()  # the team (`owners:`): when declared, a deal's owner must be one of them

    def __post_init__(self):
        object.__setattr__(self, "stage_by_id", {stage.id: stage for stage in self.stages})
        # asked for every deal a gate judges: worked out once
        object.__setattr__(self, "_main_path", tuple(stage for stage in self.stages
                                                     if stage.terminal is None and not stage.optional))

    def kind(self, name: str) -> Kind:
        """The kind `name` ('contact' or 'deal', singular or plural); anything else is a programming error."""
        if name in ("deal", "deals"):
            return self.deals
        if name in ("contact", "contacts"):
            return self.contacts
        raise ValueError(f"no kind of record called {name!r} (contact or deal)")

    def stage(self, stage_id: str) -> Stage | None:
        return self.stage_by_id.get(stage_id)

    @property
    def first_stage(self) -> Stage:
        return self.stages[0]

    @property
    def active_stages(self) -> tuple[Stage, ...]:
        return tuple(stage for stage in self.stages if stage.terminal is None)

    @property
    def main_path(self) -> tuple[Stage, ...]:
        """The active stages every deal passes through: optional ones are entered only by choice."""
        return self._main_path

    def terminal_stage(self, outcome: str) -> Stage | None:
        return next((stage for stage in self.stages if stage.terminal == outcome), None)


class SchemaError(FunnelError):
    """schema.yaml cannot be used; `problems` say where."""

    def __init__(self, path: str, problems: list[Problem]):
        self.path = path
        self.problems = sorted(problems, key=lambda p: (p.line, p.column))
        first = self.problems[0]
        super().__init__(f"{path}:{first.line}:{first.column}: error: {first.message}")


_parsed: dict[tuple[str, bytes], Schema] = {}


class TreeKeeper(Protocol):
    """Where a schema's parsed tree may be kept between commands (store/schematree.py: funnel's own directory),
    so a command builds its Schema without a YAML parser: `get` gives the (tree, positions) kept for these
    bytes or None, `put` keeps them (only a schema without problems is offered)."""

    def get(self, data: bytes) -> tuple[object, dict] | None: ...

    def put(self, data: bytes, tree: object, positions: dict) -> None: ...


def load_schema(path: str | Path, keeper: TreeKeeper | None = None) -> Schema:
    """The schema of a workspace, parsed once per process for the same bytes (a command that loads it in the
    CLI and again in the model parses it once); with `keeper`, its tree is kept between commands too."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SchemaError(str(path), [Problem(1, 1, "schema", f"cannot read schema: {exc.strerror}")])
    key = (str(path), data)
    schema = _parsed.get(key)
    if schema is None:
        kept = keeper.get(data) if keeper is not None else None
        schema = build_schema(*kept, str(path), quiet=True) if kept is not None else None
        if schema is None:
            tree, positions = parse_schema_tree(data, str(path))
            schema = build_schema(tree, positions, str(path))
            if keeper is not None:
                keeper.put(data, tree, positions)
        _parsed.clear()  # one workspace per command: keep only the latest
        _parsed[key] = schema
    return schema


def parse_schema(data: bytes, path: str = "schema.yaml") -> Schema:
    return build_schema(*parse_schema_tree(data, path), path)


def parse_schema_tree(data: bytes, path: str = "schema.yaml") -> tuple[object, dict]:
    """schema.yaml's bytes → its untyped tree and each node's (line, column); SchemaError when it is no YAML."""
    text, problem = decode(data)
    if text is None:
        raise SchemaError(path, [problem])
    tree, positions, problems = parse_yaml(text.lstrip("\ufeff"))
    if problems:
        raise SchemaError(path, problems)
    return tree, positions


def build_schema(tree: object, positions: dict, path: str = "schema.yaml", quiet: bool = False) -> Schema | None:
    """The Schema of a parsed tree; SchemaError naming every problem (`quiet`: None instead — a kept tree that
    does not build is parsed again from the file, which names the problems)."""
    builder = _SchemaBuilder(positions)
    schema = builder.build(tree, path)
    if builder.problems:
        if quiet:
            return None
        raise SchemaError(path, builder.problems)
    return schema


class _SchemaBuilder:
    """Turns the untyped tree of schema.yaml into a Schema, collecting every problem with its line."""

    def __init__(self, positions):
        self.positions = positions
        self.problems: list[Problem] = []

    # -- helpers -------------------------------------------------------------------------------------
    def where(self, path) -> tuple[int, int]:
        path = tuple(path)
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return 1, 1

    def error(self, path, message: str) -> None:
        line, column = self.where(path)
        self.problems.append(Problem(line, column, "schema", message))

    def mapping(self, value, path, allowed: tuple[str, ...], what: str) -> dict:
        if not isinstance(value, dict):
            self.error(path, f"{what} must be a mapping")
            return {}
        for key in value:
            if key not in allowed:
                self.error(tuple(path) + (key,), f"unknown key '{key}' in {what} (allowed: {', '.join(allowed)})")
        return value

    def sequence(self, value, path, what: str) -> list:
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(path, f"{what} must be a list")
            return []
        return value

    def text(self, value, path, what: str, default: str = "") -> str:
        if value is None:
            return default
        if not isinstance(value, str):
            self.error(path, f"{what} must be text")
            return default
        return value

    def number(self, value, path, what: str, convert, default, minimum: int | None = None):
        """A number in ASCII digits (`convert`: int or float), at least `minimum` when one is given."""
        if value is None:
            return default
        exact = (read_integer if convert is int else read_decimal)(value) if isinstance(value, str) else None
        if exact is None:
            self.error(path, f"{what} must be {'a whole number' if convert is int else 'a number'}, not {value!r}")
            return default
        if minimum is not None and exact < minimum:
            self.error(path, f"{what} must be at least {minimum}, not {value}")
            return default
        return convert(exact)

    def flag(self, value, path, what: str) -> bool:
        if value is None:
            return False
        if value in ("true", "false"):
            return value == "true"
        self.error(path, f"{what} must be true or false")
        return False

    # -- the document ----------------------------------------------------------------------------------
    def build(self, tree, path: str) -> Schema | None:
        top = self.mapping(tree, (), ("version", "name", "stages", "loss_reasons", "contacts", "deals", "owners"),
                           "the schema")
        if top.get("version") not in (None, "1"):
            self.error(("version",), f"unsupported schema version {top.get('version')!r} (this funnel reads 1)")
        loss_reasons = self.options(top.get("loss_reasons"), ("loss_reasons",), "loss_reasons")
        if not loss_reasons and "loss_reasons" not in top:
            self.error((), "the schema needs loss_reasons")
        stage_ids = self.stage_ids(top.get("stages"))
        contacts_fields = self.fields(top.get("contacts"), ("contacts",), stage_ids)
        deals_fields = self.fields(top.get("deals"), ("deals",), stage_ids)
        imported = {"imported_from": FieldSpec("imported_from", "string", "Imported from"),
                    "imported_at": FieldSpec("imported_at", "timestamp", "Imported at")}
        contacts_fields = {"id": FieldSpec("id", "string", "Id"), **contacts_fields, **imported}
        deals_fields = {
            "id": FieldSpec("id", "string", "Id"),
            "stage": FieldSpec("stage", "stage", "Stage", options={s: s for s in stage_ids}),
            **deals_fields,
            "history": FieldSpec("history", "history", "History"),
            **imported,
        }
        self.fill_choice_options(deals_fields, stage_ids, loss_reasons)
        contacts = self.kind("contacts", top.get("contacts"), contacts_fields, stage_ids)
        deals = self.kind("deals", top.get("deals"), deals_fields, stage_ids)
        stages = self.stages(top.get("stages"), deals)
        owners = self.owners(top.get("owners"))
        if self.problems:
            return None
        return Schema(stages, loss_reasons, contacts, deals, path, owners)

    def owners(self, value) -> tuple[str, ...]:
        """`owners: [ivanov, petrova]`: the team, so a misspelt owner is an error rather than a new person."""
        names = []
        for index, item in enumerate(self.sequence(value, ("owners",), "owners") if value is not None else []):
            name = self.text(item, ("owners", index), "an owner")
            if not name.strip():
                self.error(("owners", index), "an owner must not be blank")
            elif name in names:
                self.error(("owners", index), f"owner '{name}' is listed twice")
            else:
                names.append(name)
        return tuple(names)

    def fill_choice_options(self, fields, stage_ids, loss_reasons):
        filled = {"stages": {s: s for s in stage_ids}, "loss_reasons": dict(loss_reasons)}
        for name, spec in list(fields.items()):
            source = TYPES[spec.type].schema_options
            if source is not None:
                fields[name] = FieldSpec(name, spec.type, spec.label, dict(filled[source]))

    def options(self, value, path, what: str) -> dict[str, str]:
        if value is None:
            return {}
        options: dict[str, str] = {}
        if isinstance(value, list):  # [a, b] or [{id: a, label: A}]
            for index, item in enumerate(value):
                if isinstance(item, str):
                    options[item] = item
                elif isinstance(item, dict) and isinstance(item.get("id"), str):
                    options[item["id"]] = self.text(item.get("label"), path + (index, "label"), "a label", item["id"])
                else:
                    self.error(path + (index,), f"an option of {what} must be an id or {{id, label}}")
        elif isinstance(value, dict):
            for key, label in value.items():
                options[key] = self.text(label, path + (key,), "an option label", key)
        else:
            self.error(path, f"{what} must be a mapping of option: label")
        for key in options:
            if not _is_option_id(key):
                self.error(path + (key,), f"option id '{key}' must be lowercase letters, digits, '_' or '-'")
        return options

    def stage_ids(self, value) -> list[str]:
        ids: list[str] = []
        for index, item in enumerate(self.sequence(value, ("stages",), "stages")):
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                if item["id"] in ids:
                    self.error(("stages", index, "id"), f"duplicate stage id '{item['id']}'")
                ids.append(item["id"])
            else:
                self.error(("stages", index), "a stage needs an id")
        if not ids and value is not None:
            self.error(("stages",), "the schema needs at least one stage")
        if value is None:
            self.error((), "the schema needs stages")
        return ids

    def fields(self, kind_tree, path, stage_ids) -> dict[str, FieldSpec]:
        if not isinstance(kind_tree, dict):
            self.error(path, f"{path[0]} must be a mapping with fields")
            return {}
        declared = kind_tree.get("fields")
        if not isinstance(declared, dict):
            self.error(path + ("fields",), f"{path[0]}.fields must be a mapping of name: declaration")
            return {}
        return {name: self.field(name, spec, path + ("fields", name), path[0]) for name, spec in declared.items()}

    def field(self, name, spec, path, kind_name) -> FieldSpec:
        reserved = DEAL_BUILTIN_FIELDS if kind_name == "deals" else BUILTIN_FIELDS
        if name in reserved:
            self.error(path, f"'{name}' is built in and cannot be declared")
        if isinstance(spec, str):
            spec = {"type": spec}
        spec = self.mapping(spec, path, ("type", "label", "options", "fields", "requires", "min"), f"field '{name}'")
        kind = spec.get("type")
        if kind not in FIELD_TYPES:
            self.error(path + ("type",), f"field '{name}': unknown type {kind!r} (one of {', '.join(sorted(FIELD_TYPES))})")
            kind = "string"
        ftype = TYPES[kind]
        label = self.text(spec.get("label"), path + ("label",), "a label", name)
        options = self.options(spec.get("options"), path + ("options",), f"field '{name}'")
        if ftype.takes_options and not options:
            self.error(path, f"field '{name}' of type {kind} needs options")
        elif not ftype.takes_options and "options" in spec:
            self.error(path + ("options",), f"field '{name}' of type {kind} takes no options")
        minimum = None
        if "min" in spec:
            if not ftype.takes_min:
                self.error(path + ("min",), f"field '{name}' of type {kind} takes no min")
            else:
                try:
                    minimum = FieldSpec(name, kind, label).fieldtype.parse(str(spec["min"]))
                except InvalidValue:
                    self.error(path + ("min",), f"field '{name}': min must be a {kind} number, not {spec['min']!r}")
        subfields: dict[str, FieldSpec] = {}
        required: tuple[str, ...] = ()
        if ftype.has_subfields:
            raw = spec.get("fields")
            if not isinstance(raw, dict) or not raw:
                self.error(path, f"field '{name}' of type {kind} needs fields")
            else:
                for sub, sub_spec in raw.items():
                    subfields[sub] = self.field(sub, sub_spec, path + ("fields", sub), kind)
                    if not subfields[sub].fieldtype.nestable:
                        self.error(path + ("fields", sub), "objects cannot nest lists of objects")
            required = tuple(self.sequence(spec.get("requires"), path + ("requires",), "requires"))
            for index, sub in enumerate(required):
                if sub not in subfields:
                    self.error(path + ("requires", index), f"'{sub}' is not a field of '{name}'")
        elif "fields" in spec or "requires" in spec:
            self.error(path, "only a field of type objects has fields and requires")
        return FieldSpec(name, kind, label, options, subfields, required, minimum)

    def kind(self, name, tree, fields, stage_ids) -> Kind:
        path = (name,)
        tree = self.mapping(tree, path, ("fields", "requires", "rules", "card"), name) if tree is not None else {}
        provisional = Kind(name, fields)
        requires = self.requirements(tree.get("requires"), path + ("requires",), provisional, stage_ids)
        rules = []
        for index, rule in enumerate(self.sequence(tree.get("rules"), path + ("rules",), "rules")):
            rule_path = path + ("rules", index)
            rule = self.mapping(rule, rule_path, ("code", "when", "requires", "message", "severity"), "a rule")
            code = self.text(rule.get("code"), rule_path + ("code",), "a rule code", "rule")
            when = self.condition(rule.get("when"), rule_path + ("when",), provisional, stage_ids) \
                if rule.get("when") is not None else None
            severity = rule.get("severity") or "error"
            if severity not in ("error", "warning"):
                self.error(rule_path + ("severity",), "severity must be error or warning")
            message = rule.get("message")
            parts = self.requirements(rule.get("requires"), rule_path + ("requires",), provisional, stage_ids)
            if not parts:
                self.error(rule_path, f"rule '{code}' requires nothing")
                continue
            if any(part.when is not None or part.severity != "error" for part in parts):
                self.error(rule_path + ("requires",), f"rule '{code}': put conditions in the rule's own 'when'")
            # a rule is one statement: all its requirements together, reported once
            condition = parts[0].condition if len(parts) == 1 else c.All(tuple(p.condition for p in parts))
            rules.append(Requirement(condition, when, severity, code, message, self.where(rule_path)[0]))
        card = self.card(tree.get("card"), path + ("card",), fields, stage_ids)
        return Kind(name, fields, tuple(requires), tuple(rules), card)

    def card(self, value, path, fields, stage_ids) -> tuple[CardEntry, ...]:
        entries = []
        for index, item in enumerate(self.sequence(value, path, "card")):
            item_path = path + (index,)
            if isinstance(item, str):
                item = {"field": item}
            item = self.mapping(item, item_path, ("field", "from", "only"), "a card entry")
            name = item.get("field")
            if name not in fields:
                self.error(item_path, f"card shows undeclared field {name!r}")
                continue
            from_stage = item.get("from")
            if from_stage is not None and from_stage not in stage_ids:
                self.error(item_path + ("from",), f"card entry for '{name}': unknown stage {from_stage!r}")
            only = tuple(self.sequence(item.get("only"), item_path + ("only",), "only"))
            for stage_index, stage_id in enumerate(only):
                if stage_id not in stage_ids:
                    self.error(item_path + ("only", stage_index), f"card entry for '{name}': unknown stage {stage_id!r}")
            entries.append(CardEntry(name, from_stage, only))
        return tuple(entries)

    def stages(self, value, deals: Kind) -> tuple[Stage, ...]:
        stages = []
        stage_ids = [item.get("id") for item in self.sequence(value, ("stages",), "stages") if isinstance(item, dict)]
        terminals: dict[str, int] = {}
        for index, item in enumerate(self.sequence(value, ("stages",), "stages")):
            path = ("stages", index)
            item = self.mapping(item, path, ("id", "label", "probability", "rot_days", "optional", "terminal",
                                             "requires"), "a stage")
            stage_id = item.get("id")
            if not isinstance(stage_id, str):
                continue
            if not _is_option_id(stage_id):
                self.error(path + ("id",), f"stage id '{stage_id}' must be lowercase letters, digits, '_' or '-'")
            probability = self.number(item.get("probability"), path + ("probability",), "probability", float, 0.0)
            if not 0.0 <= probability <= 1.0:
                self.error(path + ("probability",), "probability must be between 0 and 1")
            rot_days = self.number(item.get("rot_days"), path + ("rot_days",), "rot_days", int, None, minimum=0)
            terminal = item.get("terminal")
            if terminal is not None:
                if terminal not in ("won", "lost"):
                    self.error(path + ("terminal",), "terminal must be won or lost")
                elif terminal in terminals:
                    self.error(path + ("terminal",), f"a second terminal stage of kind {terminal}")
                terminals[terminal] = index
            optional = self.flag(item.get("optional"), path + ("optional",), "optional")
            requires = self.requirements(item.get("requires"), path + ("requires",), deals, stage_ids)
            stages.append(Stage(stage_id, self.text(item.get("label"), path + ("label",), "a label", stage_id),
                                index, probability, rot_days, optional, terminal, tuple(requires)))
        for outcome in ("won", "lost"):
            if outcome not in terminals and stages:
                self.error(("stages",), f"the pipeline needs a terminal stage with 'terminal: {outcome}'")
        if stages and stages[0].terminal:
            self.error(("stages", 0), "the first stage cannot be terminal")
        return tuple(stages)

    def requirements(self, value, path, kind: Kind, stage_ids) -> list[Requirement]:
        result = []
        for index, item in enumerate(self.sequence(value, path, "requires")):
            item_path = path + (index,)
            line = self.where(item_path)[0]
            extra = {}
            if isinstance(item, dict):
                extra = {key: item[key] for key in ("when", "message", "warn_below", "warning") if key in item}
                item = {key: val for key, val in item.items() if key not in extra}
            condition = self.condition(item, item_path, kind, stage_ids, requirement=True)
            when = self.condition(extra["when"], item_path + ("when",), kind, stage_ids) if "when" in extra else None
            message = extra.get("message")
            result.append(Requirement(condition, when, "error", "gate", message, line))
            if "warn_below" in extra:
                below = self.number(extra["warn_below"], item_path + ("warn_below",), "warn_below", int, 0, minimum=0)
                if not isinstance(condition, (c.MinCount, c.Present)):
                    self.error(item_path + ("warn_below",), "warn_below goes with a list field")
                    continue
                warning = extra.get("warning")
                result.append(Requirement(c.MinCount(condition.fields[0], below), when, "warning", "gate-warning",
                                          warning, line))
        return result

    def condition(self, item, path, kind: Kind, stage_ids, requirement: bool = False) -> c.Condition:
        """A condition of schema.yaml, parsed by the registry beside the condition classes (conditions.PARSERS)."""
        return _ConditionReader(self, kind, requirement).condition(item, path)

    def known_field(self, name, path, kind: Kind) -> FieldSpec | None:
        if not isinstance(name, str) or name not in kind.fields:
            self.error(path, f"{kind.name}: undeclared field {name!r}")
            return None
        return kind.fields[name]


class _ConditionReader:
    """The schema reader as the condition parsers see it (conditions.ConditionReader): one kind's fields."""

    def __init__(self, builder: _SchemaBuilder, kind: Kind, requirement: bool):
        self.builder = builder
        self.kind = kind
        self.requirement = requirement
        self.error = builder.error
        self.sequence = builder.sequence
        self.mapping = builder.mapping
        self.number = builder.number

    def known_field(self, name, path) -> FieldSpec | None:
        return self.builder.known_field(name, path, self.kind)

    def condition(self, item, path) -> c.Condition:
        """`item` as a condition; nested ones (inside all, any, not) are never requirements themselves."""
        if isinstance(item, str):
            self.known_field(item, path)
            return c.Present(item)
        if not isinstance(item, dict) or not item:
            self.error(path, "a condition must be a field name or a mapping")
            return c.Present("id")
        if "field" in item:
            return c.parse_field_condition(item, path, self)
        if len(item) != 1:
            self.error(path, f"a condition has one key, not {', '.join(item)}")
        key, value = next(iter(item.items()))
        parse = c.PARSERS.get(key)
        if parse is None:
            self.error(path, f"unknown condition '{key}' (field, {', '.join(c.PARSERS)})")
            return c.Present("id")
        nested = _ConditionReader(self.builder, self.kind, False) if self.requirement else self
        return parse(value, path, key, _NestedReader(self, nested))


class _NestedReader:
    """The reader a parser sees: its own `requirement` flag, nested conditions read as `when` conditions."""

    def __init__(self, own: _ConditionReader, nested: _ConditionReader):
        self.requirement = own.requirement
        self.error, self.sequence, self.mapping, self.number = own.error, own.sequence, own.mapping, own.number
        self.known_field = own.known_field
        self.condition = nested.condition


def _is_option_id(value: str) -> bool:
    return bool(value) and all(ch.isascii() and (ch.isalnum() or ch in "_-") and not ch.isupper() for ch in value)
