"""Log-in, log-out, throttle, CSRF, open redirects and session invalidation."""

from __future__ import annotations

import pytest

from engine.accounts.admin import disable
from engine.accounts.throttle import FREE_FAILURES, MAX_WAIT
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


def test_official_logs_in_and_lands_on_what_waits_for_them(web, make_web, open_case):
    mine = open_case(title="Sanera klottret", assignee="official")
    r = web.login("official")
    assert r.status_code == 302
    assert r.headers["Location"] == "/"
    page = web.text("/")
    assert "<h1>Att göra</h1>" in page
    yours = page.split('id="h-yours"')[1].split('id="h-untaken"')[0]
    assert f"#{mine} Sanera klottret" in yours
    assert "Väntar på:</strong> dig" in yours  # not her own name
    chair = make_web()
    chair.login("chair")  # the chair lands on the overview of what is late
    assert chair.client.get("/").headers["Location"] == "/chair"


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


ATTACKER, OWNER = "203.0.113.66", "198.51.100.20"


def _from(web, address):
    web.client.environ_base["REMOTE_ADDR"] = address
    return web


def _fail_until_held_off(web, username="chair"):
    for _ in range(FREE_FAILURES + 1):
        assert web.login(username, "wrong-password-x").status_code == 401


def test_failures_from_one_address_never_lock_the_right_password_out_elsewhere(web, make_web, eng):
    attacker = _from(web, ATTACKER)
    for _ in range(30):  # far past the old lock-out at five
        attacker.login("chair", "wrong-password-x")
    assert attacker.login("chair").status_code == 429
    assert _from(make_web(), OWNER).login("chair").status_code == 302
    # The same on another worker (a second app): the count lives in the database.
    other = _from(make_web(create_app(eng.config, engine=eng, testing=True)), OWNER)
    assert other.login("chair").status_code == 302


def test_each_failure_past_the_first_few_doubles_the_wait_from_that_address(web, clock):
    _from(web, ATTACKER)
    _fail_until_held_off(web)
    held = web.login("chair")  # even the right password waits: a guesser learns nothing
    assert held.status_code == 429
    assert held.headers["Retry-After"] == "30"
    assert "För många misslyckade inloggningar härifrån. Vänta 30 sekunder" in held.get_data(as_text=True)
    clock.advance(seconds=31)
    assert web.login("chair", "wrong-password-x").status_code == 401
    assert web.login("chair").headers["Retry-After"] == "60"
    clock.advance(seconds=61)
    assert web.login("chair", "wrong-password-x").status_code == 401
    assert "Vänta 2 minuter" in web.login("chair").get_data(as_text=True)
    clock.advance(minutes=3)
    assert web.login("chair").status_code == 302


def test_the_wait_stops_growing_at_fifteen_minutes(web, clock):
    _from(web, ATTACKER)
    waits = []
    for _ in range(FREE_FAILURES + 10):
        r = web.login("chair", "wrong-password-x")
        if r.status_code == 429:
            waits.append(int(r.headers["Retry-After"]))
            clock.advance(seconds=waits[-1])
            assert web.login("chair", "wrong-password-x").status_code == 401
    assert waits[:3] == [30, 60, 120]
    assert max(waits) == MAX_WAIT.total_seconds() == waits[-1]


def test_logging_in_clears_the_failures_of_that_address(web, clock):
    _from(web, ATTACKER)
    _fail_until_held_off(web)
    clock.advance(seconds=31)
    assert web.login("chair").status_code == 302
    web.post("/logout")
    for _ in range(FREE_FAILURES):
        assert web.login("chair", "wrong-password-x").status_code == 401


def test_many_user_names_failing_from_one_address_lock_nobody_out(web):
    """An office or a proxy sends everyone from one address: one person's typing costs the others nothing."""
    _from(web, ATTACKER)
    for i in range(25):
        assert web.login(f"nobody{i}", "wrong-password-x").status_code == 401
    _fail_until_held_off(web, "chair")
    assert web.login("official").status_code == 302


def test_failures_are_forgotten_after_a_day(web, clock):
    _from(web, ATTACKER)
    _fail_until_held_off(web)
    clock.advance(hours=24, seconds=1)
    for _ in range(FREE_FAILURES):
        assert web.login("chair", "wrong-password-x").status_code == 401


def test_a_forged_forwarded_for_gives_no_fresh_tries_without_a_trusted_proxy(web):
    _from(web, ATTACKER)
    for n in range(FREE_FAILURES + 1):
        web.client.environ_base["HTTP_X_FORWARDED_FOR"] = f"192.0.2.{n}"
        web.login("chair", "wrong-password-x")
    web.client.environ_base["HTTP_X_FORWARDED_FOR"] = "192.0.2.200"
    assert web.login("chair").status_code == 429


@pytest.fixture
def behind_proxy(eng, clock, make_web):
    """Factory: a browser behind the one reverse proxy of docs/deploy.md, with its own address."""
    from dataclasses import replace
    cfg = replace(eng.config, web=replace(eng.config.web, trusted_proxies=1))
    app = create_app(cfg, engine=eng, clock=clock, testing=True)

    def make(address):
        browser = _from(make_web(app), "127.0.0.1")
        browser.client.environ_base["HTTP_X_FORWARDED_FOR"] = address
        return browser
    return make


def test_behind_a_trusted_proxy_each_browser_is_counted_by_its_own_address(behind_proxy):
    attacker = behind_proxy(ATTACKER)
    _fail_until_held_off(attacker)
    assert attacker.login("chair").status_code == 429
    assert behind_proxy(OWNER).login("chair").status_code == 302


def test_disabled_user_cannot_log_in(web, eng):
    disable(eng, "admin", "official")
    assert web.login("official").status_code == 401


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example",
                                    "javascript:alert(1)", "http:/evil.example"])
def test_next_pointing_off_site_is_ignored(web, target):
    r = web.login("official", next_url=target)
    assert r.headers["Location"] == "/"


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
