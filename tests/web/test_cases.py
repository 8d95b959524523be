"""The case page and its forms: actions, assign, claim, comments, conflicts, refusals, new cases."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from engine.cases.commands import assign
from engine.cases.firing import fire
from engine.cases.views import get_case
from engine.kernel.events import Reminded
from engine.store.models import CaseRow


def _state(eng, case_id):
    return get_case(eng, case_id, "chair")["state"]


def test_case_page_shows_fields_history_actions_and_diagram(web, open_case):
    cid = open_case(title="Sanera klotter", assignee="official", focus_area="vandalism")
    web.login("official")
    page = web.text(f"/cases/{cid}")
    assert "Sanera klotter" in page
    assert "Socialnämnden" in page
    assert "Historik" in page
    assert "Öppnat" in page
    assert 'value="assign"' in page  # the allowed action as a button
    assert "<svg" in page
    assert "nuvarande status är Öppen" in page  # the diagram names the current state in words
    # Times in Europe/Stockholm: opened 09:00 UTC is 10:00 in February.
    assert "2027-02-10 10:00" in page


def test_official_works_an_action_to_verified(web, eng, open_case, make_web):
    cid = open_case(title="Åtgärd", assignee="official")
    web.login("official")
    for trigger, comment in [("assign", ""), ("start", ""), ("complete", "Klart, sanerat.")]:
        version = get_case(eng, cid, "official")["version"]
        r = web.post(f"/cases/{cid}/fire", {"trigger": trigger, "comment": comment, "expected_version": version})
        assert r.status_code == 302, (trigger, r.get_data(as_text=True))
    # Four eyes: the official who completed it may not approve it; another member of the group does.
    version = get_case(eng, cid, "official")["version"]
    r = web.post(f"/cases/{cid}/fire", {"trigger": "verify", "comment": "", "expected_version": version})
    assert r.status_code == 409
    assert "Någon annan än den som utförde åtgärden måste godkänna den" in r.get_data(as_text=True)
    assert _state(eng, cid) == "done"
    colleague = make_web()
    colleague.login("member")
    r = colleague.post(f"/cases/{cid}/fire", {"trigger": "verify", "comment": "", "expected_version": version})
    assert r.status_code == 302, r.get_data(as_text=True)
    assert _state(eng, cid) == "verified"
    page = web.text(f"/cases/{cid}")
    assert "Klart, sanerat." in page
    assert "Godkänd" in page


def test_comment_required_is_asked_for_next_to_the_field(web, eng, open_case):
    cid = open_case(assignee="official")
    fire(eng, cid, "assign", "official")
    fire(eng, cid, "start", "official")
    web.login("official")
    version = get_case(eng, cid, "official")["version"]
    r = web.post(f"/cases/{cid}/fire", {"trigger": "complete", "comment": " ", "expected_version": version})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert 'id="comment-complete-error"' in page
    assert "Den här åtgärden kräver en kommentar" in page  # in Swedish, not the engine's English
    assert _state(eng, cid) == "in_progress"


def test_stale_form_says_someone_changed_the_case_and_keeps_the_text(web, eng, open_case):
    cid = open_case(assignee="official")
    fire(eng, cid, "assign", "official")
    fire(eng, cid, "start", "official")
    web.login("official")
    old = get_case(eng, cid, "official")["version"]
    fire(eng, cid, "complete", "chair", comment="Ordföranden hann först.")
    r = web.post(f"/cases/{cid}/fire", {"trigger": "complete", "comment": "Min redogörelse", "expected_version": old})
    assert r.status_code == 409
    page = r.get_data(as_text=True)
    assert "Någon annan har ändrat ärendet; ladda om." in page
    assert "Utförd" in page  # the new state is shown
    assert "Min redogörelse" in page  # nothing the user typed is lost
    assert _state(eng, cid) == "done"


def test_stale_assign_form_is_a_conflict(web, eng, open_case):
    cid = open_case()
    web.login("official")
    old = get_case(eng, cid, "official")["version"]
    assign(eng, cid, "chair", user="member")
    r = web.post(f"/cases/{cid}/assign", {"user": "official", "expected_version": old})
    assert r.status_code == 409
    assert get_case(eng, cid, "chair")["assignee"] == "member"


def test_action_the_role_does_not_allow_is_403(web, eng, open_case):
    cid = open_case()
    web.login("outsider")
    r = web.post(f"/cases/{cid}/fire", {"trigger": "cancel", "comment": "nej", "expected_version": 1})
    assert r.status_code == 403
    assert _state(eng, cid) == "open"
    assert web.post(f"/cases/{cid}/assign", {"user": "outsider", "expected_version": 1}).status_code == 403


def test_action_not_possible_in_this_state_is_refused(web, eng, open_case):
    cid = open_case(assignee="official")
    web.login("official")
    r = web.post(f"/cases/{cid}/fire", {"trigger": "verify", "expected_version": 1})
    assert r.status_code in (403, 409)
    assert _state(eng, cid) == "open"


@pytest.mark.parametrize(("method", "path"), [
    ("get", ""), ("post", "/fire"), ("post", "/assign"), ("post", "/claim"), ("post", "/comment"),
    ("post", "/remind"),
])
def test_confidential_case_is_404_for_outsiders(web, open_case, method, path):
    cid = open_case(confidential=True, title="Hemlig")
    web.login("outsider")
    url = f"/cases/{cid}{path}"
    r = web.client.get(url) if method == "get" else web.post(url, {"trigger": "cancel", "comment": "x",
                                                                    "user": "outsider", "body": "x"})
    assert r.status_code == 404
    assert "Hemlig" not in r.get_data(as_text=True)


def test_confidential_case_is_visible_to_the_owning_group(web, open_case):
    cid = open_case(confidential=True, title="Hemlig")
    web.login("member")
    assert web.client.get(f"/cases/{cid}").status_code == 200


def test_assign_then_claim(web, eng, open_case):
    cid = open_case()
    web.login("member")
    r = web.post(f"/cases/{cid}/claim", {"expected_version": 1})
    assert r.status_code == 302
    assert get_case(eng, cid, "chair")["assignee"] == "member"
    version = get_case(eng, cid, "chair")["version"]
    assert web.post(f"/cases/{cid}/assign", {"user": "official", "expected_version": version}).status_code == 302
    assert get_case(eng, cid, "chair")["assignee"] == "official"


def test_assign_without_a_person_says_so(web, open_case):
    cid = open_case()
    web.login("official")
    r = web.post(f"/cases/{cid}/assign", {"user": "", "expected_version": 1})
    assert r.status_code == 400
    assert "Välj en person att tilldela ärendet." in r.get_data(as_text=True)


def test_comments_are_added_and_empty_ones_refused(web, eng, open_case):
    cid = open_case()
    web.login("member")
    assert web.post(f"/cases/{cid}/comment", {"body": "Vi tar det på mötet."}).status_code == 302
    assert "Vi tar det på mötet." in web.text(f"/cases/{cid}")
    r = web.post(f"/cases/{cid}/comment", {"body": "  "})
    assert r.status_code == 400
    assert "Skriv något i kommentaren." in r.get_data(as_text=True)


def test_action_without_csrf_token_is_refused(web, eng, open_case):
    cid = open_case(assignee="official")
    web.login("official")
    r = web.client.post(f"/cases/{cid}/fire", data={"trigger": "assign", "expected_version": 1})
    assert r.status_code == 400
    assert _state(eng, cid) == "open"


def test_child_cases_are_listed_and_new_ones_link_back(web, open_case):
    parent = open_case(title="Möte")
    open_case(title="Barnåtgärd", parent_id=parent)
    web.login("official")
    page = web.text(f"/cases/{parent}")
    assert "Barnåtgärd" in page
    assert f"/cases/new?workflow=action&amp;parent={parent}" in page


def test_chair_reminds_whoever_holds_the_case(web, eng, open_case):
    events: list[Reminded] = []
    eng.listeners.subscribe(Reminded, lambda _s, e: events.append(e))
    cid = open_case(assignee="official")
    web.login("chair")
    r = web.post(f"/cases/{cid}/remind", {"back": "/chair"})
    assert r.status_code == 302
    assert r.headers["Location"] == "/chair"
    assert [(e.case_id, e.actor) for e in events] == [(cid, "chair")]


def test_reminding_about_a_case_closed_meanwhile_says_so_in_swedish(web, eng, open_case):
    cid = open_case(assignee="official")
    fire(eng, cid, "cancel", "chair", comment="Dubblett")
    web.login("chair")
    page = web.client.post(f"/cases/{cid}/remind", data={"csrf_token": web.token(), "back": "/chair"},
                           follow_redirects=True).get_data(as_text=True)
    assert "Ärendet är avslutat; det finns inget att påminna om." in page


def test_outsider_cannot_remind(web, open_case):
    cid = open_case()
    web.login("outsider")
    assert web.post(f"/cases/{cid}/remind").status_code == 403


@pytest.mark.parametrize(("who", "claim", "remind"), [
    ("member", True, True),  # in the owning group (socialnamnden): takes it, reminds its holder
    ("chair", False, True),  # oversees every group, but takes only her own groups' cases
    ("admin", False, True),
    ("outsider", False, False),  # sees the case, may do neither
])
def test_case_page_offers_taking_and_reminding_to_whom_the_engine_allows_them(web, open_case, who, claim, remind):
    cid = open_case()
    web.login(who)
    page = web.text(f"/cases/{cid}")
    assert (f'action="/cases/{cid}/claim"' in page) is claim
    assert (f'action="/cases/{cid}/remind"' in page) is remind


def _new_case_form(web):
    return web.text("/cases/new")


def test_new_action_form_opens_a_case(web, eng):
    web.login("official")
    assert "Typ av ärende" in _new_case_form(web)
    r = web.post("/cases/new", {"workflow": "action", "title": "Trygghetsvandring", "group": "socialnamnden",
                                "focus_area": "safety", "priority": "normal", "assignee": "official",
                                "description": "Med föräldrar"})
    assert r.status_code == 302
    cid = int(re.search(r"/cases/(\d+)", r.headers["Location"]).group(1))
    case = get_case(eng, cid, "official")
    assert (case["title"], case["assignee"], case["focus_area"]) == ("Trygghetsvandring", "official", "safety")


def _refused_new_case(web, **fields: str) -> str:
    """Post the new-case form (as official unless logged in) with `fields` over a valid action; the 400 page."""
    if not web.client.get("/queues/mine").status_code == 200:
        web.login("official")
    r = web.post("/cases/new", {"workflow": "action", "title": "Ett ärende", "group": "socialnamnden",
                                "priority": "normal", **fields})
    assert r.status_code == 400
    return r.get_data(as_text=True)  # type: ignore[no-any-return]


def test_new_case_form_shows_errors_next_to_fields_and_keeps_values(web):
    page = _refused_new_case(web, title="", description="Viktig beskrivning")
    assert 'id="title-error"' in page
    assert "Ge ärendet en rubrik." in page
    assert "Viktig beskrivning" in page


def test_new_case_due_in_the_past_is_refused_at_the_date_field(web):
    page = _refused_new_case(web, title="Redan sen", due="2027-02-09")
    assert 'id="due-error"' in page
    assert "Förfallodatumet har redan passerat" in page
    assert "Redan sen" in page


def test_new_child_of_a_case_one_may_not_see_says_what_to_do(web, open_case):
    hidden = open_case(group="kultur_fritid", confidential=True)
    assert "finns inte eller är dolt för dig" in _refused_new_case(web, parent_id=str(hidden))


def test_new_case_for_a_group_one_is_not_in_is_refused_at_the_group_field(web):
    web.login("official")
    r = web.post("/cases/new", {"workflow": "action", "title": "Fel grupp", "group": "kultur_fritid",
                                "priority": "normal"})
    assert r.status_code == 400
    assert 'id="group-error"' in r.get_data(as_text=True)


def test_new_case_form_without_csrf_is_refused(web):
    web.login("official")
    r = web.client.post("/cases/new", data={"workflow": "action", "title": "x", "group": "socialnamnden"})
    assert r.status_code == 400


def test_a_meeting_is_opened_by_the_schedule_not_by_hand(web, eng):
    """The safety group's meetings come from config.toml's [[recurring]]: the form does not offer them, and a
    forged post is refused at the field, opening nothing."""
    web.login("chair")
    assert 'value="safety_group_meeting"' not in web.text("/cases/new")
    page = _refused_new_case(web, workflow="safety_group_meeting", title="Trygghetsgruppens möte",
                             group="trygghetsgruppen", event_at="2027-03-24T13:00")
    assert 'id="workflow-error"' in page
    with eng.db.read() as s:
        assert s.exec(select(CaseRow.id).where(CaseRow.title == "Trygghetsgruppens möte")).first() is None
