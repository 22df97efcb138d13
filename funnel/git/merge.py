"""The merge driver for record files: front matter merged field by field against the common ancestor.

git calls `funnel merge-driver %O %A %B %P` with three temporary files (ancestor, ours, theirs) and the record's
path; the result goes into the `ours` file and the exit status says whether anything conflicted.

- A field changed on one side takes that side; deleted on one side stays deleted; a key new on one side goes in
  schema order. Values are compared by the field's type (`amount: 1250000` equals `amount: 1250000.00`).
- `history` is the ancestor's entries (less any deleted on either side) plus each side's additions in time order,
  identical entries once; other lists of objects (`proposals`, attachments) are merged by item: an item removed on
  one side goes, an item added on one side comes in after its neighbour. An item added on both sides with the same
  first sub-field (`option`, an attachment's `path`) but different contents is a conflict on that field.
- Only a field changed differently on both sides conflicts: standard markers around that field's lines only.
- The result is our file with whole blocks of lines swapped in from theirs (the byte-exact editor's
  `replace_blocks`), so every line neither side changed keeps its bytes; line endings and a BOM follow our side.
- The Markdown body is merged by `git merge-file`.
- A side that cannot be read as a record (or anything unexpected) falls back to a plain textual merge of the
  whole files: never a traceback, never a lost side.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..frontmatter.editing import ABSENT, EditError, Layout, replace_blocks, set_field
from ..frontmatter.reader import parse_record_text
from ..model.fieldtypes import read_timestamp
from ..model.records import build_record
from ..model.schema import FieldSpec, Schema, SchemaError, load_schema
from ..store.paths import SCHEMA_FILE, kind_of_path
from .repo import GitError, merge_file
from ..valueclass import field, valueclass

LIST_TYPES = ("history", "objects", "attachments")
OURS_LABEL, BASE_LABEL, THEIRS_LABEL = "ours", "base", "theirs"


@valueclass
class MergeResult:
    data: bytes
    conflicts: list[str] = field(default_factory=list)  # the fields (and "body") left with conflict markers
    textual: str | None = None  # why the files were merged as plain text instead, when they were

    @property
    def conflicted(self) -> bool:
        return bool(self.conflicts)


class _Unmergeable(Exception):
    """A side cannot be merged field by field; the message says why (for the person, on stderr)."""


def merge_driver(ancestor: Path, ours: Path, theirs: Path, record_path: str, top: Path) -> MergeResult:
    """What git's `merge=funnel` driver does: merge the three files, write the result over `ours`."""
    result = merge_records(ancestor.read_bytes(), ours.read_bytes(), theirs.read_bytes(),
                           *_schema_for(top, record_path))
    ours.write_bytes(result.data)
    return result


def _schema_for(top: Path, record_path: str) -> tuple[Schema | None, str | None]:
    """The schema of the workspace the record belongs to (`<workspace>/deals/x.md`), and the record's kind."""
    parts = record_path.split("/")
    kind = kind_of_path("/".join(parts[-2:])) if len(parts) >= 2 else None
    if kind is None:
        return None, None
    schema_path = top.joinpath(*parts[:-2], SCHEMA_FILE)
    try:
        return load_schema(schema_path), kind
    except (SchemaError, OSError):
        return None, kind


def merge_records(ancestor: bytes, ours: bytes, theirs: bytes, schema: Schema | None = None,
                  kind: str | None = None) -> MergeResult:
    """Three versions of a record file → the merged file. Never raises for what the files hold."""
    if ours == theirs or theirs == ancestor:
        return MergeResult(ours)
    if ours == ancestor:
        return MergeResult(theirs)
    try:
        return _FieldMerge(ancestor, ours, theirs, schema, kind).run()
    except (_Unmergeable, EditError) as exc:
        return _textual(ancestor, ours, theirs, str(exc))


