"""The fast, faithful reader of record files and of schema.yaml.

A record file is an optional UTF-8 BOM, a `---` line, YAML front matter, a `---` line and a Markdown body.
The front matter is parsed by libyaml (PyYAML's C parser) into nodes with *no implicit typing*: every scalar
stays the exact string the person typed; the schema types it later (`records.py`). YAML 1.1 resolvers would
read `no` as False and `0123` as 83, which is wrong for a CRM that stores phone numbers and names.

The result is an untyped tree (str | None | list | dict) plus the 1-based line and column of every node,
counted from the file's first line (the opening `---`), and a list of problems found on the way. Reading never
raises for bad input: a broken file is a value with problems, so `check` can go on to the next file.
"""

from __future__ import annotations

import re

from ..valueclass import field, valueclass

# PyYAML is imported on the first parse, not with this module: commands served from the record cache never
# parse YAML, and its import is a noticeable part of their start-up.
yaml = ScalarNode = SequenceNode = _Loader = None
_SIMPLE_READER = False  # simple_mapping may stand in for libyaml (only beside the C parser: see there)


def _load_yaml() -> None:
    global yaml, ScalarNode, SequenceNode, _Loader, _SIMPLE_READER
    if yaml is not None:
        return
    import yaml as module
    from yaml.nodes import ScalarNode as scalar, SequenceNode as sequence

    try:  # the C parser is the speed floor; the pure-Python one is only a fallback for odd installs
        from yaml._yaml import CParser

        class Loader(CParser):
            """libyaml's composer with no tag resolution at all.

            CParser asks Python to resolve a tag for every node (`resolve`, `descend_resolver`,
            `ascend_resolver`): three Python calls per node that cost a third of the parse. We never read
            tags (the schema types every value), so the hooks are bound to C builtins that take the same
            arguments and do next to nothing."""

            resolve = slice  # (kind, value, implicit) -> an unused tag
            descend_resolver = slice  # (parent, index)
            ascend_resolver = tuple  # ()

        _SIMPLE_READER = True
    except ImportError:  # pragma: no cover
        from yaml import BaseLoader as Loader
    yaml, ScalarNode, SequenceNode, _Loader = module, scalar, sequence, Loader


# Plain scalars that mean "no value" (YAML 1.2 core schema). A quoted '' or 'null' stays a string.
NULL_WORDS = frozenset(("", "~", "null", "Null", "NULL"))
MAX_FRONT_MATTER = 1 << 20  # bytes of front matter; a record is never that large
MAX_DEPTH = 64  # nesting a record never needs; libyaml's composer recurses on the C stack
CONFLICT_MARKER = re.compile(r"^(<{7}|={7}|>{7}|\|{7})(?: |\r?$)", re.MULTILINE)
INLINE_NESTING = re.compile(r"(?:[-?][ \t]+){%d,}" % MAX_DEPTH)

Position = tuple[int, int]
Path = tuple  # a path into the tree: ("history", 2, "at")


@valueclass
class Problem:
    line: int
    column: int
    code: str
    message: str
    severity: str = "error"

    def __init__(self, line, column, code, message, severity="error"):  # as many as a file has: written out
        self.line = line
        self.column = column
        self.code = code
        self.message = message
        self.severity = severity


@valueclass
class ParsedText:
    """What reading one file gave: the untyped front matter and where each part of it stands."""

    tree: dict | None  # None when no front matter could be read
    positions: dict[Path, Position]  # (key,) -> position of the key; deeper paths -> position of the value
    problems: list[Problem] = field(default_factory=list)
    body: str = ""
    has_bom: bool = False
    crlf: bool = False

    def __init__(self, tree, positions, problems=None, body="", has_bom=False, crlf=False):  # one per file read
        self.tree = tree
        self.positions = positions
        self.problems = [] if problems is None else problems
        self.body = body
        self.has_bom = has_bom
        self.crlf = crlf


def decode(data: bytes) -> tuple[str | None, Problem | None]:
    """UTF-8 text of `data`, or the position of its first invalid byte."""
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        line_start = before.rfind(b"\n") + 1
        column = len(before[line_start:].decode("utf-8", "replace")) + 1
        return None, Problem(line, column, "encoding", f"not valid UTF-8 (byte 0x{data[exc.start]:02x})")


def parse_record_bytes(data: bytes, all_positions: bool = True) -> ParsedText:
    text, problem = decode(data)
    if text is None:
        return ParsedText(None, {}, [problem])
    return parse_record_text(text, all_positions)


