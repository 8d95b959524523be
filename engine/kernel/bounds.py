"""Days and times given from outside, turned into UTC times the engine can store and compare.

Python's datetime ends at years 1 and 9999, so a day at either end cannot even be moved
to another time zone; the databases hold a different span again. Filters clamp such a
day to a span well inside every limit (it means "from the beginning" or "to the end");
a time someone gives for a case must be turned into UTC, or is refused naming the field.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from engine.kernel.errors import ValidationError

__all__ = ["EARLIEST", "LATEST", "start_of_day", "start_of_next_day", "to_utc"]

EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)


def start_of_day(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """Local midnight starting `day`, in UTC; a day outside [EARLIEST, LATEST) gives the nearer end."""
    if day < EARLIEST.date():
        return EARLIEST
    if day >= LATEST.date():
        return LATEST
    return dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(dt.UTC)


def start_of_next_day(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """Local midnight ending `day` (the start of the day after), in UTC, clamped as `start_of_day`."""
    return LATEST if day >= LATEST.date() else start_of_day(day + dt.timedelta(days=1), tz)


def to_utc(value: dt.datetime, field: str) -> dt.datetime:
    """`value` in UTC; a ValidationError naming `field` if it has no offset or no UTC equivalent."""
    if value.utcoffset() is None:
        raise ValidationError(field, "Give the time with its UTC offset, e.g. 2027-03-01T18:00:00+01:00.")
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+14:00, which is in year 0 in UTC
        raise ValidationError(field, f"{value.isoformat()} is outside the years a case can be in; check the year.",
                              code="year_out_of_range", params={"value": value.isoformat()}) from None
