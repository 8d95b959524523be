"""The case page's steps without a script, reassigning and reminding from the overview, the report and the
calendar address from the pages."""

from __future__ import annotations

import datetime as dt
import re

from engine.cases.firing import fire
from engine.cases.views import get_case


def test_a_destructive_step_is_apart_asks_first_and_works_without_a_script(web, eng, open_case):
    cid = open_case(title="Dubblett", assignee="official")
    web.login("official")
    page = web.text(f"/cases/{cid}")
    # The next step is the one primary button; cancelling sits in a closed disclosure with its comment box.
    assert re.findall(r'<button type="submit" class="primary">([^<]+)</button>', page) == ["Tilldela"]
    danger = page[page.index('class="step danger-step"'):]
    assert danger.startswith('class="step danger-step">')  # closed until chosen
    assert "<summary>Avbryt ärendet…</summary>" in danger
    assert 'id="comment-cancel"' in danger
    assert "Ja, avbryt ärendet" in danger
    assert "Det går inte att ångra." in danger
    version = get_case(eng, cid, "official")["version"]
    r = web.post(f"/cases/{cid}/fire", {"trigger": "cancel", "comment": "Samma som #1.", "expected_version": version})
    assert r.status_code == 302
    assert get_case(eng, cid, "official")["state"] == "cancelled"


def test_a_step_not_possible_says_what_would_make_it_possible(web, eng, open_case):
    cid = open_case(title="Någon annans", assignee="member")
    fire(eng, cid, "assign", "member")
    web.login("official")
    page = web.text(f"/cases/{cid}")
    assert "<strong>Påbörja</strong>: Bara member, som har ärendet, eller ordföranden kan göra detta." in page


def test_the_chair_reassigns_and_reminds_from_the_overview_and_stays_there(web, eng, open_case, clock):
    first = open_case(title="Första", assignee="official", due=dt.date(2027, 2, 20))
    second = open_case(title="Andra", due=dt.date(2027, 2, 21))
    clock.advance(days=20)
    web.login("chair")
    r = web.post(f"/cases/{first}/assign", {"user": "member", "back": "/chair?sort=group"})
    assert (r.status_code, r.headers["Location"]) == (302, "/chair?sort=group")
    assert get_case(eng, first, "chair")["assignee"] == "member"
    r = web.post(f"/cases/{second}/assign", {"user": "", "back": "/chair?sort=group"})
    assert r.headers["Location"] == "/chair?sort=group"  # the problem is said on the overview
    assert "Välj en person att tilldela ärendet." in web.text("/chair")
    assert web.post(f"/cases/{second}/assign", {"user": "member", "back": "https://evil.example/"}) \
        .headers["Location"] == f"/cases/{second}"  # nowhere else
    r = web.post("/chair/remind", {"case": [str(first), str(second)], "sort": "holder"})
    assert r.headers["Location"] == "/chair?sort=holder"
    page = web.text("/chair?sort=holder")
    assert "Påminnelser har skickats om 2 ärenden: #" in page
    assert len(re.findall(r"\d{4}-\d\d-\d\d av Chair", page)) == 2  # each row: when, and by whom
    assert web.post("/chair/remind", {}).status_code == 302
    assert "Välj först vilka ärenden som ska påminnas om." in web.text("/chair")


def test_the_report_is_reachable_from_the_agreement_page_for_the_chair(web, make_web):
    web.login("chair")
    page = web.text("/agreement")
    assert 'href="/agreement/report?period=current&amp;format=pdf&amp;agreement=hoor"' in page
    csv = web.client.get("/agreement/report?period=current&format=csv")
    assert csv.status_code == 200
    assert csv.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in csv.headers["Content-Disposition"]
    pdf = web.client.get("/agreement/report?period=previous&format=pdf")
    assert pdf.get_data()[:5] == b"%PDF-"
    assert web.client.get("/agreement/report?format=docx").status_code == 404
    official = make_web()
    official.login("official")
    assert "/agreement/report" not in official.text("/agreement")
    assert official.client.get("/agreement/report?format=html").status_code == 403


def test_a_person_makes_their_own_calendar_address_and_a_new_one_ends_the_old(web):
    web.login("official")
    assert "Skapa en kalenderadress" in web.text("/settings")
    first = re.search(r'value="[^"]*(/calendar/[\w-]+\.ics)"', web.post("/settings/calendar").get_data(as_text=True))
    assert first is not None
    assert web.client.get(first[1]).status_code == 200
    second = re.search(r'value="[^"]*(/calendar/[\w-]+\.ics)"', web.post("/settings/calendar").get_data(as_text=True))
    assert second is not None
    assert web.client.get(second[1]).status_code == 200
    assert web.client.get(first[1]).status_code == 404
