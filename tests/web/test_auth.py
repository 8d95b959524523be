"""Log-in, log-out, throttle, CSRF, open redirects and session invalidation."""

from __future__ import annotations

import pytest

from engine.accounts.admin import disable
from engine.accounts.auth import ADDRESS_LIMIT, USER_LIMIT
from engine.accounts.users import set_password
from web import create_app

PASSWORD = "a-long-test-password"
PROTECTED = ["/", "/queues/mine", "/queues/group", "/queues/unassigned", "/queues/overdue", "/cases/1",
             "/cases/new", "/agreement", "/chair", "/admin/users", "/admin/notifications/failed", "/settings",
             "/notices"]


@pytest.mark.parametrize("url", PROTECTED)
def test_pages_send_anonymous_visitors_to_log_in(client, url):
    r = client.get(url)
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/login")


def test_official_logs_in_and_lands_on_their_queue(web):
    r = web.login("official")
    assert r.status_code == 302
    assert r.headers["Location"] == "/queues/mine"
    assert "Mina ärenden" in web.text("/queues/mine")


def test_session_cookie_is_http_only_and_same_site_lax(web):
    r = web.login("official")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_secure_cookie_when_the_site_is_served_over_https(eng, clock):
    from dataclasses import replace
    cfg = replace(eng.config, mail=replace(eng.config.mail, base_url="https://samverkan.hoor.se"))
    app = create_app(cfg, engine=eng, clock=clock, testing=True)
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_wrong_password_is_refused_with_a_clear_message(web):
    r = web.login("official", "not-the-password")
    assert r.status_code == 401
    assert "Fel användarnamn eller lösenord" in r.get_data(as_text=True)


def test_log_in_without_csrf_token_is_refused(web):
    with web.eng.db.write() as s:
        set_password(s, "official", PASSWORD)
    r = web.client.post("/login", data={"username": "official", "password": PASSWORD})
    assert r.status_code == 400
    assert web.client.get("/queues/mine").status_code == 302


def test_throttle_refuses_even_the_right_password_after_repeated_failures(web, make_web, eng):
    for _ in range(USER_LIMIT):
        assert web.login("official", "wrong-password-x").status_code == 401
    r = web.login("official")
    assert r.status_code == 429
    assert "För många misslyckade inloggningar" in r.get_data(as_text=True)
    # The count lives in the database: another worker (a second app) refuses too.
    other = make_web(create_app(eng.config, engine=eng, testing=True))
    assert other.login("official").status_code == 429


def test_throttle_per_address_covers_many_user_names(web):
    for i in range(ADDRESS_LIMIT):
        web.login(f"nobody{i}", "wrong-password-x")
    assert web.login("official").status_code == 429


def test_failures_expire_after_the_window(web, clock):
    for _ in range(USER_LIMIT):
        web.login("official", "wrong-password-x")
    clock.advance(minutes=16)
    assert web.login("official").status_code == 302


def test_disabled_user_cannot_log_in(web, eng):
    disable(eng, "admin", "official")
    assert web.login("official").status_code == 401


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example",
                                    "javascript:alert(1)", "http:/evil.example"])
def test_next_pointing_off_site_is_ignored(web, target):
    r = web.login("official", next_url=target)
    assert r.headers["Location"] == "/queues/mine"


def test_next_on_this_site_is_followed(web):
    r = web.login("official", next_url="/agreement")
    assert r.headers["Location"] == "/agreement"


def test_copied_cookie_is_dead_after_log_out(web, app):
    web.login("official")
    stolen = web.client.get_cookie("samverkan_session").value
    thief = app.test_client()
    thief.set_cookie("samverkan_session", stolen)
    assert thief.get("/queues/mine").status_code == 200
    assert web.post("/logout").status_code == 302
    assert thief.get("/queues/mine").status_code == 302


def test_password_change_ends_existing_sessions(web, eng):
    web.login("official")
    with eng.db.write() as s:
        set_password(s, "official", "another-long-password")
    assert web.client.get("/queues/mine").status_code == 302


def test_logout_needs_a_csrf_token(web):
    web.login("official")
    assert web.client.post("/logout").status_code == 400
    assert web.client.get("/queues/mine").status_code == 200


def test_english_is_chosen_per_user(web):
    web.login("official")
    r = web.post("/settings", {"language": "en"})
    assert r.status_code == 302
    page = web.text("/queues/mine")
    assert "My cases" in page
    assert 'lang="en"' in page


def test_language_can_be_chosen_before_log_in(web):
    web.client.post("/lang", data={"lang": "en", "csrf_token": web.token("/login")})
    assert "Log in" in web.text("/login")