def record_body(data: bytes) -> str:
    """The Markdown body of a record file, as parse_record_bytes finds it, without parsing the front matter (a
    card's notes need no YAML parser: `show` imports none)."""
    text, _ = decode(data)
    return "" if text is None else parse_record_text(text, front_matter=False).body


def parse_record_text(text: str, all_positions: bool = True, front_matter: bool = True) -> ParsedText:
    has_bom = text.startswith("\ufeff")
    if has_bom:
        text = text[1:]
    first_end = text.find("\n")
    first_line = text if first_end < 0 else text[:first_end]
    crlf = first_line.endswith("\r")
    result = ParsedText(None, {}, has_bom=has_bom, crlf=crlf)
    problems = result.problems

    if not text or text.isspace():  # (no stripped copy of every file)
        problems.append(Problem(1, 1, "empty-file", "empty file: a record needs front matter between '---' lines"))
        return result
    if "=======" in text or "<<<<<<<" in text or ">>>>>>>" in text:
        for match in CONFLICT_MARKER.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            problems.append(Problem(line, 1, "conflict-marker",
                                    f"merge-conflict marker '{match.group(1)}': resolve the conflict"))
        if problems:
            return result
    if not is_fence(first_line):
        problems.append(Problem(1, 1, "no-front-matter", "missing front matter: the first line must be '---'"))
        return result
    closing = closing_fence(text, first_end)
    if closing < 0:
        problems.append(Problem(1, 1, "unterminated-front-matter",
                                "front matter is not closed: no '---' line after the opening one"))
        return result
    front = text[first_end + 1:closing]
    body_start = text.find("\n", closing)
    result.body = "" if body_start < 0 else text[body_start + 1:]
    if len(front) > MAX_FRONT_MATTER:
        problems.append(Problem(2, 1, "too-large", f"front matter larger than {MAX_FRONT_MATTER} bytes"))
        return result
    if not front_matter:
        return result
    tree, positions, tree_problems = parse_yaml(front, line_offset=1, all_positions=all_positions)
    problems.extend(tree_problems)
    if tree is None and not tree_problems:
        tree = {}
    if tree is not None and not isinstance(tree, dict):
        problems.append(Problem(2, 1, "not-a-mapping", "front matter must be a mapping of field: value"))
        tree = None
    result.tree, result.positions = tree, positions
    return result


# The one definition of a front-matter fence, for reading and for editing: a line `---`, then only spaces or
# tabs (and the `\r` of a CRLF line end). Other white space (`---\xa0`) makes it an ordinary line.
FENCE = re.compile(r"---[ \t]*\r?\n?\Z")


def is_fence(line: str) -> bool:
    """Whether `line` (with or without its line end) opens or closes front matter."""
    return FENCE.match(line) is not None


def closing_fence(text: str, first_end: int) -> int:
    """Offset of the line `---` that closes the front matter, or -1 (str.find beats a multiline regex)."""
    start = first_end
    while True:
        start = text.find("\n---", start)
        if start < 0:
            return -1
        line_end = text.find("\n", start + 4)
        if is_fence(text[start + 1:] if line_end < 0 else text[start + 1:line_end]):
            return start + 1
        start += 4


def parse_yaml(text: str, line_offset: int = 0, all_positions: bool = True) -> tuple[object, dict[Path, Position], list[Problem]]:
    """Untyped tree of one YAML document, positions (1-based, shifted by line_offset) and problems."""
    _load_yaml()
    too_deep = nesting_problem(text, line_offset)
    if too_deep:
        return None, {}, [too_deep]
    if not all_positions and _SIMPLE_READER:
        simple = simple_mapping(text, line_offset)
        if simple is not None:
            return simple[0], simple[1], []
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1 + line_offset, mark.column + 1) if mark else (1 + line_offset, 1)
        message = str(exc.problem or exc.context)
        if exc.context and exc.problem and exc.context_mark is not None:
            message += f" ({exc.context} started on line {exc.context_mark.line + 1 + line_offset})"
        return None, {}, [Problem(line, column, "yaml-syntax", f"malformed YAML: {message}")]
    except yaml.YAMLError as exc:
        return None, {}, [Problem(1 + line_offset, 1, "yaml-syntax", f"malformed YAML: {exc}")]
    if node is None:
        return None, {}, []
    builder = _TreeBuilder(line_offset, budget=10_000 + len(text), all_positions=all_positions)
    try:
        try:
            tree = builder.build(node, ())
        except _NeedPositions:
            builder = _TreeBuilder(line_offset, budget=10_000 + len(text), all_positions=True)
            tree = builder.build(node, ())
    except _AliasBomb:
        mark = node.start_mark
        return None, {}, [Problem(mark.line + 1 + line_offset, 1, "alias-bomb",
                                  "YAML aliases expand to far more values than the file holds (alias bomb)")]
    except _TooDeep:
        mark = node.start_mark
        return None, {}, [Problem(mark.line + 1 + line_offset, 1, "too-deep",
                                  f"values nested more than {MAX_DEPTH} levels deep (an alias inside itself?)")]
    return tree, builder.positions, builder.problems