def _textual(ancestor: bytes, ours: bytes, theirs: bytes, why: str) -> MergeResult:
    try:
        data, conflicted = merge_file(ours, ancestor, theirs, (OURS_LABEL, BASE_LABEL, THEIRS_LABEL))
    except GitError as exc:
        # without git merge-file there is no merge at all: keep ours and report the whole file as conflicting
        return MergeResult(ours, ["file"], f"{why}; {exc}")
    return MergeResult(data, ["file"] if conflicted else [], why)


@valueclass
class _Side:
    text: str  # without the BOM, line endings as our side's
    tree: dict
    body: str
    layout: Layout | None  # None for an empty ancestor


def _decode(data: bytes, what: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _Unmergeable(f"{what} is not valid UTF-8") from None
    return text[1:] if text.startswith("\ufeff") else text


def _with_endings(text: str, crlf: bool) -> str:
    lf = text.replace("\r\n", "\n")
    return lf.replace("\n", "\r\n") if crlf else lf


def _read_side(data: bytes, what: str, crlf: bool | None, may_be_empty: bool = False) -> _Side:
    text = _decode(data, what)
    if crlf is not None:
        text = _with_endings(text, crlf)
    if may_be_empty and not text.strip():
        return _Side(text, {}, "", None)  # a file added on both sides: merged against empty front matter
    parsed = parse_record_text(text)
    if parsed.tree is None or parsed.problems:
        first = parsed.problems[0].message if parsed.problems else "no front matter"
        raise _Unmergeable(f"{what} cannot be read as a record ({first})")
    try:
        layout = Layout(text)
    except EditError as exc:
        raise _Unmergeable(f"{what}: {exc}") from None
    return _Side(text, parsed.tree, "".join(layout.lines[layout.end + 1:]), layout)


class _FieldMerge:
    def __init__(self, ancestor: bytes, ours: bytes, theirs: bytes, schema: Schema | None, kind: str | None):
        self.ours_bytes = ours
        self.ours = _read_side(ours, "our version", None)
        crlf = self.ours.layout.nl == "\r\n"
        self.has_bom = ours.startswith("\ufeff".encode())
        self.theirs = _read_side(theirs, "their version", crlf)
        self.base = _read_side(ancestor, "the common ancestor", crlf, may_be_empty=True)
        self.fields: dict[str, FieldSpec] = schema.kind(kind).fields if schema is not None and kind else {}
        # each side typed by the schema: a field's type says when two values are equal (fieldtypes' `equal`)
        self.typed = [build_record(schema, kind, "merge.md", side.text.encode("utf-8"))
                      if self.fields and side.layout is not None else None
                      for side in (self.base, self.ours, self.theirs)]
        self.order = self._order()
        self.blocks: dict[str, list[str] | None] = {}
        self.expected: dict[str, Any] = {}
        self.conflicts: list[str] = []

    def _order(self) -> list[str]:
        """Where a new key goes: schema order; a key the schema does not know, after its predecessor in theirs."""
        order = list(self.fields)
        for index, key in enumerate(self.theirs.layout.keys):
            if key in order:
                continue
            before = [k for k in self.theirs.layout.keys[:index] if k in order]
            order.insert(order.index(before[-1]) + 1 if before else 0, key)
        return order

    # -- the front matter, key by key ---------------------------------------------------------------------

    def run(self) -> MergeResult:
        ours, theirs, base = self.ours.tree, self.theirs.tree, self.base.tree
        keys = list(ours) + [key for key in theirs if key not in ours]
        for key in keys:
            o, a, b = base.get(key, ABSENT), ours.get(key, ABSENT), theirs.get(key, ABSENT)
            if self.same(key, 1, a, 2, b) or self.same(key, 2, b, 0, o):
                continue  # the same on both sides, or only ours changed it: ours stands
            if self.same(key, 1, a, 0, o):
                self.take_theirs(key)
            elif self.spec_type(key) in LIST_TYPES and all(v is ABSENT or v is None or isinstance(v, list)
                                                             for v in (o, a, b)):
                self.merge_items(key, *(v if isinstance(v, list) else [] for v in (o, a, b)))
            else:
                self.conflicts.append(key)
        text = self.ours.text
        if self.blocks:
            ordered = {key: self.blocks[key] for key in sorted(self.blocks, key=self._rank)}
            text = replace_blocks(text, ordered, self.order, self.expected)
        text = self.mark_conflicts(text)
        text = self.merge_body(text)
        return MergeResult((("\ufeff" if self.has_bom else "") + text).encode("utf-8"), self.conflicts)

    def _rank(self, key: str) -> int:
        return self.order.index(key) if key in self.order else len(self.order)

    def spec_type(self, key: str) -> str | None:
        spec = self.fields.get(key)
        return spec.type if spec is not None else None

    def same(self, key: str, left: int, left_raw: Any, right: int, right_raw: Any) -> bool:
        """Whether two sides' values of `key` say the same thing: by the field's type when both read as it
        (`amount: 1250000` and `1250000.00`), else as written; an absent key and an empty one are the same."""
        spec = self.fields.get(key)
        typed = (self.typed[left], self.typed[right])
        if spec is not None and all(record is not None and key not in record.invalid for record in typed):
            return spec.fieldtype.equal(typed[0].fields.get(key), typed[1].fields.get(key))
        return self.comparable(key, left_raw) == self.comparable(key, right_raw)

    def comparable(self, key: str, value: Any) -> Any:
        """A hashable form of a value as written (numbers, dates and moments read by their type)."""
        if value is ABSENT:
            return None
        return _comparable(self.fields.get(key), value)

    def take_theirs(self, key: str) -> None:
        block = self.theirs.layout.block(key)
        if block is None:
            self.blocks[key] = None
            self.expected[key] = ABSENT
            return
        self.blocks[key] = _shift(block, self.ours.layout.base - self.theirs.layout.base)
        self.expected[key] = self.theirs.layout.tree(key)

    def merge_items(self, key: str, base: list, ours: list, theirs: list) -> None:
        spec = self.fields.get(key)
        keyed = [[(_comparable_item(spec, item), item) for item in items] for items in (base, ours, theirs)]
        if spec is not None and spec.type == "history":
            merged = _merge_history(*keyed)
        else:
            merged = _merge_by_item(*keyed, _natural_key(spec))
            if merged is None:
                self.conflicts.append(key)
                return
        if [c for c, _ in merged] == [c for c, _ in keyed[1]]:
            return  # the merge is what ours already holds
        self.blocks[key] = self.list_block(key, merged)
        self.expected[key] = self.expected_list(key, merged)

    def expected_list(self, key: str, merged: list[tuple[Any, Any]]) -> Any:
        return [item for _, item in merged]

    def list_block(self, key: str, merged: list[tuple[Any, Any]]) -> list[str]:
        """The merged list as lines: each item's own lines from the side it came from, under our key line (or
        theirs, when ours holds no block list)."""
        sources = []
        for side in (self.ours, self.theirs):
            cut = side.layout.list_items(key)
            if cut is not None:
                sources.append((side, cut))
        if not sources or not merged:
            return self.rendered(key, [item for _, item in merged])
        _, (head, _, dash) = sources[0]
        head_side = sources[0][0]
        if head_side is self.theirs:
            head = _shift(head, self.ours.layout.base - self.theirs.layout.base)
            dash += self.ours.layout.base - self.theirs.layout.base
        pools: list[tuple[dict[Any, list[list[str]]], int]] = []
        for side, (_, item_blocks, side_dash) in sources:
            raw = side.tree.get(key) or []
            pool: dict[Any, list[list[str]]] = {}
            for item, lines in zip(raw, item_blocks):
                pool.setdefault(_comparable_item(self.fields.get(key), item), []).append(lines)
            pools.append((pool, side_dash))
        lines = list(head)
        for comparable, _ in merged:
            for pool, side_dash in pools:
                found = pool.get(comparable)
                if found:
                    lines.extend(_shift(found.pop(0), dash - side_dash))
                    break
            else:
                return self.rendered(key, [item for _, item in merged])
        return lines

    def rendered(self, key: str, items: list) -> list[str]:
        """A list neither side holds as a block list: written by the editor into our text, read back as lines."""
        text = set_field(self.ours.text, key, items, self.order)
        return Layout(text).block(key)

    def mark_conflicts(self, text: str) -> str:
        if not self.conflicts:
            return text
        layout = Layout(text)
        nl = layout.nl
        edits = []
        for rank, key in enumerate(self.conflicts):
            theirs_block = self.theirs.layout.block(key) or []
            theirs_block = _shift(theirs_block, layout.base - self.theirs.layout.base)
            ours_block = layout.block(key) or []
            marked = ([f"<<<<<<< {OURS_LABEL}{nl}"] + _ended(ours_block, nl) + [f"======={nl}"]
                      + _ended(theirs_block, nl) + [f">>>>>>> {THEIRS_LABEL}{nl}"])
            span = layout.span(key)
            if span is not None:
                edits.append((span[0], span[1] + 1, rank, marked))
            else:
                at = layout.insert_at(key, self.order)
                edits.append((at, at, rank, marked))
        lines = list(layout.lines)
        for first, stop, _, marked in sorted(edits, key=lambda e: (e[0], e[2]), reverse=True):
            lines[first:stop] = marked
        return "".join(lines)

    # -- the Markdown body ---------------------------------------------------------------------------------

    def merge_body(self, text: str) -> str:
        # the body is still ours, at the end of the text (conflict markers may stand in the front matter)
        front = text[:len(text) - len(self.ours.body)]
        ours, theirs, base = self.ours.body, self.theirs.body, self.base.body
        if theirs == base or theirs == ours:
            body = ours
        elif ours == base:
            body = theirs
        else:
            merged, conflicted = merge_file(ours.encode("utf-8"), base.encode("utf-8"), theirs.encode("utf-8"),
                                            (OURS_LABEL, BASE_LABEL, THEIRS_LABEL))
            body = merged.decode("utf-8", "surrogateescape")
            if conflicted:
                self.conflicts.append("body")
        return front + body


# -- comparing values by their type ---------------------------------------------------------------------------

def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((key, _freeze(item)) for key, item in value.items()))
    if isinstance(value, list):
        return tuple(_freeze(item) for item in value)
    return value


