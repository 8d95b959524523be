"""In a real browser: the crime-prevention law's cycle (a lägesbild adopted, a plan decided with three
measures opened as actions, one measure done, the follow-up shows it) and information to the citizens
published from a monthly review, seen on the public page and in the feed by a visitor not logged in."""

from __future__ import annotations

import re
from typing import Any

import feedparser

from engine.cases.commands import OpenRequest, assign, open_case
from engine.cases.firing import fire
from engine.runtime.engine import Engine


def _press(page: Any, button: str, comment: str | None = None) -> None:
    form = page.locator("form.action-form", has=page.get_by_role("button", name=button, exact=True))
    if comment is not None:
        form.get_by_role("textbox").fill(comment)
    form.get_by_role("button", name=button, exact=True).click()
    page.wait_for_load_state()


def test_lagesbild_plan_measures_and_follow_up(page: Any, login: Any, check_page: Any, demo_engine: Engine) -> None:
    later = demo_engine.clock.advance  # type: ignore[attr-defined]
    lb = open_case(demo_engine, OpenRequest("lagesbild", "Lägesbild 2027, prov", group="ksau"), "kanslichef").id
    survey = open_case(demo_engine, OpenRequest("action", "Trygghetsmätning 2026, prov", group="trygghetsgruppen",
                                                focus_area="safety"), "ordforande").id
    later(minutes=5)

    login("ordforande")
    page.goto(f"/cases/{lb}")
    page.get_by_role("link", name="Underlag, åtgärder och uppföljning för ärendet").click()
    page.get_by_label("Ärendenummer för ett underlag").fill(str(survey))
    page.get_by_role("button", name="Koppla som underlag").click()
    assert "Trygghetsmätning 2026, prov" in page.locator("section", has_text="Underlag").first.inner_text()
    check_page("lagesbild-sources")
    page.goto(f"/cases/{lb}")
    _press(page, "Underlaget är insamlat: påbörja analysen")
    _press(page, "Lämna till styrgruppen", "Inbrotten ökar i centrum; narkotika bland unga.")
    _press(page, "Anta lägesbilden", "KSAU 2027-04-14 § 12")
    assert page.locator(".case-state strong").inner_text() == "Antagen"

    page.goto(f"/cases/{lb}/cycle")
    page.get_by_label("Rubrik på det nya ärendet (åtgärdsplan)").fill("Åtgärdsplan 2027–2028, prov")
    page.get_by_role("button", name="Öppna: Åtgärdsplan").click()
    page.wait_for_url(re.compile(r".*/cases/\d+/cycle$"))
    plan = int(page.url.split("/")[-2])
    for title, group, area in [("Bättre belysning i centrum", "Kommunförvaltningen", "Inbrott"),
                               ("Föräldravandringar", "Socialnämnden", "Narkotika"),
                               ("Hastighetskontroller vid skolor", "Polisen", "Trafik")]:
        page.get_by_label("Åtgärd", exact=True).fill(title)
        page.get_by_label("Ansvarig grupp").select_option(label=group)
        page.get_by_label("Fokusområde", exact=True).select_option(label=area)
        page.get_by_label("Klar senast").fill("2027-12-15")
        page.get_by_role("button", name="Öppna åtgärden").click()
        page.wait_for_load_state()
    rows = page.locator("#h-measures ~ .table-wrap tbody tr")
    assert rows.count() == 3
    assert "Föräldravandringar" in rows.nth(1).inner_text()
    assert "Öppen" in rows.nth(1).inner_text()
    assert "2027-12-15" in rows.nth(1).inner_text()
    check_page("plan-measures")
    page.goto(f"/cases/{plan}")
    _press(page, "Lämna förslag till kommunstyrelsen")
    _press(page, "Registrera kommunstyrelsens beslut", "KS 2027-04-14 § 40")
    assert page.locator(".case-state strong").inner_text() == "Beslutad (gäller)"
    pdf = page.request.get(f"/cases/{plan}/cycle.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")

    measures = [int(m) for m in re.findall(r"/cases/(\d+)\"", page.goto(f"/cases/{plan}/cycle").text())
                if int(m) not in (lb, plan)]
    done = measures[1]
    later(minutes=5)
    assign(demo_engine, done, "ordforande", user="socialchef")
    fire(demo_engine, done, "start", "socialchef")
    fire(demo_engine, done, "complete", "socialchef", comment="Tolv föräldravandringar genomförda.")
    later(minutes=5)

    page.goto(f"/cases/{plan}/cycle")
    page.get_by_label("Rubrik på det nya ärendet (uppföljning av åtgärdsplan)").fill("Uppföljning 2027, prov")
    page.get_by_role("button", name="Öppna: Uppföljning av åtgärdsplan").click()
    page.wait_for_url(re.compile(r".*/cases/\d+/cycle$"))
    row = page.locator("tbody tr", has_text="Föräldravandringar")
    assert "Utförd" in row.inner_text()
    assert "Tolv föräldravandringar genomförda." in row.inner_text()
    row.get_by_label(f"Bedömning av #{done}").select_option(label="Uppnådd")
    row.get_by_label("Anteckning").fill("Bra uppslutning.")
    row.get_by_role("button", name="Spara bedömningen").click()
    page.wait_for_load_state()
    assert "Uppnådd: Bra uppslutning." in page.locator("tbody tr", has_text="Föräldravandringar").inner_text()
    check_page("follow-up")


def test_a_review_publishes_information_a_visitor_reads(
        page: Any, login: Any, check_page: Any, demo_engine: Engine) -> None:
    later = demo_engine.clock.advance  # type: ignore[attr-defined]
    review = open_case(demo_engine, OpenRequest("monthly_review", "Månadsgenomgång april, prov",
                                                group="trygghetsgruppen"), "system").id
    later(minutes=5)
    fire(demo_engine, review, "hold", "polis")
    later(minutes=5)

    login("polis")
    page.goto(f"/cases/{review}")
    page.get_by_role("link", name="Skriv informationen till medborgarna").click()
    page.get_by_label("Rubrik").fill("April i Höör: färre inbrott")
    page.get_by_label("Text (Markdown)").fill("Polisen och kommunen gick igenom april.\n\n"
                                              "* **Inbrotten** minskade i centrum.\n* Fler föräldravandringar.")
    page.get_by_role("button", name="Förhandsgranska").click()
    assert page.locator("section", has_text="Förhandsgranskning").locator("strong").inner_text() == "Inbrotten"
    check_page("citizen-preview")
    page.get_by_role("button", name="Publicera").click()
    page.wait_for_url(re.compile(rf".*/cases/{review}$"))
    assert page.locator(".case-state strong").inner_text() == "Information lämnad till medborgarna"

    page.get_by_role("button", name="Logga ut").click()  # from here on a visitor who is not logged in
    page.wait_for_load_state()
    page.goto("/information")
    assert "/login" not in page.url
    first = page.locator("article").first
    assert first.get_by_role("heading").inner_text() == "April i Höör: färre inbrott"
    assert "Höörs kommun" in page.locator("main").inner_text()
    check_page("information-public")
    feed = feedparser.parse(page.request.get("/information/feed.atom").body())
    assert not feed.bozo
    assert feed.feed.language == "sv"
    assert feed.entries[0].title == "April i Höör: färre inbrott"
    assert "<strong>Inbrotten</strong>" in feed.entries[0].content[0].value
