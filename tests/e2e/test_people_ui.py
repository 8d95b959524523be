"""In a real browser, desktop and phone: the chair reminds three late cases at once and sees who reminded when;
the police officer completes an action and the history tells it in the past tense with his name; on a phone
the queue's rows are cards with the due date, the holder and the main action in view."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

DESKTOP = {"width": 1366, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser: Any, base_url: str) -> Iterator[Any]:
    """A second page, phone-sized, for a person logged in beside the desktop one."""
    context = browser.new_context(base_url=base_url, locale="sv-SE", viewport=PHONE)
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    context.close()


def _fits(page: Any) -> bool:
    """Nothing scrolls sideways: the page is no wider than the screen."""
    return bool(page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"))


def test_chair_reminds_three_late_cases_at_once_and_sees_who_reminded(page: Any, login: Any,
                                                                     check_page: Any) -> None:
    page.set_viewport_size(DESKTOP)
    login("ordforande")
    page.goto("/chair")
    totals = page.locator(".totals").inner_text()
    assert re.match(r"\d+ försenade · \d+ i ", totals), totals  # totals first, then per group
    check_page("people-chair-overview")
    rows = page.locator("table.cases tbody tr")
    picked = [rows.nth(i) for i in range(3)]
    titles = [r.locator("td.title a").inner_text() for r in picked]
    for r in picked:
        r.get_by_role("checkbox").check()
    page.get_by_role("button", name="Påminn om de valda").click()
    page.wait_for_url("**/chair?sort=overdue")
    assert "Påminnelser har skickats om 3 ärenden" in page.locator(".flashes").inner_text()
    for title in titles:
        row = page.locator("tr", has_text=title)
        assert re.search(r"\d{4}-\d\d-\d\d av Karin Ek \(ordförande\)", row.locator("td").nth(5).inner_text())
    check_page("people-chair-reminded")
    page.set_viewport_size(PHONE)
    page.goto("/chair")
    assert _fits(page)
    check_page("people-chair-overview-phone")


def test_police_completes_an_action_and_the_history_reads_in_the_past_tense(page: Any, login: Any,
                                                                           check_page: Any) -> None:
    page.set_viewport_size(DESKTOP)
    login("polis")
    page.get_by_role("link", name=re.compile("Kartlägg mopedbuskörning")).first.click()
    # The natural next step is the one primary button; cancelling is apart and asks first.
    assert page.locator("button.primary").all_inner_texts() == ["Markera som utförd"]
    assert not page.get_by_role("button", name="Ja, avbryt ärendet").is_visible()
    check_page("people-case-in-progress")
    page.get_by_label('Kommentar till "Markera som utförd" (krävs)').fill("Kartläggningen klar; tre platser.")
    page.get_by_role("button", name="Markera som utförd").click()
    assert page.locator(".case-state strong").inner_text() == "Utförd"
    # He may not approve his own work, and reopening is no next step: no primary button, and it says why.
    assert page.locator("button.primary").count() == 0
    assert page.locator("ul.blocked").inner_text().startswith("Godkänn: Någon annan än den som utförde")
    history = page.locator("#h-history + ol").inner_text()
    assert "Johan Berg (närpolischef) markerade ärendet som utfört" in history
    assert "Karin Ek (ordförande) öppnade ärendet" in history
    assert "Karin Ek (ordförande) tilldelade ärendet" in history
    assert "Johan Berg (närpolischef) påbörjade" in history
    comments = page.locator("#comments").inner_text()
    assert "Kartläggningen klar; tre platser." in comments
    assert "vid ”Markera som utförd”" in comments
    check_page("people-case-done")


def test_a_step_not_possible_says_what_would_make_it_possible(page: Any, login: Any, check_page: Any) -> None:
    page.set_viewport_size(DESKTOP)
    login("polis")
    page.goto("/queues/unassigned")
    page.get_by_role("link", name=re.compile("Oro för narkotikaförsäljning")).first.click()
    # Triaged, held by nobody: starting waits for someone to take it, and taking it is the primary step.
    assert page.locator("ul.blocked").inner_text() == "Påbörja: Ta ärendet först."
    assert page.locator("button.primary").all_inner_texts() == ["Ta ärendet"]
    check_page("people-case-take-first")
    page.get_by_role("button", name="Ta ärendet").click()
    assert page.locator("button.primary").all_inner_texts() == ["Påbörja"]
    assert "Johan Berg (närpolischef) tog ärendet" in page.locator("#h-history + ol").inner_text()


def test_phone_queue_rows_are_cards_with_due_date_holder_and_action(phone: Any, check_page: Any) -> None:
    from samverkan.demo import DEMO_PASSWORD
    phone.goto("/login")
    phone.get_by_label("Användarnamn").fill("polis")
    phone.get_by_label("Lösenord").fill(DEMO_PASSWORD)
    phone.get_by_role("button", name="Logga in").click()
    phone.wait_for_url(lambda url: "/login" not in url)
    phone.goto("/queues/group")
    assert _fits(phone)
    card = phone.locator("table.cards tbody tr").first
    for cell in ("td.due", "td[data-label='Handläggare']", "td.main-action a, td.main-action button"):
        box = card.locator(cell).first.bounding_box()
        assert box is not None, cell
        assert 0 <= box["x"] <= box["x"] + box["width"] <= PHONE["width"], cell
    header = phone.locator(".site-header").bounding_box()
    assert header is not None
    assert header["height"] < 140  # compact: brand and tools, then one line of menu
    # axe runs on check_page's page; this context's page is checked by hand through the same helper.
    from axe_playwright_python.sync_playwright import Axe
    phone.screenshot(path=str(Path(__file__).resolve().parents[2] / "test-artifacts" / "people-queue-phone.png"),
                     full_page=True)
    bad = [v["id"] for v in Axe().run(phone).response["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad
    for path in ("/notices", "/agreement", "/cases/2"):
        phone.goto(path)
        assert _fits(phone), path


def test_notices_per_case_agreement_pace_report_and_calendar_address(page: Any, login: Any, check_page: Any,
                                                                      demo_engine: Any) -> None:
    from sqlmodel import select

    from engine.store.models import Notice, User
    with demo_engine.db.write() as s:
        chair = s.exec(select(User.id).where(User.username == "ordforande")).one()
        for i, kind in enumerate(("due", "manual_reminder")):
            s.add(Notice(idempotency_key=f"e2e-people-{i}", kind=kind, case_id=2, recipient_id=chair,
                         created_at=demo_engine.now(), status="sent",
                         payload={"title": "Kartlägg mopedbuskörning vid Ringsjöstrand", "actor": "Johan Berg",
                                  "due_at": "2027-04-05T21:59:59+00:00"}))
    page.set_viewport_size(DESKTOP)
    login("ordforande")
    page.goto("/notices")
    group = page.locator(".notice-group", has_text="Ärende 2:")
    unread = group.locator("li.unread")
    assert unread.count() >= 2  # both under their case, beside any the case's changes made
    assert group.locator(".badge-new").inner_text() == f"{unread.count()} nya"
    assert "Påminnelse från Johan Berg: ärende 2" in group.inner_text()
    check_page("people-notices")
    group.locator("li a").first.click()  # opening one reads it and lands on its case, which reads the rest
    page.wait_for_url("**/cases/2")
    page.goto("/notices")
    assert page.locator(".notice-group", has_text="Ärende 2:").locator(".badge-new").count() == 0
    page.goto("/agreement")
    check_page("people-agreement")
    assert "förväntat hittills" in page.locator("#h-obl + .table-wrap").inner_text()
    with page.expect_response(lambda r: "/agreement/report" in r.url) as report:
        page.get_by_role("link", name=re.compile(r"^HTML")).first.click()
    assert report.value.status == 200
    page.goto("/settings")
    page.get_by_role("button", name="Skapa en kalenderadress").click()
    address = page.get_by_label("Kalenderadress").input_value()
    assert re.search(r"/calendar/[\w-]+\.ics$", address)
    check_page("people-calendar-address")
    feed = page.request.get("/calendar/" + address.split("/calendar/", 1)[1])  # the path, on this test server
    assert feed.status == 200
    assert "BEGIN:VCALENDAR" in feed.text()


def test_the_new_case_form_follows_the_kind_of_case(page: Any, login: Any) -> None:
    page.set_viewport_size(DESKTOP)
    login("polis")
    page.goto("/cases/new?workflow=action")
    assert page.get_by_label("Prioritet", exact=True).input_value() == "normal"
    assert page.get_by_label("Förfallodatum", exact=True).is_visible()
    page.get_by_label("Typ av ärende", exact=True).select_option("acute_matter")
    # An acute matter is urgent by its nature; its deadlines come from its rules, so no due date is asked.
    assert page.get_by_label("Prioritet", exact=True).input_value() == "high"
    assert not page.get_by_label("Förfallodatum", exact=True).is_visible()
    page.get_by_label("Typ av ärende", exact=True).select_option("action")
    assert page.get_by_label("Prioritet", exact=True).input_value() == "normal"
