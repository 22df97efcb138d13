"""A record file as stable `Label: value` lines, for git's `textconv`: `git diff` and `git log -p` then show
which fields changed in words. One line per field in schema order (keys the schema does not declare after, by
name), list items and lines of text one per line under their label, the body after a blank line. Nothing in it
depends on the day or on other files, so the same file always gives the same lines.
"""

from __future__ import annotations

from typing import Any

from ..frontmatter.reader import parse_record_bytes
from ..model.records import build_record
from ..model.schema import FieldSpec, Schema
from ..output import terminal_safe
from .changes import item_text, value_text

def record_kind(tree: dict) -> str:
    """Which kind a front matter is (git hands textconv a temporary copy, so the folder is unknown): a deal
    holds a stage or a history, or a `d-` id."""
    record_id = tree.get("id")
    if "stage" in tree or "history" in tree or (isinstance(record_id, str) and record_id.startswith("d-")):
        return "deal"
    return "contact"


def textconv_lines(data: bytes, schema: Schema) -> list[str] | None:
    """The lines for a record file, or None when `data` is not a record (no front matter, or no `id`)."""
    parsed = parse_record_bytes(data, all_positions=False)
    if not isinstance(parsed.tree, dict) or "id" not in parsed.tree:
        return None
    kind_name = record_kind(parsed.tree)
    kind = schema.kind(kind_name)
    record = build_record(schema, kind_name, f"{kind_name}s/textconv.md", data)
    lines = []
    names = [name for name in kind.fields if name in parsed.tree]
    names += sorted(name for name in parsed.tree if name not in kind.fields)
    for name in names:
        spec = kind.fields.get(name)
        label = terminal_safe(spec.label if spec is not None and spec.label else name)
        if spec is not None and name in record.fields and name not in record.invalid:
            lines.extend(_field_lines(label, spec, record.fields[name], schema))
        else:
            lines.extend(_raw_lines(label, parsed.tree[name]))
    body = parsed.body.strip("\r\n")
    if body.strip():
        lines.append("")
        lines.extend(line.rstrip("\r") for line in body.split("\n"))
    return lines


def _field_lines(label: str, spec: FieldSpec, value: Any, schema: Schema) -> list[str]:
    if spec.fieldtype.is_list and isinstance(value, list):
        return [f"{label}:"] + [f"  - {item_text(spec, item, schema)}" for item in value]
    if isinstance(value, str) and "\n" in value.rstrip("\n"):
        return [f"{label}:"] + [f"  {terminal_safe(line)}" for line in value.rstrip("\n").split("\n")]
    return [f"{label}: {value_text(spec, value, schema)}"]


def _raw_lines(label: str, raw: Any) -> list[str]:
    """A value the schema does not type (an unknown key, or one that failed its type): as written."""
    if isinstance(raw, list):
        return [f"{label}:"] + [f"  - {terminal_safe(str(item))}" for item in raw]
    if isinstance(raw, str) and "\n" in raw.rstrip("\n"):
        return [f"{label}:"] + [f"  {terminal_safe(line)}" for line in raw.rstrip("\n").split("\n")]
    return [f"{label}: {terminal_safe(str(raw)) if raw is not None else '—'}"]
