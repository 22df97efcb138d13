"""Byte-exact edits of a record file's front matter.

A record is never re-serialized.  PyYAML's composer (libyaml, no implicit typing) tells which lines belong to
which top-level key, and an edit swaps exactly those lines.  Everything else -- comments, quoting, key order,
unknown keys, indentation, the BOM, CRLF endings and the Markdown body -- is copied through untouched.  A
round-trip library (ruamel) would re-wrap long lines, re-indent lists and mix line endings, which turns a
one-field change into a noisy diff in review.

Every edit is parsed again before it is returned and compared with what was intended, so a bug or an exotic
file surfaces as EditError, never as a corrupted record.

Values are Python trees of str, int, Decimal, date, tz-aware datetime, list and dict.  Equality is judged on
"untyped" trees where every scalar is its string (what CBaseLoader reads), because the reader types values by
the schema, not by YAML's implicit resolvers.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
from decimal import Decimal
from typing import Any, Sequence

import yaml

from .reader import is_fence
from ..valueclass import valueclass

__all__ = ["EditError", "set_field", "unset_field", "append_item", "render_record"]

# The C loader is the project's read path; the pure one gives the same marks and only serves installs
# without libyaml.
_Loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


class EditError(ValueError):
    """The front matter cannot be edited safely; the file was not changed."""


# ---------------------------------------------------------------------------------------------------------
# Scalars: untyped string forms and rendering
# ---------------------------------------------------------------------------------------------------------

# Characters YAML allows unescaped in plain and single-quoted scalars, minus tab (invisible and easy to
# mangle), the BOM (libyaml treats it specially) and the non-ASCII line breaks (NEL, LS, PS).
_QUIET = "\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff"
# ...matched as its complement, a class of a few ranges: the quiet class itself, spanning the whole of Unicode,
# costs 4 ms to compile each time funnel starts a write.
_LOUD = "\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff"
_LOUD_RE = re.compile(f"[{_LOUD}]")
_NEEDS_ESCAPE = re.compile(f'[{_LOUD}"\\\\]')


def _quiet(s: str) -> bool:
    """Every character of `s` is in _QUIET."""
    return _LOUD_RE.search(s) is None


_ESCAPES = {
    "\0": "\\0", "\x07": "\\a", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\x0b": "\\v", "\x0c": "\\f",
    "\r": "\\r", "\x1b": "\\e", '"': '\\"', "\\": "\\\\", "\x85": "\\N", "\u2028": "\\L", "\u2029": "\\P",
}

# A first character that makes a plain scalar mean something else (or is reserved).
_INDICATORS = set("-?:,[]{}#&*!|>'\"%@`")
# Besides PyYAML's YAML 1.1 resolvers, strings other readers type implicitly: YAML 1.2 core numbers,
# and the one-letter booleans of the YAML 1.1 spec (Go's yaml.v2 reads `y` as true).
_OTHER_READERS = re.compile(
    r"""[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?
       |0o[0-7]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)
       |[yYnN]|~|null|Null|NULL|true|True|TRUE|false|False|FALSE""",
    re.X,
)
_RESOLVER = yaml.resolver.Resolver()
_STR_TAG = "tag:yaml.org,2002:str"


def _scalar_form(value: Any) -> tuple[str, bool]:
    """The untyped string of a scalar, and whether it is a typed value that is always written plain."""
    if isinstance(value, bool):  # bool is an int subclass; True/False is not a value any field holds
        raise TypeError("booleans are not supported in records")
    if isinstance(value, str):
        return value, False
    if isinstance(value, Decimal):
        return format(value, "f"), True  # positional: 0.0000001, never 1E-7 (which no reader takes as a number)
    if isinstance(value, int):
        return str(value), True
    if isinstance(value, _dt.datetime):
        if value.utcoffset() is None:
            raise ValueError(f"datetime {value.isoformat()} has no UTC offset")
        return value.isoformat(), True
    if isinstance(value, _dt.date):
        return value.isoformat(), True
    raise TypeError(f"cannot write a {type(value).__name__} into a record")


def _untyped(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_untyped(v) for v in value]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"mapping keys must be str, not {type(k).__name__}")
            out[k] = _untyped(v)
        return out
    return _scalar_form(value)[0]


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, (list, tuple, dict))


@functools.lru_cache(maxsize=8192)  # keys, stage ids and names repeat across the records of an import
def _plain_ok(s: str, flow: bool) -> bool:
    """True when `s` can be written unquoted and every common reader (YAML 1.1 and 1.2) reads it as `s`."""
    if not s or s != s.strip() or not _quiet(s):
        return False
    if s[0] in _INDICATORS or s.startswith(("---", "...")):
        return False
    if ": " in s or " #" in s or s.endswith(":"):
        return False
    # '?' also ends a plain scalar inside flow collections for PyYAML's pure-Python scanner.
    if flow and any(c in s for c in ",[]{}?"):
        return False
    if _OTHER_READERS.fullmatch(s):
        return False
    return _RESOLVER.resolve(yaml.ScalarNode, s, (True, False)) == _STR_TAG


def _single_ok(s: str) -> bool:
    return _quiet(s)


def _single(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _escape(m: re.Match) -> str:
    ch = m.group()
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    code = ord(ch)
    if 0xD800 <= code <= 0xDFFF:
        raise ValueError("a string with a lone surrogate cannot be written as UTF-8")
    if code <= 0xFF:
        return f"\\x{code:02X}"
    if code <= 0xFFFF:
        return f"\\u{code:04X}"
    return f"\\U{code:08X}"


def _double(s: str) -> str:
    return '"' + _NEEDS_ESCAPE.sub(_escape, s) + '"'


def _inline_scalar(value: Any, flow: bool, quote: str = "") -> str:
    """One-line rendering of a scalar; `quote` is the style of the value being replaced, kept if possible."""
    s, typed = _scalar_form(value)
    if quote == "'" and _single_ok(s):
        return _single(s)
    if quote == '"':
        return _double(s)
    if typed or _plain_ok(s, flow):
        return s
    if _single_ok(s):
        return _single(s)
    return _double(s)


def _inline(value: Any, flow: bool) -> str:
    """One-line rendering of any value: flow collections, scalars never spanning lines."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_inline_scalar(k, True)}: {_inline(v, True)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_inline(v, True) for v in value) + "]"
    return _inline_scalar(value, flow)