def _typed_scalar(spec: FieldSpec | None, value: Any) -> Any:
    if isinstance(value, str) and spec is not None and spec.fieldtype.is_number:
        typed = spec.fieldtype.read_text(value)
        return ("typed", typed) if typed is not None else value
    return value


def _comparable(spec: FieldSpec | None, value: Any) -> Any:
    if spec is None:
        return _freeze(value)
    if spec.type in LIST_TYPES and isinstance(value, list):
        return tuple(_comparable_item(spec, item) for item in value)
    if isinstance(value, list):
        return tuple(_typed_scalar(spec, item) for item in value)
    return _freeze(_typed_scalar(spec, value))


def _comparable_item(spec: FieldSpec | None, item: Any) -> Any:
    if spec is None or not isinstance(item, dict):
        return _freeze(item)
    if spec.type == "history":
        return tuple(sorted((key, _moment(value) if key == "at" else _freeze(value)) for key, value in item.items()))
    subfields = spec.subfields
    return tuple(sorted((key, _freeze(_typed_scalar(subfields.get(key), value))) for key, value in item.items()))


def _moment(value: Any) -> Any:
    moment = read_timestamp(value) if isinstance(value, str) else None
    return ("at", moment) if moment is not None else _freeze(value)


def _sort_time(comparable: tuple) -> tuple:
    at = dict(comparable).get("at")
    if isinstance(at, tuple) and at[:1] == ("at",):
        return (0, at[1].timestamp())
    return (1, 0.0)


