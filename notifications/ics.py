"""iCalendar (RFC 5545) feeds: a person's open deadlines and their groups' meetings.

Deadlines are all-day events on the local due date (a case is due by the end of that
day); meetings are timed events in the deployment's zone, with its VTIMEZONE included so
Outlook and Thunderbird show the right local time. A confidential case shows only its
number and link.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from engine.accounts.calendar_tokens import FeedItem, feed_items, feed_owner
from engine.runtime.engine import Engine

__all__ = ["feed_for_user", "render_feed"]

_WORDS = {
    "sv": {"due": "Förfaller", "event": "Möte", "case": "ärende {n}", "name": "Samverkan – {who}"},
    "en": {"due": "Due", "event": "Meeting", "case": "case {n}", "name": "Samverkan – {who}"},
}
# How long a meeting is shown as, when the case says nothing about its end.
MEETING_LENGTH = dt.timedelta(hours=2)


def _summary(item: FeedItem, word: str, words: dict[str, str]) -> str:
    number = words["case"].format(n=item.case_id)
    return f"{word}: {number}" if item.confidential else f"{word}: {item.title} ({number})"


def _event(item: FeedItem, which: str, words: dict[str, str], base_url: str, tz: ZoneInfo,
           now: dt.datetime) -> Event:
    ev = Event()
    ev.add("uid", f"samverkan-case-{item.case_id}-{which}@samverkan")
    ev.add("dtstamp", now.astimezone(dt.UTC))
    ev.add("summary", _summary(item, words[which], words))
    ev.add("url", f"{base_url}/cases/{item.case_id}")
    if which == "due":
        assert item.due_at is not None
        day = item.due_at.astimezone(tz).date()
        ev.add("dtstart", day)
        ev.add("dtend", day + dt.timedelta(days=1))
        ev.add("transp", "TRANSPARENT")
    else:
        assert item.event_at is not None
        start = item.event_at.astimezone(tz)
        ev.add("dtstart", start)
        ev.add("dtend", start + MEETING_LENGTH)
    if not item.confidential:
        ev.add("description", f"{item.title}\n{base_url}/cases/{item.case_id}")
    return ev


def render_feed(items: list[FeedItem], *, who: str, lang: str, base_url: str, tz: ZoneInfo,
                now: dt.datetime) -> bytes:
    """The iCalendar text of `items` for the person `who`."""
    words = _WORDS.get(lang, _WORDS["sv"])
    cal = Calendar()
    cal.add("prodid", "-//Samverkan//Samverkan calendar feed//SV")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", words["name"].format(who=who))
    cal.add("x-wr-timezone", str(tz))
    for item in items:
        if item.due_at is not None:
            cal.add_component(_event(item, "due", words, base_url, tz, now))
        if item.event_at is not None:
            cal.add_component(_event(item, "event", words, base_url, tz, now))
    # The zone's transitions around the feed's dates only: a short VTIMEZONE that clients
    # read quickly, instead of every change since 1970.
    dates = [d.astimezone(tz).date() for i in items for d in (i.due_at, i.event_at) if d is not None]
    first = min([*dates, now.date()]) - dt.timedelta(days=366)
    last = max([*dates, now.date()]) + dt.timedelta(days=366)
    cal.add_missing_timezones(first_date=dt.date(first.year, 1, 1), last_date=dt.date(last.year + 1, 1, 1))
    ical: bytes = cal.to_ical()  # icalendar leaves it unannotated
    return ical


def feed_for_user(eng: Engine, user_id: int, now: dt.datetime) -> bytes:
    """The feed of user `user_id` as of `now`."""
    with eng.db.read() as session:
        name, language = feed_owner(session, user_id)
        items = feed_items(session, user_id, now)
    return render_feed(items, who=name, lang=language, base_url=eng.config.mail.base_url.rstrip("/"),
                       tz=eng.tz, now=now)
