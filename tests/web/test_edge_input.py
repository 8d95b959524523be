"""Dates at the ends of the calendar, forged cursors and stray query parameters: a 4xx or a page, never a 500."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re

import pytest
from test_api import PROBLEM, Api, api, make_token  # noqa: F401  (api and make_token are fixtures)
from test_cases import _refused_new_case

from web import create_app


@pytest.fixture
def chair_api(client, make_token):  # noqa: F811
    return Api(client, make_token("chair"))


def _ids(response) -> list[int]:
    return [item["id"] for item in response.get_json()["items"]]


def _problem(response, field: str) -> str:
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json(force=True)
    assert body["field"] == field
    return body["detail"]  # type: ignore[no-any-return]


def test_due_filters_at_the_ends_of_the_calendar_mean_from_the_beginning_and_to_the_end(chair_api, open_case):
    due = open_case(title="Daterad", due=dt.date(2027, 3, 1))
    assert _ids(chair_api.get("/cases?queue=all&due_after=0001-01-01")) == [due]
    assert _ids(chair_api.get("/cases?queue=all&due_before=9999-12-31")) == [due]
    assert _ids(chair_api.get("/cases?queue=all&due_before=0001-01-01")) == []
    assert _ids(chair_api.get("/cases?queue=all&due_after=9999-12-31")) == []


def _cursor(raw: list[object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")


@pytest.mark.parametrize("raw", [["0001-01-01T00:00:00+05:00", 1], ["9999-12-31T23:59:59-05:00", 1]])
def test_a_cursor_at_the_end_of_the_calendar_is_a_problem_naming_the_cursor(chair_api, raw):
    detail = _problem(chair_api.get(f"/cases?queue=all&cursor={_cursor(raw)}"), "cursor")
    assert detail == "The cursor is not one this server gave; start again without it."


@pytest.mark.parametrize(("body", "field", "detail"), [
    ({"due": "0001-01-01"}, "due", "The due date has passed. Choose today or a later date."),
    ({"due": "2027-02-09"}, "due", "The due date has passed. Choose today or a later date."),
    ({"due": "9999-12-31"}, "due", "The due date is more than 10 years ahead; check the year."),
    ({"workflow": "monthly_review", "event_at": "0001-01-01T00:00:00+14:00"}, "event_at",
     "0001-01-01T00:00:00+14:00 is outside the years a case can be in; check the year."),
    ({"workflow": "monthly_review", "event_at": "9999-12-31T23:59:59-14:00"}, "event_at",
     "9999-12-31T23:59:59-14:00 is outside the years a case can be in; check the year."),
    ({"workflow": "monthly_review", "event_at": "2207-03-01T18:00:00+01:00"}, "event_at",
     "That is more than 10 years from now; check the year."),
])
def test_opening_with_a_date_nobody_means_is_422_and_opens_nothing(api, chair_api, body, field, detail):  # noqa: F811
    caller = api("official")
    assert _problem(caller.post("/cases", {"workflow": "action", "title": "x", **body}), field) == detail
    assert _ids(chair_api.get("/cases?queue=all")) == []


def test_a_case_may_be_due_today_as_in_the_form(api):  # noqa: F811
    response = api("official").post("/cases", {"workflow": "action", "title": "Idag", "due": "2027-02-10"})
    assert response.status_code == 201


@pytest.mark.parametrize("query", ["due_to=9999-12-31", "due_from=0001-01-01", "due_to=9999-12-31&due_from=0001-01-01"])
def test_overdue_queue_with_dates_at_the_ends_of_the_calendar_lists_the_overdue(web, open_case, clock, query):
    late = open_case(title="Försenad", due=dt.date(2027, 2, 12))
    clock.advance(days=5)
    web.login("official")
    r = web.client.get(f"/queues/overdue?{query}")
    assert r.status_code == 200
    assert f"/cases/{late}" in r.get_data(as_text=True)


@pytest.mark.parametrize("stray", ["name=x", "_method=POST", "_external=1&_scheme=https", "_anchor=x&page=3"])
def test_pager_links_carry_the_known_filters_and_nothing_else(eng, clock, open_case, make_web, stray):
    app = create_app(eng.config, engine=eng, clock=clock, testing=True, overrides={"PAGE_SIZE": 1})
    for day in (1, 2, 3):
        open_case(title=f"Ärende {day}", focus_area="traffic", due=dt.date(2027, 3, day))
    web = make_web(app)
    web.login("member")
    r = web.client.get(f"/queues/group?page=2&focus_area=traffic&{stray}")
    assert r.status_code == 200
    links = re.findall(r'<a href="([^"]*)" rel="(?:prev|next)"', r.get_data(as_text=True))
    assert sorted(links) == ["/queues/group?page=1&amp;focus_area=traffic",
                             "/queues/group?page=3&amp;focus_area=traffic"]


def _new_case(web, **fields: str) -> str:
    web.login("chair")  # who may open any kind of case for any group: only the date is wrong
    return _refused_new_case(web, **fields)


def test_the_form_refuses_a_due_date_too_far_ahead_at_its_field_in_swedish(web):
    page = _new_case(web, due="9999-12-31")
    assert 'id="due-error"' in page
    assert "Förfallodatumet ligger mer än 10 år fram; kontrollera året." in page


@pytest.mark.parametrize(("event_at", "message"), [
    ("0001-01-01T00:00", "Tiden ligger utanför de år ett ärende kan gälla; kontrollera året."),
    ("2207-03-01T18:00", "Det är mer än 10 år från nu; kontrollera året."),
])
def test_the_form_refuses_a_meeting_time_nobody_means_at_its_field_in_swedish(web, event_at, message):
    page = _new_case(web, workflow="acute_matter", group="socialnamnden", event_at=event_at)
    assert 'id="event_at-error"' in page
    assert message in page


@pytest.mark.parametrize(("query", "message"), [
    ("state=%00", "Okänt tillstånd; välj ett i listan."),
    ("state=nowhere", "Okänt tillstånd; välj ett i listan."),
    ("focus_area=a%00", "Okänt fokusområde; välj ett i listan."),
    ("focus_area=weather", "Okänt fokusområde; välj ett i listan."),
    ("workflow=%00", "Okänt flöde; välj ett i listan."),
    ("group=%00", "Okänd grupp; välj en i listan."),
])
def test_a_filter_value_nobody_can_choose_is_shown_at_its_field(web, query, message):
    web.login("official")
    r = web.client.get(f"/queues/mine?{query}")
    assert r.status_code == 200
    assert f'<p class="field-error">{message}</p>' in r.get_data(as_text=True)


@pytest.mark.parametrize("field", ["title", "description"])
def test_the_form_refuses_text_no_database_can_store_in_swedish(web, field):
    page = _new_case(web, **{field: "Före\x00efter"})
    assert "Texten innehåller ett NUL-tecken eller ett trasigt Unicode-tecken; ta bort det." in page


def test_a_user_name_no_database_can_hold_is_a_wrong_log_in_not_an_error(web):
    r = web.client.post("/login", data={"username": "chair\x00", "password": "x" * 12,
                                        "csrf_token": web.token("/login")})
    assert r.status_code < 500
    assert "Fel användarnamn eller lösenord" in r.get_data(as_text=True)