def _counted(pairs: list[tuple[Any, Any]]) -> list[tuple[tuple[Any, int], Any]]:
    """Items with their occurrence number, so a list holding one value twice keeps both."""
    seen: dict[Any, int] = {}
    out = []
    for comparable, item in pairs:
        seen[comparable] = seen.get(comparable, 0) + 1
        out.append(((comparable, seen[comparable]), item))
    return out


def _merge_history(base, ours, theirs) -> list[tuple[Any, Any]]:
    """The ancestor's entries kept by both sides, then every entry either side added, in time order (an entry
    both sides added is there once)."""
    base_c, ours_c, theirs_c = _counted(base), _counted(ours), _counted(theirs)
    ours_keys, theirs_keys = {k for k, _ in ours_c}, {k for k, _ in theirs_c}
    base_keys = {k for k, _ in base_c}
    kept = [(k, item) for k, item in base_c if k in ours_keys and k in theirs_keys]
    added: dict[Any, Any] = {}
    for k, item in ours_c + theirs_c:
        if k not in base_keys and k not in added:
            added[k] = item
    additions = sorted(added.items(), key=lambda pair: _sort_time(pair[0][0]))  # stable: ours first on ties
    return [(k[0], item) for k, item in kept + additions]


def _natural_key(spec: FieldSpec | None) -> str | None:
    """The sub-field that names an item (`option` of a proposal, `path` of an attachment): the first declared."""
    if spec is None:
        return None
    if spec.type == "attachments":
        return "path"
    return next(iter(spec.subfields), None)


