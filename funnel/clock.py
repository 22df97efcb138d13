"""What "today" is: the system date, unless FUNNEL_TODAY (YYYY-MM-DD) says otherwise, so days in stage,
staleness and overdue marks are reproducible. It affects what is read, never the timestamps of writes."""

from __future__ import annotations

import os
import re
from datetime import date, datetime

DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class ClockError(ValueError):
    pass


def today() -> date:
    value = os.environ.get("FUNNEL_TODAY")
    if value:
        try:
            if DATE.fullmatch(value):
                return date.fromisoformat(value)
        except ValueError:
            pass
        raise ClockError(f"FUNNEL_TODAY={value!r} is not a date YYYY-MM-DD")
    return date.today()


def now() -> datetime:
    """The moment of a write, with the local offset (history entries are ISO 8601 with offset)."""
    return datetime.now().astimezone().replace(microsecond=0)
