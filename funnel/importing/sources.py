"""Rows out of a file: CSV, TSV, JSON (an array of objects) or JSON Lines, each row with the line it starts on.

CSV: the delimiter is detected from the header (`,` `;` or tab, outside quotes); quoted cells may hold
newlines, so a row's line is where it *starts* (the header is line 1). Text is UTF-8 with or without a BOM
unless `encoding` says otherwise (`cp1251` is what Russian spreadsheet exports often are). JSON numbers are read
as exact decimals. For a JSON array the "line" of a row is the item's number, counting from 1.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from decimal import Decimal
from typing import Any

from ..errors import FunnelError, UsageError
from ..valueclass import valueclass

FORMATS = ("csv", "tsv", "json", "jsonl")
EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}
DELIMITERS = (",", ";", "\t")


class SourceError(FunnelError):
    """The file as a whole cannot be read (encoding, malformed JSON, no header)."""


@valueclass
class Row:
    line: int  # where the row starts (CSV, JSON Lines) or the item's number (a JSON array)
    cells: dict[str, Any]  # column -> text (CSV) or JSON value (str, Decimal, list, dict, None)

    def __init__(self, line, cells):  # one per row of the file: written out
        self.line = line
        self.cells = cells


@valueclass
class Table:
    columns: list[str]  # in the order they first appear
    rows: list[Row]
    input_format: str


def read_table(data: bytes, name: str, input_format: str | None = None, encoding: str | None = None) -> Table:
    """The rows of `data` (a file's bytes; `name` for messages and to guess the format from its extension)."""
    text = decode(data, name, encoding)
    input_format = input_format or guess_format(name, text)
    if input_format == "json":
        return _json_table(text, name)
    if input_format == "jsonl":
        return _jsonl_table(text, name)
    return _csv_table(text, name, "\t" if input_format == "tsv" else None)


def decode(data: bytes, name: str, encoding: str | None) -> str:
    if encoding is None or codecs.lookup(encoding).name == "utf-8":
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[:exc.start].count(b"\n") + 1
            raise SourceError(f"{name}:{line}: not valid UTF-8; give the file's encoding, e.g. --encoding cp1251")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise SourceError(f"{name}:{line}: not valid {encoding}")


def check_encoding(encoding: str) -> None:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise UsageError(f"--encoding: unknown encoding '{encoding}'") from None


def guess_format(name: str, text: str) -> str:
    lowered = name.lower()
    for extension, found in EXTENSIONS.items():
        if lowered.endswith(extension):
            return found
    start = text.lstrip()[:1]
    if start == "[":
        return "json"
    if start == "{":
        return "jsonl"
    return "csv"


def _csv_table(text: str, name: str, delimiter: str | None) -> Table:
    if delimiter is None:
        delimiter = detect_delimiter(text)
    lines = io.StringIO(text, newline="")
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    rows: list[Row] = []
    header: list[str] | None = None
    last_line = 0
    try:
        for cells in reader:
            start = last_line + 1
            last_line = reader.line_num
            if not cells or all(not cell.strip() for cell in cells):
                continue  # a blank line
            if header is None:
                header = [cell.strip() for cell in cells]
                header[0] = header[0].lstrip("\ufeff")
                _check_header(header, name, start)
                continue
            if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header):]):
                raise SourceError(f"{name}:{start}: {len(cells)} cells, but the header has {len(header)} columns")
            rows.append(Row(start, dict(zip(header, cells))))
    except csv.Error as exc:
        raise SourceError(f"{name}:{reader.line_num}: not valid CSV: {exc}") from None
    if header is None:
        raise SourceError(f"{name}: empty: no header row")
    return Table(header, rows, "tsv" if delimiter == "\t" else "csv")


def detect_delimiter(text: str) -> str:
    """The delimiter the header line uses most, outside quotes (`,` when it holds none)."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif not quoted:
            if ch in "\r\n":
                break
            if ch in counts:
                counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _check_header(header: list[str], name: str, line: int) -> None:
    seen = set()
    for column in header:
        if not column:
            raise SourceError(f"{name}:{line}: a column has no name in the header")
        if column.casefold() in seen:
            raise SourceError(f"{name}:{line}: column '{column}' appears twice in the header")
        seen.add(column.casefold())


def _json_value(text: str):
    return json.loads(text, parse_float=Decimal, parse_int=Decimal, parse_constant=_no_constant)


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number")


def _json_table(text: str, name: str) -> Table:
    try:
        data = _json_value(text)
    except ValueError as exc:
        where = f":{exc.lineno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise SourceError(f"{name}{where}: not valid JSON: {getattr(exc, 'msg', exc)}") from None
    if not isinstance(data, list):
        raise SourceError(f"{name}: a JSON import is an array of objects, one per record")
    rows = []
    for number, item in enumerate(data, 1):
        if not isinstance(item, dict):
            raise SourceError(f"{name}:{number}: item {number} is not an object")
        rows.append(Row(number, item))
    return Table(_columns(rows), rows, "json")


def _jsonl_table(text: str, name: str) -> Table:
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = _json_value(line)
        except ValueError as exc:
            raise SourceError(f"{name}:{number}: not valid JSON: {getattr(exc, 'msg', exc)}") from None
        if not isinstance(item, dict):
            raise SourceError(f"{name}:{number}: a JSON Lines row is an object")
        rows.append(Row(number, item))
    return Table(_columns(rows), rows, "jsonl")


def _columns(rows: list[Row]) -> list[str]:
    columns: dict[str, None] = {}
    for row in rows:
        for key in row.cells:
            columns.setdefault(key, None)
    return list(columns)