def nesting_problem(text: str, line_offset: int) -> Problem | None:
    """Refuse nesting deeper than MAX_DEPTH before libyaml sees it: its composer recurses on the C stack
    (a deep enough document crashes the process) and its parser slows down quadratically."""
    if text.count("[") + text.count("{") > MAX_DEPTH:
        depth = 0
        for index, char in enumerate(text):
            if char in "[{":
                depth += 1
                if depth > MAX_DEPTH:
                    return Problem(text.count("\n", 0, index) + 1 + line_offset, 1, "too-deep",
                                   f"values nested more than {MAX_DEPTH} levels deep")
            elif char in "]}" and depth:
                depth -= 1
    # "- - - x" nests a sequence per dash; count first, the regex scan is only worth it when it could match
    match = None
    if text.count("- ") + text.count("? ") + text.count("-\t") + text.count("?\t") > MAX_DEPTH:
        match = INLINE_NESTING.search(text)
    if match:
        return Problem(text.count("\n", 0, match.start()) + 1 + line_offset, 1, "too-deep",
                       f"values nested more than {MAX_DEPTH} levels deep")
    return None


class _AliasBomb(Exception):
    pass


class _TooDeep(Exception):
    pass


class _TreeBuilder:
    """Node graph → plain Python, with positions, duplicate-key detection and a bound on alias expansion.

    libyaml's composer shares one node object for every alias of an anchor, so composing a "billion laughs"
    document is cheap; only expanding it is not. The budget counts visited nodes: a legitimate document has
    at most one node per character, so anything beyond that came from aliases."""

    def __init__(self, line_offset: int, budget: int, all_positions: bool = True):
        self.line_offset = line_offset
        # Positions deeper than list items (`history[2].at`) are only needed for a message; the fast path
        # skips them and a record with problems is read again with all of them.
        self.all_positions = all_positions
        self.budget = budget
        self.positions: dict[Path, Position] = {}
        self.problems: list[Problem] = []

    def position(self, node) -> Position:
        mark = node.start_mark
        return mark.line + 1 + self.line_offset, mark.column + 1

    def build(self, node, path: Path):
        # the hot loop of every read: marks are read inline rather than through position()
        self.budget -= 1
        if self.budget < 0:
            raise _AliasBomb
        if len(path) > MAX_DEPTH:
            raise _TooDeep  # only an alias that contains itself gets here: the text was screened
        node_type = type(node)
        if node_type is ScalarNode:
            value = node.value
            if not node.style and value in NULL_WORDS:
                return None
            return value
        offset = self.line_offset + 1
        positions = self.positions
        if not self.all_positions and len(path) >= 2:
            return self.plain(node, len(path))
        if node_type is SequenceNode:
            items = []
            for index, item in enumerate(node.value):
                item_path = path + (index,)
                mark = item.start_mark
                positions[item_path] = (mark.line + offset, mark.column + 1)
                items.append(self.build(item, item_path))
            return items
        mapping: dict = {}
        top = not path
        for key_node, value_node in node.value:
            if type(key_node) is not ScalarNode:
                line, column = self.position(key_node)
                self.problems.append(Problem(line, column, "yaml-syntax", "a key must be a plain name"))
                continue
            key = key_node.value
            key_path = path + (key,)
            if key in mapping:
                line, column = self.position(key_node)
                first_line = positions[key_path][0]
                self.problems.append(Problem(line, column, "duplicate-key",
                                             f"duplicate key '{key}' (first on line {first_line})"))
                continue
            value_mark = value_node.start_mark
            value_position = (value_mark.line + offset, value_mark.column + 1)
            if top:
                # top-level: the key's position, and the value's under ("=", key) for messages about it
                key_mark = key_node.start_mark
                positions[key_path] = (key_mark.line + offset, key_mark.column + 1)
                positions[("=", key)] = value_position
            else:
                positions[key_path] = value_position
            if type(value_node) is ScalarNode:
                self.budget -= 1
                value = value_node.value
                mapping[key] = None if not value_node.style and value in NULL_WORDS else value
            else:
                mapping[key] = self.build(value_node, key_path)
        return mapping

    def plain(self, node, depth: int = 2):
        """The value of a node deep inside a list item, without positions (see all_positions)."""
        self.budget -= 1
        if self.budget < 0:
            raise _AliasBomb
        if depth > MAX_DEPTH:
            raise _TooDeep
        node_type = type(node)
        if node_type is ScalarNode:
            value = node.value
            return None if not node.style and value in NULL_WORDS else value
        if node_type is SequenceNode:
            return [self.plain(item, depth + 1) for item in node.value]
        mapping = {}
        for key_node, value_node in node.value:
            key = key_node.value if type(key_node) is ScalarNode else None
            if key is None or key in mapping:
                # rare: let the full walk (with positions) word the problem
                self.all_positions = True
                raise _NeedPositions
            mapping[key] = self.plain(value_node, depth + 1)
        return mapping