def _literal(s: str, pad: str) -> tuple[str, list[str]] | None:
    """A `|` block for a multi-line string, or None when a block scalar would not read back as `s`."""
    body = s[:-1] if s.endswith("\n") else s
    lines = body.split("\n")
    if not body.strip("\n") or body.endswith("\n"):  # nothing but newlines, or trailing blank lines (`|+`)
        return None
    if not all(_quiet(line.replace("\t", " ")) for line in lines):
        return None
    if any(line != line.rstrip(" \t") for line in lines):  # trailing blanks: invisible and editors strip them
        return None
    first = next(line for line in lines if line)
    if first[0] in " \t":  # the first content line would set a deeper indentation
        return None
    if any(line[:1] == "\t" for line in lines):
        return None
    header = " |" if s.endswith("\n") else " |-"
    out = [pad + line if line else "" for line in lines]
    probe = "k:" + header + "\n" + "".join(line + "\n" for line in out)
    try:
        node = yaml.compose(probe, Loader=_Loader)
    except yaml.YAMLError:
        return None
    if not isinstance(node, yaml.MappingNode) or node.value[0][1].value != s:
        return None
    return header, out


@valueclass
class _Style:
    base: int  # column of the top-level keys
    indent: int  # nested indentation (block scalars, block mappings)
    list_indent: int  # column of a block list's dashes relative to `base`
    quote: str = ""  # quoting style of the scalar being replaced
    block_list: bool = False  # the list being replaced was a block list: keep it one


