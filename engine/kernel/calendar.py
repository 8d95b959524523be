"""Calendar arithmetic in the deployment's zone: days and Swedish working days."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

__all__ = ["add_working_days", "is_working_day", "local_date"]


@lru_cache(maxsize=64)
def _swedish_holidays(year: int) -> frozenset[dt.date]:
    # The `holidays` package lists Sundays as public holidays in Sweden; that is
    # harmless here because weekends are skipped anyway. Midsummer, Christmas and
    # New Year's Eves are de facto non-working days in Swedish public administration.
    days = set(holidays.country_holidays("SE", years=year, language="en_US").keys())
    # Midsummer Day is the Saturday between 20 and 26 June; its eve is the Friday.
    midsummer_day = next(dt.date(year, 6, d) for d in range(20, 27) if dt.date(year, 6, d).weekday() == 5)
    days |= {midsummer_day - dt.timedelta(days=1), dt.date(year, 12, 24), dt.date(year, 12, 31)}
    return frozenset(days)


def is_working_day(day: dt.date) -> bool:
    """True on Monday to Friday that is not a Swedish public holiday or holiday eve."""
    return day.weekday() < 5 and day not in _swedish_holidays(day.year)


def local_date(at: dt.datetime, tz: ZoneInfo) -> dt.date:
    """The calendar date of `at` in `tz`."""
    return at.astimezone(tz).date()


def _at_same_local_time(start: dt.datetime, day: dt.date, tz: ZoneInfo) -> dt.datetime:
    # Keep the wall-clock time across DST changes: 09:00 stays 09:00 local.
    local = start.astimezone(tz)
    return dt.datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=tz).astimezone(dt.UTC)


def add_working_days(start: dt.datetime, days: int, tz: ZoneInfo) -> dt.datetime:
    """`start` moved `days` Swedish working days (may be negative) at the same local time.

    Counting starts on the day after `start`, so one working day after a Friday
    afternoon is the Monday afternoon (or later, over a holiday).
    """
    return _at_same_local_time(start, _working_days_from(local_date(start, tz), days), tz)


@lru_cache(maxsize=4096)
def _working_days_from(day: dt.date, days: int) -> dt.date:
    # Every transition into a state with a deadline in working days walks a month of days:
    # the same few (day, count) pairs again and again, so each is walked once.
    step = 1 if days >= 0 else -1
    remaining = abs(days)
    while remaining:
        day += dt.timedelta(days=step)
        if is_working_day(day):
            remaining -= 1
    return day
