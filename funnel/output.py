"""Everything funnel prints goes through here: text lines, JSON, and (for rows) tables and delimited text."""

from __future__ import annotations

import json
import os
import re
import sys
from datetime import date, datetime
from itertools import islice, repeat
from decimal import Decimal
from typing import Any, Callable, Iterable



def plain_decimal(value: Decimal) -> str:
    """fieldtypes.plain_decimal, imported on first use (then it replaces this), so `funnel --help` loads no model."""
    global plain_decimal
    from .model.fieldtypes import plain_decimal
    return plain_decimal(value)


def to_json_value(value: Any) -> Any:
    """JSON for people's data: amounts stay exact decimals (as strings, positional: never `1E-7`), dates ISO 8601."""
    if isinstance(value, Decimal):
        return plain_decimal(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: to_json_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json_value(item) for item in value]
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return plain_decimal(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def json_text(data: Any, indent: int | None = None) -> str:
    """JSON as to_json_value shapes it, by the C encoder when not indented (a hook, not a copy of the data)."""
    return _valid_utf8(json.dumps(data, ensure_ascii=False, indent=indent, default=_json_default))


def json_texts(items: list) -> list[str]:
    """`json_text` of each item (rows of a list): one encoder for them all."""
    encode = _compact_encoder()
    texts = [encode(item) for item in items]
    try:
        "".join(texts).encode("utf-8")  # at C speed: holds no surrogate (the common case)
    except UnicodeEncodeError:
        return [_valid_utf8(text) for text in texts]
    return texts


def _compact_encoder() -> Callable[[Any], str]:
    """json_text without indent as a function made once: json.dumps makes a new encoder for every call, which
    is most of the time of a 10,000-row list. The C encoder directly where this Python has it (CPython's
    json.dumps calls it so too); else json's own encoder object."""
    encoder = json.JSONEncoder(ensure_ascii=False, default=_json_default)
    from json.encoder import c_make_encoder, encode_basestring

    if c_make_encoder is not None:
        try:
            make = c_make_encoder({}, _json_default, encode_basestring, None, encoder.key_separator,
                                  encoder.item_separator, False, False, True)
        except TypeError:  # another signature: json's own way
            return encoder.encode
        return lambda data: "".join(make(data, 0))
    return encoder.encode


def _valid_utf8(text: str) -> str:
    if SURROGATES.search(text):
        # a byte that was not UTF-8 (a file name read with surrogateescape) cannot be written as UTF-8:
        # JSON holds it as the text \xff (a backslash escaped as JSON escapes it), so the output stays valid
        text = SURROGATES.sub(lambda match: "\\\\" + _escaped(match)[1:], text)
    return text


SURROGATES = re.compile("[\ud800-\udfff]")


def write_json(data: Any, stream=None) -> None:
    """`json_text(data, indent=2)` written a batch of the encoder's pieces at a time: an indented document is
    made by json's Python encoder as millions of small pieces (a 100,000-deal board held 230 MB of them before
    the join), and json.dump would hand the stream each piece alone."""
    stream = stream or sys.stdout
    encoder = json.JSONEncoder(ensure_ascii=False, indent=2, default=_json_default)
    batch: list[str] = []
    for piece in encoder.iterencode(data):
        batch.append(piece)
        if len(batch) == 8192:
            stream.write(_valid_utf8("".join(batch)))  # a surrogate is one piece's character: never split
            batch = []
    stream.write(_valid_utf8("".join(batch)) + "\n")


def write_lines(lines: Iterable[str], stream=None, styled: bool = False) -> None:
    """Text lines for a person: every control character shown escaped (terminal_safe). `styled` lines hold
    funnel's own colour codes around text that was made safe already (the board's layout does that). On a
    terminal, more lines than fit it go through the pager, as git does."""
    if stream is None:
        pager = pager_command()
        if pager is not None:
            lines = list(lines)
            if len(lines) >= terminal_height() and _page(pager, lines, styled):
                return
    stream = stream or sys.stdout
    lines = iter(lines if styled else map(terminal_safe, lines))
    while True:  # a thousand lines a write: a 10,000-row table is 10 writes, not 20,000
        chunk = list(islice(lines, 1000))
        if not chunk:
            break
        stream.write("\n".join(chunk) + "\n")


# -- the pager: long text on a terminal, as git pages it ----------------------------------------------------
_pager_allowed = True


def allow_pager(allowed: bool) -> None:
    """`funnel --no-pager …` turns the pager off for the command."""
    global _pager_allowed
    _pager_allowed = allowed


def pager_command() -> list[str] | None:
    """The pager to use now: FUNNEL_PAGER, else PAGER, else `less` (with LESS=FRX unless LESS says otherwise:
    quit when it fits one screen, keep colours, leave the text on the screen); None when stdout is not a
    terminal, with --no-pager, or when the pager is set to '' or 'cat'."""
    import shlex

    if not _pager_allowed or not sys.stdout.isatty():
        return None
    text = os.environ.get("FUNNEL_PAGER")
    if text is None:
        text = os.environ.get("PAGER", "less")
    try:
        command = shlex.split(text)
    except ValueError:
        return None
    return command if command and command != ["cat"] else None


def terminal_height(default: int = 24) -> int:
    import shutil

    return max(2, shutil.get_terminal_size((80, default)).lines)


def _page(command: list[str], lines: list[str], styled: bool) -> bool:
    """Hand the text to the pager; False (and nothing written) when it cannot be started."""
    import subprocess

    env = dict(os.environ)
    env.setdefault("LESS", "FRX")
    try:
        pager = subprocess.Popen(command, stdin=subprocess.PIPE, env=env)
    except OSError:
        return False
    text = "".join((line if styled else terminal_safe(line)) + "\n" for line in lines)
    try:
        pager.stdin.write(text.encode(sys.stdout.encoding or "utf-8", "replace"))
        pager.stdin.close()
    except BrokenPipeError:  # the person quit the pager before reading it all
        pass
    pager.wait()
    return True


def write_document(text: str, stream=None) -> None:
    """A whole document (the HTML page) as UTF-8 bytes whatever the locale's encoding: the page says it is UTF-8."""
    stream = stream or sys.stdout
    stream.flush()
    stream.buffer.write(text.encode("utf-8"))
    stream.buffer.flush()


def note(message: str) -> None:
    """A message for the person, never for the pipeline: stderr, made safe for the terminal."""
    sys.stderr.write(terminal_safe(message) + "\n")


# -- text that reaches a terminal ------------------------------------------------------------------------
# A value from a file someone else wrote may hold an escape sequence (ESC[2J, an OSC title change, a CSI in
# its one-byte C1 form \x9b), a bell, a carriage return that hides what came before it, or a bidi override
# that makes a terminal show text in another order than it is (U+202E). None of them reaches a terminal raw:
# each is shown escaped, as Python writes it (\x1b, \u202e). A byte that was not UTF-8 (a file name read
# with surrogateescape) is shown as \xff. Line breaks stay line breaks in messages; a table cell turns them
# into spaces (one_line). JSON, JSONL, CSV and TSV keep values exact.
UNSAFE_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                          "\ud800-\udfff]")