def _render_top(value: Any, st: _Style) -> tuple[str, list[str]]:
    """A top-level value as (text after `key:` on the key line, continuation lines without line ends)."""
    if isinstance(value, (list, tuple)):
        if not value:
            return " []", []
        if not st.block_list and all(_is_scalar(v) for v in value):
            forms = [_scalar_form(v) for v in value]
            if all(typed or _plain_ok(s, True) for s, typed in forms):
                return " [" + ", ".join(s for s, _ in forms) + "]", []
        pad = " " * (st.base + st.list_indent)
        return "", [f"{pad}- {_inline(v, False)}" for v in value]
    if isinstance(value, dict):
        if not value:
            return " {}", []
        pad = " " * (st.base + st.indent)
        return "", [f"{pad}{_inline_scalar(k, False)}: {_inline(v, False)}" for k, v in value.items()]
    s, _ = _scalar_form(value)
    if "\n" in s:
        block = _literal(s, " " * (st.base + st.indent))
        if block is not None:
            return block
        return " " + _double(s), []
    return " " + _inline_scalar(value, False, st.quote), []


# ---------------------------------------------------------------------------------------------------------
# Locating the front matter and the lines of each top-level key
# ---------------------------------------------------------------------------------------------------------

# Line breaks YAML honours but a '\n'-based line split does not; line numbers would disagree.
_ODD_BREAKS = re.compile("\r(?!\n)|[\x85\u2028\u2029]")
_BLOCK_HEADER = re.compile(r"[|>][0-9+-]*")


def _content(line: str) -> str:
    if line.endswith("\r\n"):
        return line[:-2]
    if line.endswith("\n"):
        return line[:-1]
    return line


def _split_lines(text: str) -> list[str]:
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _node_tree(node: Any) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return node.value
    if isinstance(node, yaml.SequenceNode):
        return [_node_tree(n) for n in node.value]
    return {str(_node_tree(k)): _node_tree(v) for k, v in node.value}


def _has_alias(root: Any) -> bool:
    # The composer resolves an alias to the anchored node itself, so a shared node means an alias.  Iterative:
    # nesting depth is attacker-controlled.
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            return True
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                stack.extend((k, v))
    return False


def _end_line(mark: Any, fm: list[str]) -> int:
    """The line holding the character just before `mark` (marks of block nodes point at the next token)."""
    if mark.line >= len(fm) or not fm[mark.line][: mark.column].strip():
        return mark.line - 1
    return mark.line


def _last_line(node: Any, fm: list[str]) -> int:
    """Last front-matter line holding part of `node`; trailing comments and blank lines are not part of it."""
    start = node.start_mark.line
    if isinstance(node, yaml.ScalarNode):
        last = _end_line(node.end_mark, fm)
        if node.style in ("|", ">"):
            header = _BLOCK_HEADER.search(fm[start], node.start_mark.column)
            keep = header is not None and "+" in header.group()
            if not keep:  # trailing blank lines belong to a `|+` block only
                while last > start and not fm[last].strip():
                    last -= 1
        return max(last, start)
    if node.flow_style or not node.value:
        return max(_end_line(node.end_mark, fm), start)
    child = node.value[-1]
    if isinstance(node, yaml.MappingNode):
        return max(_last_line(child[0], fm), _last_line(child[1], fm))
    return _last_line(child, fm)


@valueclass
class _Entry:
    key: str
    key_node: Any
    value: Any
    first: int  # index in _Doc.lines of the key's line
    last: int  # index in _Doc.lines of the last line of its value


def _is_quiet_line(content: str) -> bool:
    stripped = content.strip()
    return not stripped or stripped.startswith("#")


