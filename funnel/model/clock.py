"""What "today" is: the system date, unless FUNNEL_TODAY (YYYY-MM-DD) says otherwise, so days in stage,
staleness and overdue marks are reproducible. It affects what is read, never the timestamps of writes."""

from __future__ import annotations

import os
from datetime import date, datetime

from ..errors import FunnelError


class ClockError(FunnelError, ValueError):
    pass


def today() -> date:
    value = os.environ.get("FUNNEL_TODAY")
    if value:
        from .fieldtypes import read_date

        moment = read_date(value)
        if moment is None:
            raise ClockError(f"FUNNEL_TODAY={value!r} is not a date YYYY-MM-DD")
        return moment
    return date.today()


def now() -> datetime:
    """The moment of a write, with the local offset (history entries are ISO 8601 with offset)."""
    return datetime.now().astimezone().replace(microsecond=0)
