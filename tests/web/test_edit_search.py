"""Editing a case and searching through the web pages and the API."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from engine.accounts.tokens import create_token
from engine.cases.commands import comment
from engine.cases.firing import fire
from engine.cases.views import get_case
from tests.web.test_api import _problem
from web import create_app


def _form(web, case_id, **changes):
    """The edit form as the page fills it, with `changes` typed over it."""
    page = web.text(f"/cases/{case_id}/edit")
    values = dict(re.findall(r'<input[^>]* name="([a-z_]+)"[^>]* value="([^"]*)"', page))
    values.update({"title": re.search(r'name="title"[^>]*value="([^"]*)"', page).group(1),
                   "description": re.search(r'<textarea[^>]*name="description"[^>]*>\s*([^<]*)</textarea>',
                                            page).group(1).strip(),
                   "priority": "normal", "focus_area": "", "group": "socialnamnden"})
    values.pop("csrf_token", None)
    return {**values, **changes}


def test_edit_page_changes_the_due_date_with_a_reason_and_the_history_shows_it(web, eng, open_case):
    case_id = open_case(title="Klotter vid stationen")
    web.login("member")
    assert f'href="/cases/{case_id}/edit"' in web.text(f"/cases/{case_id}")
    refused = web.post(f"/cases/{case_id}/edit", _form(web, case_id, due="2027-04-01"))
    assert refused.status_code == 400
    assert "Ange ett skäl när förfallodatumet flyttas" in refused.get_data(as_text=True)
    done = web.post(f"/cases/{case_id}/edit", _form(web, case_id, due="2027-04-01", reason="Nytt beslut i KSAU",
                                                    title="Klottret sanerat"))
    assert done.status_code == 302, done.get_data(as_text=True)
    page = web.text(f"/cases/{case_id}")
    assert "Member ändrade ärendet" in page
    assert "Nytt beslut i KSAU" in page
    assert "<ins>2027-04-01</ins>" in page
    assert "<ins>Klottret sanerat</ins>" in page
    view = get_case(eng, case_id, "chair")
    assert (view["title"], view["due_at"], view["version"]) == ("Klottret sanerat", "2027-04-01T21:59:59Z", 3)


def test_a_stale_edit_form_is_a_conflict_that_saves_nothing(web, eng, open_case):
    case_id = open_case()
    web.login("member")
    stale = _form(web, case_id, title="Min titel")
    web.post(f"/cases/{case_id}/edit", _form(web, case_id, priority="high"))
    r = web.post(f"/cases/{case_id}/edit", stale)
    assert r.status_code == 409
    assert 'id="conflict"' in r.get_data(as_text=True)
    assert get_case(eng, case_id, "chair")["title"] == "Test case"


def test_the_holder_gives_the_case_back(web, eng, open_case):
    case_id = open_case(assignee="official")
    web.login("official")
    page = web.text(f"/cases/{case_id}")
    assert "Lämna tillbaka ärendet" in page
    r = web.post(f"/cases/{case_id}/unassign", {"expected_version": get_case(eng, case_id, "chair")["version"]})
    assert r.status_code == 302
    assert get_case(eng, case_id, "chair")["assignee"] is None
    assert "Official lämnade tillbaka ärendet" in web.text(f"/cases/{case_id}")


def test_an_outsider_sees_no_edit_link_and_may_not_post_the_form(web, open_case):
    case_id = open_case()
    web.login("outsider")
    assert f"/cases/{case_id}/edit" not in web.text(f"/cases/{case_id}")
    r = web.post(f"/cases/{case_id}/edit", {"title": "Kapad", "priority": "normal", "expected_version": "1"})
    assert r.status_code == 403


def test_the_header_search_finds_by_a_word_of_a_comment_and_opens_a_number(web, eng, open_case):
    case_id = open_case(title="Trygghetsvandring")
    comment(eng, case_id, "chair", "Belysningen i tunneln är trasig.")
    hidden = open_case(title="Tunneln: hot mot personal", confidential=True)
    web.login("outsider")
    assert 'id="header-q"' in web.text("/queues/mine")
    page = web.text("/search?q=tunnel")
    assert f'href="/cases/{case_id}"' in page
    assert f'href="/cases/{hidden}"' not in page
    assert "hot mot personal" not in page
    assert "1 ärende matchar" in page
    r = web.client.get(f"/search?q=%23{case_id}")
    assert (r.status_code, r.headers["Location"]) == (302, f"/cases/{case_id}")
    assert "Inget ärende som du kan se matchar" in web.text(f"/search?q=%23{hidden}")
    assert "Skriv ett ord eller ett ärendenummer" in web.text("/search?q=%2B%2B")
    filtered = web.text("/search?q=tunnel&workflow=acute_matter")
    assert f'href="/cases/{case_id}"' not in filtered


def _listed(page):
    """The cases a page lists, in order (each row links its case twice: its title and its main action)."""
    return list(dict.fromkeys(int(x) for x in re.findall(r'href="/cases/(\d+)"', page)))


def test_the_search_pages_list_every_match_once_best_first_and_the_pager_keeps_the_filters(
        eng, clock, open_case, make_web):
    web = make_web(create_app(eng.config, engine=eng, clock=clock, testing=True, overrides={"PAGE_SIZE": 2}))
    titled = [open_case(title="Tunneln vid stationen", focus_area="safety") for _ in range(3)]
    described = [open_case(title="Möte", description="Tunneln vid stationen", focus_area="safety") for _ in range(2)]
    hidden = open_case(title="Tunneln: hot mot personal", focus_area="safety", confidential=True)
    open_case(title="Tunneln målas", focus_area="traffic")  # filtered out
    web.login("outsider")
    url, pages, links = "/search?q=tunnel&focus_area=safety", [], []
    while url:
        page = web.text(url)
        pages.append(_listed(page))
        assert "hot mot personal" not in page
        found = dict((rel, href) for href, rel in re.findall(r'<a href="([^"]*)" rel="(prev|next)"', page))
        links += found.values()
        url = found.get("next", "").replace("&amp;", "&")
    assert pages == [titled[:0:-1], [titled[0], described[1]], [described[0]]]
    assert hidden not in sum(pages, [])
    assert sorted(links) == sorted(["/search?q=tunnel&amp;page=2&amp;focus_area=safety",
                                    "/search?q=tunnel&amp;page=1&amp;focus_area=safety",
                                    "/search?q=tunnel&amp;page=3&amp;focus_area=safety",
                                    "/search?q=tunnel&amp;page=2&amp;focus_area=safety"])
    assert "Träffar för ”tunnel”, bästa först: sida 2." in web.text("/search?q=tunnel&focus_area=safety&page=2")
    past = web.text("/search?q=tunnel&page=9")
    assert "Sidan 9 har inga träffar för ”tunnel”" in past
    assert 'rel="prev"' in past
    assert _listed(web.text("/search?q=tunnel&focus_area=safety&page=-3")) == titled[:0:-1]  # a wrong page is the first
    assert _listed(web.text("/search?q=tunnel&focus_area=safety&page=x")) == titled[:0:-1]
    one = web.text("/search?q=tunnel&focus_area=traffic")
    assert "1 ärende matchar ”tunnel”, bästa först." in one
    assert 'class="pager"' not in one
    number = web.client.get(f"/search?q={titled[0]}")
    assert number.status_code == 302
    assert web.client.get(f"/search?q={titled[0]}&page=2").status_code == 200  # the number opens from page 1 only


# --- the API -------------------------------------------------------------------------------------

@pytest.fixture
def make_token(eng, clock):
    """Factory: a fresh personal API token of a user."""
    def make(username):
        with eng.db.write() as s:
            return create_token(s, username, "test", clock.now())[1]
    return make


def _headers(make_token, user):
    return {"Authorization": f"Bearer {make_token(user)}"}


def test_api_patch_edits_and_names_the_wrong_field(client, make_token, open_case):
    case_id = open_case()
    h = _headers(make_token, "member")
    ok = client.patch(f"/api/v1/cases/{case_id}", json={"priority": "high", "focus_area": "vandalism",
                                                          "expected_version": 1}, headers=h)
    assert ok.status_code == 200, ok.get_json()
    body = ok.get_json()
    assert (body["priority"], body["focus_area"], body["version"]) == ("high", "vandalism", 3)
    assert [(e["field"], e["before"], e["after"]) for e in body["history"][-2:]] == [
        ("priority", "normal", "high"), ("focus_area", None, "vandalism")]
    stale = _problem(client.patch(f"/api/v1/cases/{case_id}", json={"title": "x", "expected_version": 1},
                                  headers=h), 409)
    assert stale["current_version"] == 3
    no_reason = _problem(client.patch(f"/api/v1/cases/{case_id}", json={"due": "2027-04-01",
                                                                        "expected_version": 3}, headers=h), 422)
    assert no_reason["field"] == "reason"
    cleared = client.patch(f"/api/v1/cases/{case_id}", json={"focus_area": None, "expected_version": 3}, headers=h)
    assert cleared.get_json()["focus_area"] is None
    _problem(client.patch(f"/api/v1/cases/{case_id}", json={"group": "polisen", "expected_version": 4},
                          headers=_headers(make_token, "outsider")), 403)


def test_api_search_with_q_and_unassign(client, make_token, open_case):
    case_id = open_case(title="Klottret sanerat", assignee="official")
    open_case(title="Hemligt klotter", confidential=True)
    found = client.get("/api/v1/cases?q=klotter", headers=_headers(make_token, "outsider")).get_json()
    assert [c["id"] for c in found["items"]] == [case_id]
    assert found["next_cursor"] is None
    given = client.post(f"/api/v1/cases/{case_id}/unassign", json={"expected_version": 1},
                        headers=_headers(make_token, "official"))
    assert given.status_code == 200, given.get_json()
    assert (given.get_json()["assignee"], given.get_json()["history"][-1]["trigger"]) == (None, "@unassign")


def test_api_search_pages_with_cursors_like_the_queues(client, make_token, open_case):
    ids = [open_case(title="Klottret sanerat") for _ in range(5)]
    open_case(title="Hemligt klotter", confidential=True)
    h = _headers(make_token, "outsider")
    seen, cursor = [], None
    while True:
        body = client.get("/api/v1/cases?q=klotter&limit=2" + (f"&cursor={cursor}" if cursor else ""),
                          headers=h).get_json()
        seen.append([c["id"] for c in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [ids[:2:-1], ids[2:0:-1], ids[:1]]
    queue_cursor = client.get("/api/v1/cases?queue=all&limit=1", headers=h).get_json()["next_cursor"]
    assert _problem(client.get(f"/api/v1/cases?q=klotter&cursor={queue_cursor}", headers=h), 422)["field"] == "cursor"
    assert _problem(client.get("/api/v1/cases?q=klotter&cursor=bm90LWEtY3Vyc29y", headers=h), 422)["field"] == "cursor"


def test_changing_only_the_title_sends_no_date_change(web, eng, open_case):
    case_id = open_case(assignee="member", due=dt.date(2027, 3, 15))
    for trigger, comment_text in [("assign", None), ("start", None), ("complete", "Klart.")]:
        fire(eng, case_id, trigger, "member", comment=comment_text)
    web.login("member")
    # In "done" the page shows the verification's due date, not the one given at opening.
    r = web.post(f"/cases/{case_id}/edit", _form(web, case_id, title="Rättad rubrik"))
    assert r.status_code == 302, r.get_data(as_text=True)
    assert [h["field"] for h in get_case(eng, case_id, "chair")["history"] if h["field"]] == ["title"]