class _Doc:
    """A record file split into lines, with the position of every top-level key of its front matter."""

    def __init__(self, text: str):
        self.bom = "\ufeff" if text.startswith("\ufeff") else ""
        self.lines = _split_lines(text[len(self.bom):])
        if not self.lines or not is_fence(self.lines[0]):
            raise EditError("no front matter: the first line must be '---'")
        self.nl = "\r\n" if self.lines[0].endswith("\r\n") else "\n"
        self.end = next((i for i in range(1, len(self.lines)) if is_fence(self.lines[i])), None)
        if self.end is None or not self.lines[0].endswith("\n"):
            raise EditError("front matter is not closed: no line '---' after the first one")
        fm_text = "".join(self.lines[1:self.end])
        odd = _ODD_BREAKS.search(fm_text)
        if odd:
            line = fm_text.count("\n", 0, odd.start()) + 2
            raise EditError(f"line {line}: unusual line break character {odd.group()!r} in front matter")
        fm = [_content(line) for line in self.lines[1:self.end]]
        try:
            root = yaml.compose(fm_text, Loader=_Loader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 2}: " if mark is not None else ""
            raise EditError(f"{where}front matter is not valid YAML: {getattr(exc, 'problem', None) or exc}") from None
        self.entries: list[_Entry] = []
        self.base = 0
        if root is None:
            return
        if not isinstance(root, yaml.MappingNode) or root.flow_style:
            raise EditError("front matter must be a block mapping of fields (`key: value` lines)")
        if _has_alias(root):
            raise EditError("front matter uses YAML aliases (`*name`); edit it by hand")
        self.base = root.value[0][0].start_mark.column if root.value else 0
        seen: dict[str, int] = {}
        try:
            for key_node, value in root.value:
                self.entries.append(self._entry(key_node, value, fm, seen))
        except RecursionError:
            raise EditError("front matter is nested too deeply") from None
        self._check_coverage(fm)

    def _entry(self, key_node: Any, value: Any, fm: list[str], seen: dict[str, int]) -> _Entry:
        line = key_node.start_mark.line
        if not isinstance(key_node, yaml.ScalarNode) or key_node.end_mark.line != line:
            raise EditError(f"line {line + 2}: only simple one-line keys can be edited")
        if key_node.start_mark.column != self.base or fm[line][: self.base].strip():
            raise EditError(f"line {line + 2}: key {key_node.value!r} does not start its line")
        if key_node.value in seen:
            raise EditError(f"line {line + 2}: duplicate key {key_node.value!r} (first on line {seen[key_node.value]})")
        seen[key_node.value] = line + 2
        last = max(_last_line(value, fm), line)
        return _Entry(key_node.value, key_node, value, line + 1, last + 1)

    def _check_coverage(self, fm: list[str]) -> None:
        # Lines outside every key's block must be blank or comments; anything else means the block boundaries
        # were misjudged, and editing would cut a value in two.
        covered = 1
        for entry in self.entries:
            if entry.first < covered:
                raise EditError(f"line {entry.first + 1}: cannot tell where the value before {entry.key!r} ends")
            for i in range(covered, entry.first):
                if not _is_quiet_line(fm[i - 1]):
                    raise EditError(f"line {i + 1}: cannot tell which key this line belongs to")
            covered = entry.last + 1
        for i in range(covered, self.end):
            if not _is_quiet_line(fm[i - 1]):
                raise EditError(f"line {i + 1}: cannot tell which key this line belongs to")

    def find(self, key: str) -> _Entry | None:
        return next((e for e in self.entries if e.key == key), None)

    def content(self, index: int) -> str:
        return _content(self.lines[index])

    def style(self) -> _Style:
        """Indentation the file already uses, so new blocks look like their neighbours."""
        indent = list_indent = None
        for entry in self.entries:
            v = entry.value
            if isinstance(v, yaml.SequenceNode) and not v.flow_style:
                rel = v.start_mark.column - self.base
                list_indent = rel if list_indent is None else list_indent
                indent = indent or (rel if rel > 0 else None)
            elif isinstance(v, yaml.MappingNode) and not v.flow_style and v.value:
                indent = indent or (v.start_mark.column - self.base or None)
            elif isinstance(v, yaml.ScalarNode) and v.style in ("|", ">"):
                indent = indent or self._block_scalar_indent(entry)
        indent = indent if indent and indent > 0 else 2
        return _Style(self.base, indent, indent if list_indent is None else list_indent)

    def _block_scalar_indent(self, entry: _Entry) -> int | None:
        for i in range(entry.first + 1, entry.last + 1):
            text = self.content(i)
            if text.strip():
                return (len(text) - len(text.lstrip(" "))) - self.base or None
        return None

    def style_for(self, entry: _Entry) -> _Style:
        """Style for replacing `entry`'s value: its own indentation and quoting where it has them."""
        st = self.style()
        v = entry.value
        if isinstance(v, yaml.ScalarNode):
            if v.style in ("'", '"'):
                st.quote = v.style
            elif v.style in ("|", ">"):
                st.indent = self._block_scalar_indent(entry) or st.indent
        elif isinstance(v, yaml.SequenceNode) and not v.flow_style:
            st.list_indent = v.start_mark.column - self.base
            st.block_list = True
        elif isinstance(v, yaml.MappingNode) and not v.flow_style and v.value:
            st.indent = v.start_mark.column - self.base or st.indent
        return st

    def insert_at(self, key: str, order: Sequence[str]) -> int:
        """Line index where a new key goes: after its nearest predecessor in `order`, else before its nearest
        successor, else after the last key."""
        present = {e.key: e for e in self.entries}
        order = list(order)
        if key in order:
            i = order.index(key)
            for k in reversed(order[:i]):
                if k in present:
                    return present[k].last + 1
            for k in order[i + 1:]:
                if k in present:
                    return present[k].first
        if self.entries:
            return self.entries[-1].last + 1
        return self.end

    def colon(self, entry: _Entry) -> int:
        text = self.content(entry.first)
        start = entry.key_node.end_mark.column
        colon = text.find(":", start)
        if colon < 0 or text[start:colon].strip():
            raise EditError(f"line {entry.first + 1}: cannot find the ':' after key {entry.key!r}")
        return colon