def _merge_by_item(base, ours, theirs, natural_key: str | None) -> list[tuple[Any, Any]] | None:
    """Ours, less the items theirs removed, plus the items theirs added (each after its neighbour in theirs);
    None when both sides added different items of the same name (the same proposal edited two ways)."""
    base_c, ours_c, theirs_c = _counted(base), _counted(ours), _counted(theirs)
    base_keys, ours_keys, theirs_keys = ({k for k, _ in side} for side in (base_c, ours_c, theirs_c))
    if natural_key is not None:
        ours_added = {_name(item, natural_key): k for k, item in ours_c if k not in base_keys}
        for k, item in theirs_c:
            name = _name(item, natural_key)
            if k not in base_keys and k not in ours_keys and name is not None and ours_added.get(name, k) != k:
                return None
    result = [(k, item) for k, item in ours_c if k in theirs_keys or k not in base_keys]
    for index, (k, item) in enumerate(theirs_c):
        if k in base_keys or k in ours_keys:
            continue
        at = 0
        for before, _ in reversed(theirs_c[:index]):
            position = next((i for i, (rk, _) in enumerate(result) if rk == before), None)
            if position is not None:
                at = position + 1
                break
        result.insert(at, (k, item))
    return [(k[0], item) for k, item in result]


def _name(item: Any, natural_key: str) -> Any:
    if isinstance(item, dict):
        value = item.get(natural_key)
        return value if isinstance(value, str) and value else None
    return None


# -- lines ------------------------------------------------------------------------------------------------------

def _shift(lines: list[str], delta: int) -> list[str]:
    """`lines` indented `delta` columns more (or fewer); blank lines stay as they are."""
    if delta == 0:
        return list(lines)
    out = []
    for line in lines:
        if not line.strip():
            out.append(line)
        elif delta > 0:
            out.append(" " * delta + line)
        elif line[:-delta].strip(" "):
            raise _Unmergeable("the two versions indent the front matter differently")
        else:
            out.append(line[-delta:])
    return out


def _ended(lines: list[str], nl: str) -> list[str]:
    """Lines that each end with a line break (the last line of a block may lack one only at the file's end)."""
    return [line if line.endswith("\n") else line + nl for line in lines]
