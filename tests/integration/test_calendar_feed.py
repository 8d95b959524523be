"""Calendar feeds: a person's deadlines and their groups' meetings, readable as RFC 5545 iCalendar."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from icalendar import Calendar

from engine.accounts.calendar_tokens import create_token, revoke_tokens
from engine.runtime.engine import Engine
from web.calendar import bp

STOCKHOLM = ZoneInfo("Europe/Stockholm")


@pytest.fixture
def client(notify_eng: Engine) -> Any:
    app = Flask(__name__)
    app.config["TESTING"] = True
    app.extensions["samverkan"] = SimpleNamespace(engine=notify_eng)
    app.register_blueprint(bp)
    return app.test_client()


def _token(eng: Engine, username: str) -> str:
    with eng.db.write() as s:
        return create_token(s, username, eng.now())


def _events(body: bytes) -> dict[str, Any]:
    cal = Calendar.from_ical(body)
    return {str(ev["SUMMARY"]): ev for ev in cal.walk("VEVENT")}


def test_feed_shows_deadlines_and_group_meetings_in_local_time_without_confidential_details(
        notify_eng: Engine, open_case: Callable[..., int], client: Any) -> None:
    action = open_case(title="Trygghetsvandring", assignee="official", due=dt.date(2027, 3, 1))
    secret = open_case(title="Orosanmälan Bengtsson", assignee="official", due=dt.date(2027, 3, 2),
                       confidential=True)
    winter = open_case("safety_group_meeting", title="Trygghetsgruppens möte mars",
                       event_at=dt.datetime(2027, 3, 3, 17, 0, tzinfo=dt.UTC))
    summer = open_case("safety_group_meeting", title="Trygghetsgruppens möte juni",
                       event_at=dt.datetime(2027, 6, 10, 16, 0, tzinfo=dt.UTC))
    open_case(title="Annan grupps ärende", group="kultur_fritid", as_user="outsider", due=dt.date(2027, 3, 4))

    response = client.get(f"/calendar/{_token(notify_eng, 'official')}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    cal = Calendar.from_ical(response.data)
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Stockholm"]
    events = _events(response.data)

    due = events[f"Förfaller: Trygghetsvandring (ärende {action})"]
    assert due["DTSTART"].dt == dt.date(2027, 3, 1)
    assert str(due["URL"]) == f"https://samverkan.example.org/cases/{action}"
    for case, title, local in ((winter, "mars", dt.datetime(2027, 3, 3, 18, 0)),
                               (summer, "juni", dt.datetime(2027, 6, 10, 18, 0))):
        meeting = events[f"Möte: Trygghetsgruppens möte {title} (ärende {case})"]
        start = meeting["DTSTART"]
        assert start.params["TZID"] == "Europe/Stockholm"
        assert start.dt.replace(tzinfo=None) == local
        assert start.dt.astimezone(STOCKHOLM).replace(tzinfo=None) == local

    hidden = events[f"Förfaller: ärende {secret}"]
    assert "DESCRIPTION" not in hidden
    assert b"Bengtsson" not in response.data
    assert b"Annan grupps" not in response.data


def test_revoked_or_unknown_token_gives_not_found(notify_eng: Engine, client: Any) -> None:
    token = _token(notify_eng, "official")
    assert client.get(f"/calendar/{token}.ics").status_code == 200
    with notify_eng.db.write() as s:
        assert revoke_tokens(s, "official", notify_eng.now()) == 1
    assert client.get(f"/calendar/{token}.ics").status_code == 404
    assert client.get("/calendar/not-a-token.ics").status_code == 404


def test_token_is_stored_only_as_a_hash(notify_eng: Engine) -> None:
    from sqlmodel import select

    from engine.store.models import CalendarToken
    token = _token(notify_eng, "official")
    with notify_eng.db.read() as s:
        stored = s.exec(select(CalendarToken.token_hash)).all()
    assert token not in stored
    assert len(stored) == 1