# ---------------------------------------------------------------------------------------------------------
# Edits
# ---------------------------------------------------------------------------------------------------------

_ABSENT = object()


def _key_line(st: _Style, key: str, header: str) -> str:
    return " " * st.base + _inline_scalar(key, False) + ":" + header


def _join(doc: _Doc, lines: list[str]) -> str:
    return doc.bom + "".join(lines)


def _verify(old: _Doc, new_text: str, key: str, target: Any) -> str:
    """Re-read the edited text; anything but the intended change means a bug here, so refuse it."""
    try:
        new = _Doc(new_text)
    except EditError as exc:
        raise EditError(f"editing {key!r} would break the front matter ({exc}); the file was left unchanged") from None
    before = [(e.key, _node_tree(e.value)) for e in old.entries if e.key != key]
    after = [(e.key, _node_tree(e.value)) for e in new.entries if e.key != key]
    entry = new.find(key)
    got = _ABSENT if entry is None else _node_tree(entry.value)
    if (before != after or got != target or new.bom != old.bom
            or new.lines[new.end:] != old.lines[old.end:]):
        raise EditError(f"editing {key!r} would change more than that field; the file was left unchanged")
    return new_text


def _replacement(doc: _Doc, entry: _Entry, value: Any) -> list[str]:
    """New lines for an existing key's whole block."""
    v = entry.value
    text = doc.content(entry.first)
    colon = doc.colon(entry)
    header, cont = _render_top(value, doc.style_for(entry))
    on_key_line = v.start_mark.line + 1 == entry.first
    is_scalar = isinstance(v, yaml.ScalarNode)
    empty = is_scalar and not v.value and not v.style
    one_liner = on_key_line and entry.last == entry.first and not empty and not (is_scalar and v.style in ("|", ">"))
    if one_liner and not cont:
        # Swap the value in place: the spacing after ':' and a trailing comment stay.
        rest = text[v.end_mark.column:]
        if rest.strip() and not rest.lstrip().startswith("#"):
            raise EditError(f"line {entry.first + 1}: unexpected text after the value of {entry.key!r}")
        lines = [text[: v.start_mark.column] + header[1:] + rest]
    else:
        tail = text[colon + 1:]
        comment = tail if (empty or not on_key_line) and tail.lstrip().startswith("#") else ""
        lines = [text[: colon + 1] + header + comment] + cont
    return [line + doc.nl for line in lines]


def set_field(text: str, key: str, value: Any, order: Sequence[str]) -> str:
    """Set top-level `key` to `value`, changing only that key's lines (inserted in `order` if new)."""
    doc = _Doc(text)
    target = _untyped(value)
    entry = doc.find(key)
    if entry is not None:
        if _node_tree(entry.value) == target:
            return text
        new = _replacement(doc, entry, value)
        lines = doc.lines[: entry.first] + new + doc.lines[entry.last + 1:]
    else:
        st = doc.style()
        header, cont = _render_top(value, st)
        new = [line + doc.nl for line in [_key_line(st, key, header)] + cont]
        at = doc.insert_at(key, order)
        lines = doc.lines[:at] + new + doc.lines[at:]
    return _verify(doc, _join(doc, lines), key, target)


