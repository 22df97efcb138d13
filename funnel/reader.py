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
from dataclasses import dataclass, field

import yaml

try:  # the C parser is the speed floor; the pure-Python one is only a fallback for odd installs
    from yaml import CBaseLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import BaseLoader as _Loader

# Plain scalars that mean "no value" (YAML 1.2 core schema). A quoted '' or 'null' stays a string.
NULL_WORDS = frozenset(("", "~", "null", "Null", "NULL"))
MAX_FRONT_MATTER = 1 << 20  # bytes of front matter; a record is never that large
MAX_DEPTH = 64  # nesting a record never needs; libyaml's composer recurses on the C stack
CONFLICT_MARKER = re.compile(r"^(<{7}|={7}|>{7}|\|{7})(?: |\r?$)", re.MULTILINE)
FENCE = re.compile(r"^---[ \t]*\r?$", re.MULTILINE)
INLINE_NESTING = re.compile(r"(?:[-?][ \t]+){%d,}" % MAX_DEPTH)

Position = tuple[int, int]
Path = tuple  # a path into the tree: ("history", 2, "at")


@dataclass
class Problem:
    line: int
    column: int
    code: str
    message: str
    severity: str = "error"


@dataclass
class ParsedText:
    """What reading one file gave: the untyped front matter and where each part of it stands."""

    tree: dict | None  # None when no front matter could be read
    positions: dict[Path, Position]  # (key,) -> position of the key; deeper paths -> position of the value
    problems: list[Problem] = field(default_factory=list)
    body: str = ""
    body_line: int = 1
    has_bom: bool = False
    crlf: bool = False


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


def parse_record_bytes(data: bytes) -> ParsedText:
    text, problem = decode(data)
    if text is None:
        return ParsedText(None, {}, [problem])
    return parse_record_text(text)


def parse_record_text(text: str) -> ParsedText:
    has_bom = text.startswith("\ufeff")
    if has_bom:
        text = text[1:]
    first_end = text.find("\n")
    first_line = text if first_end < 0 else text[:first_end]
    crlf = first_line.endswith("\r")
    result = ParsedText(None, {}, has_bom=has_bom, crlf=crlf)
    problems = result.problems

    if not text.strip():
        problems.append(Problem(1, 1, "empty-file", "empty file: a record needs front matter between '---' lines"))
        return result
    if "=======" in text or "<<<<<<<" in text or ">>>>>>>" in text:
        for match in CONFLICT_MARKER.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            problems.append(Problem(line, 1, "conflict-marker",
                                    f"merge-conflict marker '{match.group(1)}': resolve the conflict"))
        if problems:
            return result
    if first_line.rstrip("\r").rstrip() != "---":
        problems.append(Problem(1, 1, "no-front-matter", "missing front matter: the first line must be '---'"))
        return result
    closing = FENCE.search(text, first_end + 1)
    if closing is None:
        problems.append(Problem(1, 1, "unterminated-front-matter",
                                "front matter is not closed: no '---' line after the opening one"))
        return result
    front = text[first_end + 1:closing.start()]
    body_start = text.find("\n", closing.start())
    result.body = "" if body_start < 0 else text[body_start + 1:]
    result.body_line = front.count("\n") + 3
    if len(front) > MAX_FRONT_MATTER:
        problems.append(Problem(2, 1, "too-large", f"front matter larger than {MAX_FRONT_MATTER} bytes"))
        return result
    tree, positions, tree_problems = parse_yaml(front, line_offset=1)
    problems.extend(tree_problems)
    if tree is None and not tree_problems:
        tree = {}
    if tree is not None and not isinstance(tree, dict):
        problems.append(Problem(2, 1, "not-a-mapping", "front matter must be a mapping of field: value"))
        tree = None
    result.tree, result.positions = tree, positions
    return result


def parse_yaml(text: str, line_offset: int = 0) -> tuple[object, dict[Path, Position], list[Problem]]:
    """Untyped tree of one YAML document, positions (1-based, shifted by line_offset) and problems."""
    too_deep = nesting_problem(text, line_offset)
    if too_deep:
        return None, {}, [too_deep]
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
    builder = _TreeBuilder(line_offset, budget=10_000 + len(text))
    try:
        tree = builder.build(node, ())
    except _AliasBomb:
        mark = node.start_mark
        return None, {}, [Problem(mark.line + 1 + line_offset, 1, "alias-bomb",
                                  "YAML aliases expand to far more values than the file holds (alias bomb)")]
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
    match = INLINE_NESTING.search(text)
    if match:
        return Problem(text.count("\n", 0, match.start()) + 1 + line_offset, 1, "too-deep",
                       f"values nested more than {MAX_DEPTH} levels deep")
    return None


class _AliasBomb(Exception):
    pass


class _TreeBuilder:
    """Node graph → plain Python, with positions, duplicate-key detection and a bound on alias expansion.

    libyaml's composer shares one node object for every alias of an anchor, so composing a "billion laughs"
    document is cheap; only expanding it is not. The budget counts visited nodes: a legitimate document has
    at most one node per character, so anything beyond that came from aliases."""

    def __init__(self, line_offset: int, budget: int):
        self.line_offset = line_offset
        self.budget = budget
        self.positions: dict[Path, Position] = {}
        self.problems: list[Problem] = []

    def position(self, node) -> Position:
        mark = node.start_mark
        return mark.line + 1 + self.line_offset, mark.column + 1

    def build(self, node, path: Path):
        self.budget -= 1
        if self.budget < 0:
            raise _AliasBomb
        if isinstance(node, yaml.ScalarNode):
            value = node.value
            if node.style is None and value in NULL_WORDS:
                return None
            return value
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                item_path = path + (index,)
                self.positions[item_path] = self.position(item)
                items.append(self.build(item, item_path))
            return items
        mapping: dict = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                line, column = self.position(key_node)
                self.problems.append(Problem(line, column, "yaml-syntax", "a key must be a plain name"))
                continue
            key = key_node.value
            key_path = path + (key,)
            if key in mapping:
                line, column = self.position(key_node)
                first_line = self.positions[key_path][0]
                self.problems.append(Problem(line, column, "duplicate-key",
                                             f"duplicate key '{key}' (first on line {first_line})"))
                continue
            self.positions[key_path] = self.position(key_node if not path else value_node)
            if not path:
                # top-level: remember the value's position too, for messages about the value itself
                self.positions[("=", key)] = self.position(value_node)
            mapping[key] = self.build(value_node, key_path)
        return mapping
