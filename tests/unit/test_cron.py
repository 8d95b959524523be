"""Cron schedules: what each field means, and a bad field is a CronError naming it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from engine.kernel.cron import CronError, CronSchedule

STHLM = ZoneInfo("Europe/Stockholm")


def _days(schedule: str, start: dt.date = dt.date(2027, 3, 1), days: int = 14) -> list[dt.date]:
    """The local dates on which `schedule` occurs in the `days` days from `start` (a Monday)."""
    begin = dt.datetime.combine(start, dt.time(0, 0), tzinfo=STHLM) - dt.timedelta(seconds=1)
    end = begin + dt.timedelta(days=days)
    return [t.astimezone(STHLM).date() for t in CronSchedule.parse(schedule).between(begin, end, STHLM)]


def _weekdays(schedule: str) -> list[int]:
    """ISO weekdays (1 = Monday) of the occurrences in one week."""
    return [d.isoweekday() for d in _days(schedule, days=7)]


@pytest.mark.parametrize(("dow", "weekdays"), [
    ("*", [1, 2, 3, 4, 5, 6, 7]),
    ("0-7", [1, 2, 3, 4, 5, 6, 7]),
    ("0-6", [1, 2, 3, 4, 5, 6, 7]),
    ("1-7", [1, 2, 3, 4, 5, 6, 7]),
    ("0", [7]),
    ("7", [7]),
    ("0,7", [7]),
    ("mon-fri", [1, 2, 3, 4, 5]),
    ("fri-sun", [5, 6, 7]),
    ("5-0", [5, 6, 7]),
    ("sat,sun", [6, 7]),
    ("*/2", [2, 4, 6, 7]),  # 0, 2, 4, 6: Sunday, Tuesday, Thursday, Saturday
    ("1-7/3", [1, 4, 7]),
])
def test_day_of_week_field(dow: str, weekdays: list[int]) -> None:
    assert _weekdays(f"0 9 * * {dow}") == weekdays


def test_nth_weekday_of_the_month() -> None:
    assert _days("0 9 * * mon#1", days=62) == [dt.date(2027, 3, 1), dt.date(2027, 4, 5)]


def test_restricted_day_and_weekday_match_either() -> None:
    assert _days("0 9 3 * sun", days=14) == [dt.date(2027, 3, 3), dt.date(2027, 3, 7), dt.date(2027, 3, 14)]


@pytest.mark.parametrize(("schedule", "message"), [
    ("0 9 * * */x", "day_of_week: step 'x' in '*/x' is not a whole number"),
    ("*/1.5 9 * * *", "minute: step '1.5' in '*/1.5' is not a whole number"),
    ("0 9 1-10/ * *", "day: step '' in '1-10/' is not a whole number"),
    ("0 9 * * */0", "day_of_week: step must be positive"),
    ("0 9 * * 8", "day_of_week: '8' is outside 0-7"),
    ("0 24 * * *", "hour: '24' is outside 0-23"),
    ("0 9 * * mon#6", "day_of_week: 'mon#6' needs #1 to #5"),
    ("0 9 * foo *", "month: 'foo' is not a number or a name"),
    ("0 9 * *", "expected five fields"),
])
def test_a_bad_schedule_is_a_cron_error_naming_the_field(schedule: str, message: str) -> None:
    with pytest.raises(CronError) as err:
        CronSchedule.parse(schedule)
    assert str(err.value).startswith(message), str(err.value)