def unset_field(text: str, key: str) -> str:
    """Remove `key` and its whole value; `text` unchanged when the key is absent."""
    doc = _Doc(text)
    entry = doc.find(key)
    if entry is None:
        return text
    lines = doc.lines[: entry.first] + doc.lines[entry.last + 1:]
    return _verify(doc, _join(doc, lines), key, _ABSENT)


def append_item(text: str, key: str, item: Any, order: Sequence[str]) -> str:
    """Append `item` to the list under `key` as one new line in the style of the existing items."""
    doc = _Doc(text)
    entry = doc.find(key)
    v = entry.value if entry else None
    if entry is None or (isinstance(v, yaml.ScalarNode) and not v.value and not v.style):
        return set_field(text, key, [item], order)
    if not isinstance(v, yaml.SequenceNode):
        raise EditError(f"line {entry.first + 1}: {key!r} does not hold a list")
    target = _node_tree(v) + [_untyped(item)]
    if v.flow_style:
        if not v.value:
            return set_field(text, key, [item], order)
        # Insert right after the last item so the rest of the flow list stays as written.
        end = v.value[-1].end_mark
        index = end.line + 1
        line = doc.lines[index]
        lines = list(doc.lines)
        lines[index] = line[: end.column] + ", " + _inline(item, True) + line[end.column:]
        return _verify(doc, _join(doc, lines), key, target)
    dash = v.start_mark.column
    last = v.value[-1]
    gap = 2
    dash_line = doc.content(last.start_mark.line + 1)
    if dash_line[:dash].strip() == "" and dash_line[dash:dash + 1] == "-" and not dash_line[dash + 1:last.start_mark.column].strip():
        gap = max(last.start_mark.column - dash, 2)
    lead = " " * dash + "-" + " " * (gap - 1)
    if isinstance(item, dict) and item and isinstance(last, yaml.MappingNode) and not last.flow_style:
        pad = " " * (dash + gap)
        new = [f"{_inline_scalar(k, False)}: {_inline(val, False)}" for k, val in item.items()]
        new = [lead + new[0]] + [pad + line for line in new[1:]]
    else:
        new = [lead + _inline(item, False)]
    lines = doc.lines[: entry.last + 1] + [line + doc.nl for line in new] + doc.lines[entry.last + 1:]
    return _verify(doc, _join(doc, lines), key, target)


def render_record(fields: list[tuple[str, object]], body: str = "", verify: bool = True) -> str:
    """Text of a new record file: front matter with `fields` in the given order, then `body`; LF endings.
    `verify=False` skips parsing the text back here, for a caller that reads every record it renders back
    anyway (a batch of thousands) and compares the result itself."""
    st = _Style(base=0, indent=2, list_indent=2)
    out = ["---\n"]
    targets = []
    for key, value in fields:
        header, cont = _render_top(value, st)
        out.extend(line + "\n" for line in [_key_line(st, key, header)] + cont)
        targets.append((key, _untyped(value) if verify else None))
    if len({k for k, _ in targets}) != len(targets):
        raise ValueError("render_record: a field is given twice")
    out.append("---\n")
    text = "".join(out) + body
    if not verify:
        return text
    doc = _Doc(text)
    if [(e.key, _node_tree(e.value)) for e in doc.entries] != targets:
        raise EditError("render_record: the rendered front matter does not read back as the given fields")
    return text


# ---------------------------------------------------------------------------------------------------------
# Whole blocks: what a three-way merge needs (the lines of each key and of each list item, and a checked swap)
# ---------------------------------------------------------------------------------------------------------

