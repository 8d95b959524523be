"""The user's own settings: language, and e-mail at once or in one daily digest."""

from __future__ import annotations

import datetime as dt
import re

from engine.outbox.notices import claim_due, list_notices


def _checked(page: str) -> str:
    [value] = re.findall(r'<input checked[^>]* value="(\w+)"', page)
    return value


def test_settings_offer_the_daily_digest_the_mails_speak_of_with_the_current_choice_shown(web):
    web.login("official")
    page = web.text("/settings")
    assert "E-post om dina ärenden" in page
    assert "Varje meddelande direkt" in page
    assert "Ett dagligt sammandrag kl. 07:00" in page
    assert "<legend>" in page
    assert _checked(page) == "immediate"
    assert web.post("/settings", {"language": "sv", "delivery": "daily"}).status_code == 302
    page = web.text("/settings")
    assert "Dina inställningar är sparade." in page
    assert _checked(page) == "daily"


def test_settings_are_in_english_for_english_users(web):
    web.login("official")
    web.post("/settings", {"language": "en", "delivery": "immediate"})
    page = web.text("/settings")
    assert "E-mail about your cases" in page
    assert "Every message at once" in page
    assert "One daily digest at 07:00" in page


def test_an_unknown_delivery_choice_is_refused_at_the_field(web):
    web.login("official")
    r = web.post("/settings", {"language": "sv", "delivery": "hourly"})
    assert r.status_code == 400
    assert 'class="field-error"' in r.get_data(as_text=True)


def test_choosing_the_daily_digest_makes_new_notices_wait_for_the_digest_hour(web, eng, open_case, clock):
    web.login("official")
    assert web.post("/settings", {"language": "sv", "delivery": "daily"}).status_code == 302
    open_case(title="Sanera klotter", assignee="official")  # 10:00 in Stockholm
    with eng.db.read() as s:
        mine = [n for n in list_notices(s) if n.username == "official"]
    assert mine
    tomorrow_seven = dt.datetime(2027, 2, 11, 6, 0, tzinfo=dt.UTC)  # 07:00 in Stockholm (CET)
    assert {n.next_attempt_at for n in mine} == {tomorrow_seven}
    assert not [n for n in claim_due(eng.db, clock.now()) if n.username == "official"]
    assert {n.id for n in claim_due(eng.db, tomorrow_seven) if n.username == "official"} == {n.id for n in mine}


def test_immediate_notices_can_be_sent_at_once(web, eng, open_case, clock):
    web.login("official")
    assert web.post("/settings", {"language": "sv", "delivery": "immediate"}).status_code == 302
    open_case(title="Sanera klotter", assignee="official")
    assert [n for n in claim_due(eng.db, clock.now()) if n.username == "official"]
