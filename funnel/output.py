"""Everything funnel prints goes through here: text lines, JSON, and (for rows) tables and delimited text."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterable


def to_json_value(value: Any) -> Any:
    """JSON for people's data: amounts stay exact decimals (as strings), dates ISO 8601."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: to_json_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json_value(item) for item in value]
    return value


def write_json(data: Any, stream=None) -> None:
    stream = stream or sys.stdout
    json.dump(to_json_value(data), stream, ensure_ascii=False, indent=2)
    stream.write("\n")


def write_lines(lines: Iterable[str], stream=None) -> None:
    stream = stream or sys.stdout
    for line in lines:
        stream.write(line)
        stream.write("\n")


def note(message: str) -> None:
    """A message for the person, never for the pipeline: stderr."""
    sys.stderr.write(message + "\n")


ROW_FORMATS = ("text", "json", "jsonl", "csv", "tsv")


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
    return str(value)


def write_rows(rows: list[dict], columns: list[str], output_format: str, headers: bool = True,
               stream=None, labels: dict[str, str] | None = None) -> None:
    """Rows for people (an aligned table) or for pipelines (json, jsonl, csv, tsv): one function for every
    command that prints rows, so they all behave the same."""
    stream = stream or sys.stdout
    if output_format == "json":
        write_json([{column: row.get(column) for column in columns} for row in rows], stream)
    elif output_format == "jsonl":
        for row in rows:
            stream.write(json.dumps(to_json_value({column: row.get(column) for column in columns}),
                                    ensure_ascii=False) + "\n")
    elif output_format in ("csv", "tsv"):
        import csv

        writer = csv.writer(stream, delimiter="," if output_format == "csv" else "\t", lineterminator="\n")
        if headers:
            writer.writerow(columns)
        for row in rows:
            writer.writerow([cell_text(row.get(column)).replace("\n", " ") if output_format == "tsv"
                             else cell_text(row.get(column)) for column in columns])
    else:
        from tabulate import tabulate

        table = [[cell_text(row.get(column)).replace("\n", " ") for column in columns] for row in rows]
        shown = [(labels or {}).get(column, column) for column in columns] if headers else ()
        if table or headers:
            stream.write(tabulate(table, headers=shown, tablefmt="plain", disable_numparse=True) + "\n")
