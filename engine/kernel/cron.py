"""Five-field cron schedules evaluated in a time zone (for recurring obligations).

Fields: minute hour day-of-month month day-of-week. Each field takes `*`, numbers,
ranges `a-b`, steps `*/n` or `a-b/n`, lists `a,b`; month and day-of-week also take
names (`jan`, `mon`); day-of-week takes `mon#2` for the second Monday of the month
(0 and 7 are Sunday, so `0-7` is every day and `fri-sun` runs Friday to Sunday). As in
cron, when both day fields are restricted a day matching either one counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

__all__ = ["CronError", "CronSchedule"]

_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
_DAYS = {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}


class CronError(ValueError):
    """A schedule that cannot be parsed; the message names the field."""


def _value(token: str, names: dict[str, int], field: str) -> int:
    token = token.lower()
    if token in names:
        return names[token]
    if not token.isdigit():
        raise CronError(f"{field}: {token!r} is not a number or a name")
    return int(token)


def _field(text: str, lo: int, hi: int, field: str, names: dict[str, int] | None = None) -> frozenset[int]:
    out: set[int] = set()
    for part in text.split(","):
        rng, slash, step_s = part.partition("/")
        if slash and not step_s.isdigit():
            raise CronError(f"{field}: step {step_s!r} in {part!r} is not a whole number")
        step = int(step_s) if step_s else 1
        if step < 1:
            raise CronError(f"{field}: step must be positive")
        if rng == "*":
            a, b = lo, hi
        elif "-" in rng:
            a_s, b_s = rng.split("-", 1)
            a, b = _value(a_s, names or {}, field), _value(b_s, names or {}, field)
        else:
            a = b = _value(rng, names or {}, field)
        if field == "day_of_week" and b == 0 < a:
            b = 7  # a range may end on Sunday by name or as 0 ("fri-sun", "5-0"), as if written 7
        if not (lo <= a <= hi and lo <= b <= hi and a <= b):
            raise CronError(f"{field}: {part!r} is outside {lo}-{hi}")
        out.update(range(a, b + 1, step))
    return frozenset(x % 7 if field == "day_of_week" else x for x in out)


@dataclass(frozen=True)
class CronSchedule:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    nth_weekdays: frozenset[tuple[int, int]]  # (weekday, n): the n-th such day of the month
    day_restricted: bool
    weekday_restricted: bool

    @classmethod
    def parse(cls, text: str) -> CronSchedule:
        """Parse five cron fields; raises CronError naming the bad field."""
        parts = text.split()
        if len(parts) != 5:
            raise CronError("expected five fields: minute hour day month day_of_week")
        minute, hour, day, month, dow = parts
        nth: set[tuple[int, int]] = set()
        plain = []
        for token in dow.split(","):
            if "#" in token:
                d, n = token.split("#", 1)
                if not n.isdigit() or not 1 <= int(n) <= 5:
                    raise CronError(f"day_of_week: {token!r} needs #1 to #5")
                nth.add((_value(d, _DAYS, "day_of_week") % 7, int(n)))
            else:
                plain.append(token)
        weekdays = _field(",".join(plain), 0, 7, "day_of_week", _DAYS) if plain else frozenset()
        return cls(
            minutes=_field(minute, 0, 59, "minute"), hours=_field(hour, 0, 23, "hour"),
            days=_field(day, 1, 31, "day"), months=_field(month, 1, 12, "month", _MONTHS),
            weekdays=weekdays, nth_weekdays=frozenset(nth),
            day_restricted=day != "*", weekday_restricted=dow != "*",
        )

    def _day_matches(self, day: dt.date) -> bool:
        if day.month not in self.months:
            return False
        cron_dow = (day.weekday() + 1) % 7
        by_dow = cron_dow in self.weekdays or (cron_dow, (day.day - 1) // 7 + 1) in self.nth_weekdays
        if self.day_restricted and self.weekday_restricted:
            return day.day in self.days or by_dow
        if self.weekday_restricted:
            return by_dow
        return day.day in self.days

    def between(self, start: dt.datetime, end: dt.datetime, tz: ZoneInfo) -> Iterator[dt.datetime]:
        """Occurrences t (aware UTC) with start < t <= end, local times read in `tz`."""
        day = start.astimezone(tz).date()
        last = end.astimezone(tz).date()
        while day <= last:
            if self._day_matches(day):
                for h in sorted(self.hours):
                    for m in sorted(self.minutes):
                        t = dt.datetime.combine(day, dt.time(h, m), tzinfo=tz).astimezone(dt.UTC)
                        if start < t <= end:
                            yield t
            day += dt.timedelta(days=1)

    def next_after(self, start: dt.datetime, tz: ZoneInfo, horizon_days: int = 800) -> dt.datetime | None:
        """The first occurrence after `start`, looking at most `horizon_days` ahead."""
        return next(self.between(start, start + dt.timedelta(days=horizon_days), tz), None)
