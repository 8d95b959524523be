"""Working days skip Swedish holidays and eves; calendar moves keep the local wall-clock time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from engine.kernel.calendar import add_working_days, is_working_day

STHLM = ZoneInfo("Europe/Stockholm")


def local(y: int, m: int, d: int, h: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, minute, tzinfo=STHLM)


@pytest.mark.parametrize(("day", "why"), [
    (dt.date(2027, 1, 1), "New Year's Day"),
    (dt.date(2027, 1, 6), "Epiphany"),
    (dt.date(2027, 3, 26), "Good Friday"),
    (dt.date(2027, 3, 29), "Easter Monday"),
    (dt.date(2027, 5, 6), "Ascension Day"),
    (dt.date(2027, 6, 25), "Midsummer Eve"),
    (dt.date(2027, 12, 24), "Christmas Eve"),
    (dt.date(2027, 12, 31), "New Year's Eve"),
    (dt.date(2027, 3, 27), "a Saturday"),
    (dt.date(2027, 3, 28), "Easter Sunday"),
])
def test_holidays_and_weekends_are_not_working_days(day: dt.date, why: str) -> None:
    assert not is_working_day(day), why


@pytest.mark.parametrize("day", [dt.date(2027, 3, 25), dt.date(2027, 3, 30), dt.date(2027, 5, 7),
                                 dt.date(2027, 6, 24), dt.date(2027, 12, 27), dt.date(2027, 12, 23)])
def test_ordinary_weekdays_are_working_days(day: dt.date) -> None:
    assert is_working_day(day)


@pytest.mark.parametrize(("start", "days", "expected"), [
    # Maundy Thursday + 1: Good Friday, the weekend and Easter Monday are skipped,
    # and the clocks go forward on Easter Sunday 2027: still 09:00 local.
    (local(2027, 3, 25), 1, local(2027, 3, 30)),
    (local(2027, 3, 24), 2, local(2027, 3, 30)),
    # The day before Ascension Day + 1 lands on the Friday after it.
    (local(2027, 5, 5), 1, local(2027, 5, 7)),
    # Thursday before Midsummer Eve + 1: Monday.
    (local(2027, 6, 24), 1, local(2027, 6, 28)),
    # Christmas: the eve and the holidays (on the weekend in 2027).
    (local(2027, 12, 23), 1, local(2027, 12, 27)),
    # New Year's Eve and Day, across the year boundary, then Epiphany 2028 (a Thursday).
    (local(2027, 12, 30), 1, local(2028, 1, 3)),
    (local(2028, 1, 5), 1, local(2028, 1, 7)),
    # An ordinary week: Friday afternoon + 1 is Monday afternoon.
    (local(2027, 2, 12, 15, 30), 1, local(2027, 2, 15, 15, 30)),
    (local(2027, 2, 10), 5, local(2027, 2, 17)),
    (local(2027, 2, 10), 0, local(2027, 2, 10)),
    # Backwards over Easter.
    (local(2027, 3, 30), -1, local(2027, 3, 25)),
])
def test_add_working_days_over_swedish_holidays(start: dt.datetime, days: int, expected: dt.datetime) -> None:
    got = add_working_days(start.astimezone(dt.UTC), days, STHLM)
    assert got.utcoffset() == dt.timedelta(0), "results are in UTC"
    assert got == expected
    assert got.astimezone(STHLM).time() == start.time()


def test_twenty_working_days_from_before_easter() -> None:
    # 2027-03-15 (Mon) + 20 working days: four weeks minus Good Friday and Easter Monday, plus two.
    assert add_working_days(local(2027, 3, 15), 20, STHLM) == local(2027, 4, 14)


def test_working_days_over_the_autumn_change() -> None:
    # Friday 29 October 2027 16:00 CEST + 1 working day: Monday 1 November 16:00 CET.
    got = add_working_days(local(2027, 10, 29, 16), 1, STHLM)
    assert got == dt.datetime(2027, 11, 1, 15, 0, tzinfo=dt.UTC)
