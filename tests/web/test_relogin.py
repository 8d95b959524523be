"""A form sent after its session ended (logged out on another device): told why, sent to a page, text kept."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from engine.accounts.users import set_password
from engine.cases.firing import fire
from engine.cases.views import get_case
from web.relogin import KEEP_LIMIT

PW = "ett-annat-langt-losenord"
LOGGED_OUT = "Du har blivit utloggad (kanske på en annan enhet), så det du skickade sparades inte."


@pytest.fixture
def two_devices(make_web, eng):
    """Factory: one user logged in on two browsers (the password is set once, so neither log-in ends the other)."""
    def make(username: str):
        with eng.db.write() as s:
            set_password(s, username, PW)
        first, second = make_web(), make_web()
        assert first.login(username, PW).status_code == 302
        assert second.login(username, PW).status_code == 302
        return first, second
    return make


def _next(response) -> str:
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    return parse_qs(location.query)["next"][0]


def test_comment_sent_after_log_out_elsewhere_is_filled_in_again_after_logging_in(two_devices, eng, open_case):
    cid = open_case(assignee="official")
    phone, laptop = two_devices("official")
    token = phone.token(f"/cases/{cid}")  # the case page is open on the phone
    assert laptop.post("/logout").status_code == 302  # ends every session of the user
    r = phone.client.post(f"/cases/{cid}/comment", data={"csrf_token": token, "body": "Möte bokat med skolan"})
    assert _next(r) == f"/cases/{cid}"  # the case page, not the POST-only address (was a 405)
    assert LOGGED_OUT in phone.text("/login")
    r = phone.login("official", PW, next_url=f"/cases/{cid}")
    assert r.headers["Location"] == f"/cases/{cid}"
    page = phone.text(f"/cases/{cid}")
    assert ">Möte bokat med skolan</textarea>" in page
    assert "Det du skrev innan du blev utloggad är ifyllt igen." in page
    assert get_case(eng, cid, "official")["comments"] == []  # nothing was saved behind the user's back
    assert ">Möte bokat med skolan</textarea>" not in phone.text(f"/cases/{cid}")  # filled in once


def test_action_comment_and_chosen_case_officer_are_kept_too(two_devices, eng, open_case):
    cid = open_case(assignee="official")
    fire(eng, cid, "assign", "official")
    fire(eng, cid, "start", "official")
    phone, laptop = two_devices("official")
    token = phone.token(f"/cases/{cid}")
    laptop.post("/logout")
    version = get_case(eng, cid, "official")["version"]
    r = phone.client.post(f"/cases/{cid}/fire", data={"csrf_token": token, "trigger": "complete",
                                                      "comment": "Klottret är sanerat", "expected_version": version})
    assert _next(r) == f"/cases/{cid}"
    phone.login("official", PW, next_url=f"/cases/{cid}")
    page = phone.text(f"/cases/{cid}")
    assert ">Klottret är sanerat</textarea>" in page
    assert get_case(eng, cid, "official")["state"] == "in_progress"

    laptop.login("official", PW)
    token = phone.token(f"/cases/{cid}")
    laptop.post("/logout")
    r = phone.client.post(f"/cases/{cid}/assign", data={"csrf_token": token, "user": "member",
                                                       "expected_version": version})
    assert _next(r) == f"/cases/{cid}"
    phone.login("official", PW)
    assert '<option value="member" selected>' in phone.text(f"/cases/{cid}")


def test_kept_text_is_only_given_back_to_the_same_user(two_devices, make_web, eng, open_case):
    cid = open_case(assignee="official")
    phone, laptop = two_devices("official")
    token = phone.token(f"/cases/{cid}")
    laptop.post("/logout")
    phone.client.post(f"/cases/{cid}/comment", data={"csrf_token": token, "body": "Konfidentiell anteckning"})
    phone.login("chair", next_url=f"/cases/{cid}")  # someone else logs in on the same browser
    assert "Konfidentiell anteckning" not in phone.text(f"/cases/{cid}")


def test_text_too_long_for_the_session_is_shown_to_copy(two_devices, open_case):
    cid = open_case(assignee="official")
    phone, laptop = two_devices("official")
    token = phone.token(f"/cases/{cid}")
    laptop.post("/logout")
    minutes = "Protokoll. " * (KEEP_LIMIT // 10)
    r = phone.client.post(f"/cases/{cid}/comment", data={"csrf_token": token, "body": minutes})
    assert r.status_code == 401
    page = r.get_data(as_text=True)
    assert "kopiera den härunder, logga in igen och klistra in den" in page
    assert f'readonly rows="6">{minutes}</textarea>' in page
    assert f'name="next" value="/cases/{cid}"' in page


@pytest.mark.parametrize(("referer", "expected"), [
    ("http://localhost/admin/users", "/admin/users"),
    ("https://evil.example/admin/users", "/"),
    ("http://localhost/cases/1/comment", "/"),  # a POST-only address is no page to come back to
    (None, "/"),
])
def test_other_forms_send_the_user_back_to_the_page_they_came_from_on_this_site(two_devices, referer, expected):
    phone, laptop = two_devices("admin")
    token = phone.token("/admin/users")
    laptop.post("/logout")
    headers = {"Referer": referer} if referer else {}
    r = phone.client.post("/admin/users/official/disable", data={"csrf_token": token}, headers=headers)
    assert _next(r) == expected
    assert "Logga in igen och gör om det." in phone.text("/login")


def test_new_case_form_is_filled_in_again(two_devices):
    phone, laptop = two_devices("official")
    token = phone.token("/cases/new")
    laptop.post("/logout")
    r = phone.client.post("/cases/new", data={"csrf_token": token, "workflow": "action", "title": "Trasig belysning",
                                              "description": "Gångtunneln vid stationen", "group": "socialnamnden"})
    assert _next(r) == "/cases/new"
    phone.login("official", PW, next_url="/cases/new")
    page = phone.text("/cases/new")
    assert 'value="Trasig belysning"' in page
    assert "Gångtunneln vid stationen</textarea>" in page


def test_a_page_asked_for_after_log_out_elsewhere_says_why(two_devices, client):
    phone, laptop = two_devices("official")
    laptop.post("/logout")
    assert _next(phone.client.get("/queues/group?state=open")) == "/queues/group?state=open"
    assert "Du har blivit utloggad, kanske på en annan enhet." in phone.text("/login")
    client.get("/queues/mine")  # a visitor who never logged in is not told they were logged out
    assert "utloggad" not in client.get("/login").get_data(as_text=True)


def test_log_out_after_log_out_elsewhere_just_logs_out(two_devices):
    phone, laptop = two_devices("official")
    token = phone.token()
    laptop.post("/logout")
    r = phone.client.post("/logout", data={"csrf_token": token})
    assert r.headers["Location"] == "/login"
    page = phone.text("/login")
    assert "Du är utloggad." in page
    assert "sparades inte" not in page