class Layout:
    """A record file as lines: the line range of every top-level key and of every item of a block list.

    Line indices count from the file's first line (the opening `---`), BOM excluded; `lines` keep their
    endings. A merge copies whole blocks between the two sides' files and swaps them in with `replace_blocks`,
    so every line neither side changed keeps its bytes."""

    def __init__(self, text: str):
        self._doc = _Doc(text)
        doc = self._doc
        self.bom, self.nl, self.lines, self.end, self.base = doc.bom, doc.nl, doc.lines, doc.end, doc.base
        self.keys = [entry.key for entry in doc.entries]

    def block(self, key: str) -> list[str] | None:
        """The lines of `key` (its key line through the last line of its value), or None when absent."""
        entry = self._doc.find(key)
        return None if entry is None else self.lines[entry.first:entry.last + 1]

    def tree(self, key: str) -> Any:
        """The untyped value of `key` as the block's lines hold it (every scalar its string)."""
        entry = self._doc.find(key)
        return _ABSENT if entry is None else _node_tree(entry.value)

    def list_items(self, key: str) -> tuple[list[str], list[list[str]], int] | None:
        """For a block list under `key`: (the key line and anything before the first item, each item's lines —
        a comment or blank line just above an item goes with it —, the dashes' column); None otherwise."""
        entry = self._doc.find(key)
        if entry is None or not isinstance(entry.value, yaml.SequenceNode) or entry.value.flow_style:
            return None
        items = entry.value.value
        if not items:
            return None
        fm = [_content(line) for line in self.lines[1:self.end]]
        starts = [item.start_mark.line + 1 for item in items]
        ends = [_last_line(item, fm) + 1 for item in items]
        head_end = starts[0]
        while head_end - 1 > entry.first and _is_quiet_line(self._doc.content(head_end - 1)):
            head_end -= 1  # comments just above the first item belong to it
        head = self.lines[entry.first:head_end]
        blocks = []
        begin = head_end
        for index, end in enumerate(ends):
            if starts[index] < begin or end < starts[index]:
                return None  # two items on one line: not a list we can cut into items
            blocks.append(self.lines[begin:end + 1])
            begin = end + 1
        if begin != entry.last + 1:
            return None
        return head, blocks, entry.value.start_mark.column

    def insert_at(self, key: str, order: Sequence[str]) -> int:
        return self._doc.insert_at(key, order)

    def span(self, key: str) -> tuple[int, int] | None:
        """(first, last) line index of `key`'s block."""
        entry = self._doc.find(key)
        return None if entry is None else (entry.first, entry.last)


def replace_blocks(text: str, blocks: dict[str, list[str] | None], order: Sequence[str],
                   expected: dict[str, Any]) -> str:
    """Swap whole key blocks: `blocks[key]` are the new lines of `key` (with endings; None removes it; a key the
    file lacks is inserted in `order`). `expected[key]` is the untyped value each new block must read back as;
    every other key and the body must read back unchanged, else EditError and nothing is returned."""
    doc = _Doc(text)
    replaced: list[tuple[int, int, list[str]]] = []
    inserted: list[tuple[int, int, list[str]]] = []
    for rank, (key, lines) in enumerate(blocks.items()):
        entry = doc.find(key)
        if entry is not None:
            replaced.append((entry.first, entry.last + 1, lines or []))
        elif lines:
            inserted.append((doc.insert_at(key, order), rank, lines))
    out = list(doc.lines)
    # right to left, so earlier indices stay valid; at one place a replacement goes first, then insertions from
    # the last given to the first (each lands before the previous), so they read in the order given
    edits = [(first, stop, lines, len(blocks)) for first, stop, lines in replaced]
    edits += [(at, at, lines, rank) for at, rank, lines in inserted]
    for first, stop, lines, _ in sorted(edits, key=lambda e: (e[0], e[3]), reverse=True):
        out[first:stop] = lines
    new_text = _join(doc, out)
    try:
        new = _Doc(new_text)
    except EditError as exc:
        raise EditError(f"merging the fields would break the front matter ({exc})") from None
    before = [(e.key, _node_tree(e.value)) for e in doc.entries if e.key not in blocks]
    after = [(e.key, _node_tree(e.value)) for e in new.entries if e.key not in blocks]
    if before != after or new.lines[new.end:] != doc.lines[doc.end:] or new.bom != doc.bom:
        raise EditError("merging the fields would change other fields")
    for key in blocks:
        entry = new.find(key)
        got = _ABSENT if entry is None else _node_tree(entry.value)
        if got != expected.get(key, _ABSENT):
            raise EditError(f"merging {key!r} would not give the merged value")
    return new_text


ABSENT = _ABSENT
