"""How long a log-in lasts, that caches keep nothing a logged-in person saw, and 405 answers naming what is allowed."""

from __future__ import annotations

import pytest

from engine.accounts.tokens import create_token

PAGES = ["/queues/mine", "/cases/new", "/agreement", "/settings", "/notices"]


@pytest.mark.parametrize("url", PAGES)
def test_pages_of_a_logged_in_person_are_never_stored_by_a_cache(web, url):
    web.login("official")
    r = web.client.get(url)
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "no-store"


def test_api_answers_are_never_stored_by_a_cache(web, eng, clock, client):
    with eng.db.write() as s:
        _info, token = create_token(s, "official", "test", clock.now())
    r = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/cases").headers["Cache-Control"] == "no-store"  # the refusal too
    web.login("official")
    assert web.client.get("/api/v1/cases").headers["Cache-Control"] == "no-store"


def test_a_log_in_ends_after_twelve_hours_even_while_in_use(web, clock):
    web.login("official")
    for _ in range(11):
        clock.advance(hours=1)
        assert web.client.get("/queues/mine").status_code == 200
    clock.advance(hours=1, seconds=1)
    r = web.client.get("/queues/mine")
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/login")
    assert "Din inloggning har gått ut: den gäller högst 12 timmar" in web.text("/login")
    assert web.client.get("/api/v1/cases").status_code == 401
    assert web.login("official").status_code == 302  # logging in again starts a new twelve hours
    assert web.client.get("/queues/mine").status_code == 200


def test_the_longest_log_in_is_set_in_the_config(eng, clock, make_web):
    from dataclasses import replace

    from web import create_app
    cfg = replace(eng.config, web=replace(eng.config.web, session_max_hours=2))
    browser = make_web(create_app(cfg, engine=eng, clock=clock, testing=True))
    browser.login("official")
    clock.advance(hours=1)
    assert browser.client.get("/queues/mine").status_code == 200
    clock.advance(hours=1, seconds=1)
    assert browser.client.get("/queues/mine").status_code == 302


def test_a_log_in_ends_after_eight_hours_unused(web, clock):
    web.login("official")
    clock.advance(hours=7, minutes=59)
    assert web.client.get("/queues/mine").status_code == 200
    clock.advance(hours=8, seconds=1)
    assert web.client.get("/queues/mine").status_code == 302


def test_a_page_answering_405_says_which_methods_it_allows(web):
    r = web.client.get("/logout")
    assert r.status_code == 405
    assert set(r.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}


def test_an_api_address_answering_405_says_which_methods_it_allows(client):
    r = client.delete("/api/v1/cases")
    assert r.status_code == 405
    assert r.mimetype == "application/problem+json"
    assert set(r.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