class _NeedPositions(Exception):
    pass


# -- the simple reader -----------------------------------------------------------------------------------------
# Nearly every record file is a column of `key: value` lines, flow lists `[a, b]` and one-line history items
# `- {stage: lead, at: …}`: the shape funnel writes. simple_mapping reads exactly that shape several times
# faster than libyaml's composer, and gives up (None) on anything else — a comment, a block scalar, an anchor,
# a nested mapping, a quote with escapes, a tab, CRLF, a character YAML or the terminal treats specially — so
# libyaml reads those. For what it accepts it gives what parse_yaml(all_positions=False) gives through libyaml:
# the same tree and the same positions (tests/test_reader_simple.py compares them on generated and fuzzed
# documents). A plain scalar is its exact text, except the null words, which mean no value (None) as in `build`
# (libyaml's C parser marks a plain scalar's style '' and the Python one None: both are "not quoted").

_BLOCK_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@` ")  # and a space: libyaml strips what follows an indicator
_FLOW_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@` ")


_NAMES: set[str] = set()  # keys seen to be plain names (a schema's few fields), bounded


class _NotSimple(Exception):
    pass


def simple_mapping(text: str, line_offset: int = 0) -> tuple[dict, dict[Path, Position]] | None:
    """The tree and positions of `text` when it is in the simple shape (see above), else None."""
    if not text or "\t" in text or "\r" in text:
        return None
    lines = text.split("\n")
    if not lines[-1]:
        lines.pop()
    tree: dict = {}
    positions: dict[Path, Position] = {}
    count = len(lines)
    index = 0
    try:
        while index < count:
            line = lines[index]
            index += 1
            if not line:
                continue
            key, colon, rest = line.partition(":")
            if not colon:
                return None
            if key not in _NAMES:
                if not key.isidentifier() or not key.isascii():
                    return None  # not a plain name
                if len(_NAMES) < 4096:
                    _NAMES.add(key)
            if key in tree:
                return None  # libyaml's walk words the duplicate
            number = index + line_offset
            positions[(key,)] = (number, 1)
            if not rest:  # `key:` and nothing: a block list on the next lines, or an empty value
                item = lines[index] if index < count else ""
                indent = len(item) - len(item.lstrip(" "))
                if item[indent:indent + 2] != "- ":
                    positions[("=", key)] = (number, len(key) + 2)
                    tree[key] = None  # `key:` alone: a plain empty scalar, no value
                    continue
                positions[("=", key)] = (number + 1, indent + 1)
                items: list = []
                prefix = item[:indent + 2]
                inner = " " * (indent + 2)  # the lines of a mapping item after its first `name: value`
                while index < count and lines[index].startswith(prefix):
                    content = lines[index][indent + 2:]
                    if content[:1] == " ":
                        return None  # `-  x`: libyaml's item starts at the x (a column this reader does not track)
                    index += 1
                    positions[(key, len(items))] = (index + line_offset, indent + 3)
                    if content[:1] == "{":
                        items.append(_flow_mapping(content))
                        continue
                    name, colon, value = content.partition(": ")
                    if not colon or not name.isidentifier() or not name.isascii():
                        items.append(_block_scalar(content))
                        continue
                    mapping = {name: _block_scalar(value)}  # `- name: value`, and `name: value` lines below it
                    while index < count and lines[index].startswith(inner) \
                            and lines[index][len(inner):len(inner) + 1] not in (" ", "-", ""):
                        name, colon, value = lines[index][len(inner):].partition(": ")
                        if not colon or not name.isidentifier() or not name.isascii() or name in mapping:
                            return None
                        mapping[name] = _block_scalar(value)
                        index += 1
                    items.append(mapping)
                if index < count and lines[index][:1] == " ":
                    return None  # an item's continuation or a nested node
                tree[key] = items
                continue
            if rest[:1] != " ":
                return None  # `key:value` is one plain scalar, not a mapping
            raw = rest[1:]
            if raw[:1] == " ":
                raw = raw.lstrip(" ")
            if not raw:
                return None  # trailing spaces only
            column = len(line) - len(raw) + 1
            positions[("=", key)] = (number, column)
            first = raw[0]
            if first == "[":
                tree[key] = _flow_list(raw, key, number, column, positions)
            elif raw == "|":  # a block of text: lines indented alike, none blank, ended by the next key
                start = index
                indent = len(lines[index]) - len(lines[index].lstrip(" ")) if index < count else 0
                while index < count and indent and lines[index][:indent] == " " * indent:
                    if not lines[index][indent:].isprintable():
                        return None
                    index += 1
                if index == count or lines[index][:1] in (" ", ""):
                    return None  # a blank line, a line less indented, the end of the text: left to libyaml
                tree[key] = "\n".join(line[indent:] for line in lines[start:index]) + "\n" if index > start else ""
            elif first not in _BLOCK_INDICATORS and raw[-1] not in " :" and ": " not in raw and " #" not in raw \
                    and raw.isprintable():
                tree[key] = None if raw in NULL_WORDS else raw  # the common case of _block_scalar, inline
            else:
                tree[key] = _block_scalar(raw)
    except _NotSimple:
        return None
    if not tree:
        return None  # no key at all: libyaml says what the text is (nothing, a comment)
    return tree, positions