def _escaped(match: re.Match) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, kept by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    """`text` with every character that could act on a terminal shown escaped; idempotent (the result holds
    none of them), so layout code may apply it to text that is already safe."""
    if text.isprintable() or not UNSAFE_CHARS.search(text):  # every unsafe character is unprintable
        return text
    return UNSAFE_CHARS.sub(_escaped, text)


ROW_FORMATS = ("text", "json", "jsonl", "csv", "tsv")


def _only(row: dict, columns: list[str] | None) -> dict:
    return row if columns is None else {column: row.get(column) for column in columns}


def cell_text(value: Any) -> str:
    """A value as one cell of a table or of CSV: lists joined by commas, nothing for empty."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ",".join(cell_text(item) if not isinstance(item, dict) else json.dumps(to_json_value(item),
                                                                                       ensure_ascii=False)
                        for item in value)
    if isinstance(value, dict):
        return json.dumps(to_json_value(value), ensure_ascii=False)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return plain_decimal(value)
    return str(value)


def write_rows(rows: list[dict], columns: list[str], output_format: str, headers: bool = True,
               stream=None, labels: dict[str, str] | None = None, right_aligned=(), whole_json: bool = False,
               excel_safe: bool = False) -> None:
    """Rows for people (an aligned table) or for pipelines (json, jsonl, csv, tsv): one function for every
    command that prints rows, so they all behave the same. `labels` name the text table's columns;
    `right_aligned` columns (amounts, day counts) line up on their last digit in the text table;
    `whole_json` writes each row's every key in json and jsonl (records as `show --format json` has them);
    `excel_safe` defuses csv/tsv cells a spreadsheet would run as a formula (see excel_safe_cell)."""
    json_columns = None if whole_json else columns
    text_stream = stream  # None: stdout, through the pager when it is a terminal
    stream = stream or sys.stdout
    if output_format == "json":
        # an array with one row a line: readable, greppable, and encoded at C speed
        # a chunk of rows at a time: 100,000 rows' text is never all in memory at once
        lead = "[\n  "
        for chunk in _chunks(rows):
            stream.write(lead + ",\n  ".join(json_texts([_only(row, json_columns) for row in chunk])))
            lead = ",\n  "
        stream.write("[]\n" if lead == "[\n  " else "\n]\n")
    elif output_format == "jsonl":
        for chunk in _chunks(rows):
            stream.write("".join(text + "\n" for text in json_texts([_only(row, json_columns) for row in chunk])))
    elif output_format in ("csv", "tsv"):
        import csv

        writer = csv.writer(stream, delimiter="," if output_format == "csv" else "\t", lineterminator="\n")
        if headers:
            writer.writerow(columns)
        from .model.fieldtypes import plain_decimal as exact  # the function itself, not this module's loader

        cells = []  # column by column: a 10,000-row list converts each column's values in one pass
        for column in columns:
            texts = _cell_texts(_column(rows, column), exact)
            if output_format == "tsv":
                texts = [text.replace("\n", " ") for text in texts]
            cells.append([excel_safe_cell(text) for text in texts] if excel_safe else texts)
        writer.writerows(zip(*cells))
    else:
        # for people: amounts as every text view shows them (1 250 000.50), the table fitted to the terminal
        # (format_table makes every cell terminal_safe)
        shown = [(labels or {}).get(column, column) for column in columns] if headers else None
        from .model.fieldtypes import grouped_amount

        cells = []  # column by column, each its header first
        for index, column in enumerate(columns):
            texts = _cell_texts(_column(rows, column), grouped_amount)
            cells.append(([shown[index]] if shown else []) + _one_line_all(texts))
        right = [column in right_aligned for column in columns]
        if rows or headers:
            whole = [i for i, column in enumerate(columns) if column in ("id", "deal", "contact")]
            lines = table_lines(cells, shown, right, width=terminal_width(), whole=whole) if cells else \
                ["" for _ in ([shown] if shown else []) + list(rows)]
            write_lines(lines, text_stream, styled=True)  # table_lines made every cell terminal_safe


def _column(rows, name: str) -> list:
    """The values of column `name`, one per row: straight from rows kept column by column (views.listing's
    ColumnRows: a 10,000-row list never becomes 10,000 dicts and back), else from each row."""
    column = getattr(rows, "column", None)
    return column(name) if column is not None else [row.get(name) for row in rows]


def _chunks(rows: Iterable, size: int = 1000):
    """`rows` as lists of at most `size`."""
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _cell_texts(values: list, amount: Callable[[Decimal], str]) -> list[str]:
    """`cell_text` of each value (`amount` of each Decimal); a column of one type, or of one type and empties (a
    list's common columns), converted by one `map` in C, not a check per cell."""
    kinds = set(map(type, values))
    if len(kinds) == 2 and type(None) in kinds:
        kinds.discard(type(None))
        kind = kinds.pop()
        if kind in (str, int, Decimal):
            convert = str if kind is int else amount if kind is Decimal else None
            return ["" if value is None else value if convert is None else convert(value) for value in values]
    elif len(kinds) <= 1:
        kind = kinds.pop() if kinds else str
        if kind is str:
            return values
        if kind is int:
            return list(map(str, values))
        if kind is Decimal:
            return list(map(amount, values))
    return [value if type(value) is str else "" if value is None else str(value) if type(value) is int
            else amount(value) if isinstance(value, Decimal) else cell_text(value) for value in values]


def _one_line_all(texts: list[str]) -> list[str]:
    """`one_line` of each text; a column without a line break or tab (the common one) is checked at once."""
    joined = "".join(texts)
    if "\n" in joined or "\r" in joined or "\t" in joined:
        return [one_line(text) for text in texts]
    return texts


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def excel_safe_cell(text: str) -> str:
    """A cell a spreadsheet shows as text, never runs: one starting with = + - @ tab or CR gets a leading `'`
    (OWASP's advice against CSV injection). It alters values, so it is opt-in (`list --excel-safe`)."""
    return "'" + text if text.startswith(FORMULA_START) else text


# -- text for people: display width, alignment, amounts, colour -----------------------------------------
# A terminal cell is not a character: CJK and fullwidth characters take two cells, combining marks none, an
# emoji sequence joined by ZWJ (a family) two, `❤️` (a heart with VS16) two, Hangul jamo one syllable's two.
# Ambiguous-width characters (Cyrillic, box drawing, '…') take one, as in every non-CJK locale. The wcwidth
# package knows the Unicode tables and grapheme clusters; the fast path below spares it the common texts.

def _cells(text: str) -> int:
    import wcwidth

    return wcwidth.width(text)


# Characters known to take exactly one cell (Latin, Greek, Cyrillic without its combining marks, common
# punctuation, arrows, box drawing): a text made only of them is as wide as it is long, found at C speed.
ONE_CELL_TEXT = re.compile("[\u0020-\u007e\u00a0-\u02ff\u0370-\u0482\u048a-\u052f\u2010-\u2027"
                           "\u2030-\u205e\u2116\u2190-\u21ff\u2500-\u25fc]*")


def display_width(text: str) -> int:
    """Terminal cells `text` takes as shown: control characters count as their escaped form."""
    if text.isprintable() and (text.isascii() or ONE_CELL_TEXT.fullmatch(text)):
        return len(text)  # the common cell: nothing to escape (see terminal_safe), a cell a character
    text = terminal_safe(text)
    if text.isascii() or ONE_CELL_TEXT.fullmatch(text):
        return len(text)
    return _cells(text)


def one_line(text: str) -> str:
    """A value for one cell: line breaks and tabs become spaces, so a row stays one line."""
    if "\n" in text or "\r" in text or "\t" in text:
        text = " ".join(text.replace("\t", " ").split())
    return text


def truncate(text: str, width: int, ellipsis: str = "…") -> str:
    """`text` cut to at most `width` cells, ending in '…' when something was cut; made terminal_safe first,
    so a cut never falls inside an escape sequence."""
    text = terminal_safe(text)
    if display_width(text) <= width:
        return text
    if width <= 0:
        return ""
    room = width - display_width(ellipsis)
    if text.isascii() or ONE_CELL_TEXT.fullmatch(text):
        return text[:max(0, room)].rstrip() + ellipsis
    import wcwidth

    kept, used = [], 0
    for grapheme in wcwidth.iter_graphemes(text):  # never cut inside an emoji sequence or a syllable
        cells = _cells(grapheme)
        if used + cells > room:
            break
        kept.append(grapheme)
        used += cells
    return "".join(kept).rstrip() + ellipsis


def pad(text: str, width: int, right: bool = False) -> str:
    """`text` (made terminal_safe) filled with spaces to `width` cells (on the left when `right`)."""
    text = terminal_safe(text)
    gap = " " * max(0, width - display_width(text))
    return gap + text if right else text + gap


def fit(text: str, width: int, right: bool = False) -> str:
    """Exactly `width` cells: cut when longer, filled when shorter."""
    return pad(truncate(text, width), width, right)


def wrap(text: str, width: int, max_lines: int | None = None) -> list[str]:
    """Words of `text` in lines of at most `width` cells; a word longer than a line is cut; with `max_lines`,
    the last line holds the rest of the text, cut with '…'."""
    words = [word for word in terminal_safe(one_line(text)).split(" ") if word]
    lines: list[str] = []
    current = ""
    for index, word in enumerate(words):
        candidate = f"{current} {word}" if current else word
        if display_width(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        if max_lines is not None and len(lines) == max_lines - 1:
            return lines + [truncate(" ".join(words[index:]), width)]
        current = word if display_width(word) <= width else truncate(word, width)
    if current:
        lines.append(current)
    return lines or [""]


def format_table(rows: list[list[str]], headers: list[str] | None = None, right=(), gap: str = "  ",
                 width: int | None = None, whole=()) -> list[str]:
    """An aligned table as lines, measured in terminal cells (so Cyrillic and CJK line up); trailing spaces
    are dropped. `right[i]` right-aligns column i. With `width`, a table wider than that many cells shrinks
    its widest text columns first (cut with "…"), down to their header; right-aligned numbers and the `whole`
    columns (ids) are never cut. Every cell is made terminal_safe."""
    table = ([headers] if headers else []) + rows
    if not table:
        return []
    count = max(len(row) for row in table)
    if not count:
        return ["" for _ in table]
    # a short row is filled with empty cells, which add only trailing spaces (dropped)
    columns = [list(column) for column in zip(*(row if len(row) == count else list(row) + [""] * (count - len(row))
                                                for row in table))]
    return format_columns(columns, headers, right, gap, width, whole)


def format_columns(columns: list[list[str]], headers: list[str] | None = None, right=(), gap: str = "  ",
                   width: int | None = None, whole=()) -> list[str]:
    """format_table of a table given column by column (each column's cells, its header first when there are
    `headers`), as lists it may change."""
    return list(table_lines(columns, headers, right, gap, width, whole))


def table_lines(columns: list[list[str]], headers: list[str] | None = None, right=(), gap: str = "  ",
                width: int | None = None, whole=()) -> Iterable[str]:
    """format_columns's lines as they are made, a chunk of rows at a time: a 100,000-row table is measured
    whole but padded and joined a thousand rows at a time, so it is held about once, not three times."""
    count = len(columns)
    # a 10,000-row list spends its time here: a column of printable one-cell text, the common one, needs no
    # escaping and is as wide as it is long, which its joined text tells at C speed
    cell_widths = []
    one_cell = []  # columns whose every character takes one cell: padded by str.ljust/rjust, in C
    for column in columns:
        joined = "".join(column)
        one_cell.append(joined.isprintable() and (joined.isascii() or ONE_CELL_TEXT.fullmatch(joined) is not None))
        if one_cell[-1]:
            cell_widths.append(list(map(len, column)))
        else:
            column[:] = [terminal_safe(cell) for cell in column]
            cell_widths.append([display_width(cell) for cell in column])
        del joined
    widths = [max(column_widths, default=0) for column_widths in cell_widths]
    right = list(right) + [False] * (count - len(right))
    if width is not None:
        floors = [max(4, display_width(headers[i]) if headers and i < len(headers) else 0) for i in range(count)]
        capped = shrunk_widths(widths, [not r and i not in whole for i, r in enumerate(right)], floors, width - display_width(gap) * (count - 1))
        for i, (column, column_widths, cap) in enumerate(zip(columns, cell_widths, capped)):
            if cap < widths[i]:
                for r, cell_width in enumerate(column_widths):
                    if cell_width > cap:
                        column[r] = truncate(column[r], cap)
                        column_widths[r] = display_width(column[r])
                        one_cell[i] = one_cell[i] and column_widths[r] == len(column[r])
        widths = capped
    layout = list(zip(widths, right, one_cell))
    for start in range(0, len(columns[0]), 1000):
        end = start + 1000
        padded = [list(map(str.rjust if align_right else str.ljust, column[start:end], repeat(size, end - start)))
                  if plain else
                  [" " * (size - cell_width) + cell for cell, cell_width in zip(column[start:end], column_widths[start:end])]
                  if align_right else
                  [cell + " " * (size - cell_width) for cell, cell_width in zip(column[start:end], column_widths[start:end])]
                  for column, column_widths, (size, align_right, plain) in zip(columns, cell_widths, layout)]
        yield from map(str.rstrip, map(gap.join, zip(*padded)))


def shrunk_widths(widths: list[int], shrinkable: list[bool], floors: list[int], room: int) -> list[int]:
    """Column widths that fit `room` cells: the widest shrinkable columns give way first, all of them down to
    one common cap (never below their floor); the others keep their width. Unchanged when they already fit."""
    if sum(widths) <= room:
        return list(widths)
    fixed = sum(w for w, s in zip(widths, shrinkable) if not s)

    def total(cap: int) -> int:
        return fixed + sum(max(min(w, cap), f) if s else 0 for w, s, f in zip(widths, shrinkable, floors))

    low, high = 0, max(widths)
    while low < high:  # the largest cap whose table fits (or the floors, when nothing fits)
        middle = (low + high + 1) // 2
        if total(middle) <= room:
            low = middle
        else:
            high = middle - 1
    return [max(min(w, low), f) if s else w for w, s, f in zip(widths, shrinkable, floors)]


def plural(count: int, noun: str) -> str:
    """`1 deal`, `3 deals`."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def format_amount(value, *args) -> str:
    """An exact amount for people: 1 250 000.50 (fieldtypes.grouped_amount says how; imported on first use)."""
    global format_amount
    from .model.fieldtypes import grouped_amount as format_amount
    return format_amount(value, *args)


def days_text(days: int) -> str:
    return f"{days} day" if days == 1 else f"{days} days"


def terminal_width(default: int = 80) -> int:
    """Columns to lay text out in: COLUMNS when set, else the terminal's, else `default` (what
    shutil.get_terminal_size says, without importing shutil)."""
    columns = 0
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        pass
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return max(20, columns or default)


def colour_enabled(stream=None) -> bool:
    """Colour only on a terminal and never with NO_COLOR (https://no-color.org)."""
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


STYLES = {"bold": "1", "dim": "2", "red": "31", "yellow": "33", "green": "32", "cyan": "36"}


def paint(text: str, style: str | None, enabled: bool) -> str:
    """`text` in a terminal style; applied after padding, so widths never count escape codes."""
    if not enabled or not style or not text:
        return text
    codes = ";".join(STYLES[name] for name in style.split("+"))
    return f"\033[{codes}m{text}\033[0m"
