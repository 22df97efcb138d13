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