def _block_scalar(raw: str) -> str | None:
    """A one-line scalar outside brackets: plain (the exact text) or quoted without escapes."""
    if not raw or not raw.isprintable():
        raise _NotSimple
    first = raw[0]
    if first == "'":
        if len(raw) < 2 or raw[-1] != "'" or "'" in raw[1:-1].replace("''", ""):
            raise _NotSimple
        return raw[1:-1].replace("''", "'")
    if first == '"':
        if len(raw) < 2 or raw[-1] != '"' or '"' in raw[1:-1] or "\\" in raw:
            raise _NotSimple
        return raw[1:-1]
    if first in _BLOCK_INDICATORS or raw[-1] in " :" or ": " in raw or " #" in raw:
        raise _NotSimple
    return None if raw in NULL_WORDS else raw


def _flow_scalar(token: str, in_list: bool) -> str | None:
    """One item of [...] or value of {...}, split at ', ': quoted without escapes or a quote inside, or plain
    without flow indicators, comments or anchors (in a list without ':' at all, in a mapping without ': ')."""
    if not token:
        raise _NotSimple
    first = token[0]
    if first == "'" or first == '"':
        inner = token[1:-1]
        if len(token) < 2 or token[-1] != first or first in inner or "\\" in inner:
            raise _NotSimple  # '' escapes, or a quote split at a ', ' inside it
        return inner
    if first in _FLOW_INDICATORS or token[-1] in " :" or "," in token or "[" in token or "]" in token \
            or "{" in token or "}" in token or "#" in token or (":" in token if in_list else ": " in token):
        raise _NotSimple
    return None if token in NULL_WORDS else token


def _flow_list(raw: str, key: str, number: int, column: int, positions: dict) -> list:
    """`[a, 'b c', d]` as a top-level value: its items, each item's position recorded as libyaml's walk does."""
    if raw[-1] != "]" or not raw.isprintable():
        raise _NotSimple
    inner = raw[1:-1]
    if not inner:
        return []
    items: list = []
    at = column + 1
    for token in inner.split(", "):
        positions[(key, len(items))] = (number, at)
        items.append(_flow_scalar(token, True))
        at += len(token) + 2
    return items


def _flow_mapping(raw: str) -> dict:
    """`{stage: lead, at: 2026-01-19T10:20:00+03:00}` as a list item (its values need no positions)."""
    if raw[-1] != "}" or not raw.isprintable():
        raise _NotSimple
    inner = raw[1:-1]
    mapping: dict = {}
    if not inner:
        return mapping
    for pair in inner.split(", "):
        name, colon, value = pair.partition(": ")
        if not colon or not name.isidentifier() or not name.isascii() or name in mapping:
            raise _NotSimple
        mapping[name] = _flow_scalar(value, False)
    return mapping
