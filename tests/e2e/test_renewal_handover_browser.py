"""In a real browser: the renewal goes from the chair's signature to the Police's; each sees whose turn it is."""

from __future__ import annotations

import re
from typing import Any

from engine.cases.commands import OpenRequest, open_case
from engine.cases.firing import fire
from engine.runtime.engine import Engine
from tests.e2e.conftest import ARTIFACTS


def test_the_chair_signs_and_the_police_find_their_signature_waiting(
        page: Any, browser: Any, base_url: str, login: Any, check_page: Any, demo_engine: Engine) -> None:
    renewal = open_case(demo_engine, OpenRequest("agreement_renewal", "Förlängning av samverkansavtalet, prov",
                                                 group="trygghetsgruppen"), "system")
    assert renewal.id is not None
    later = demo_engine.clock.advance  # type: ignore[attr-defined]  # the demo's FixedClock: people act in turn
    later(minutes=5)
    fire(demo_engine, renewal.id, "schedule_discussion", "ordforande")
    later(minutes=5)
    fire(demo_engine, renewal.id, "hold_discussion", "polis", comment="Förlängning utan ändringar.")
    later(minutes=5)

    login("ordforande")
    page.goto(f"/cases/{renewal.id}")
    waiting = page.locator(".waiting-for").first
    assert waiting.inner_text() == "Väntar på: ordförandens underskrift, Polisens underskrift"
    page.get_by_role("button", name="Underteckna").first.click()
    page.wait_for_url(re.compile(rf".*/cases/{renewal.id}$"))
    assert page.locator(".waiting-for").first.inner_text() == "Väntar på: Polisens underskrift"
    check_page("renewal-chair-signed")
    page.get_by_role("button", name="Logga ut").click()
    later(minutes=5)

    login("polis")
    todo = page.locator("section", has=page.get_by_role("heading", name=re.compile("^Väntar på dig")))
    card = todo.locator("li", has_text="Förlängning av samverkansavtalet, prov")
    assert "Väntar på: Polisens underskrift" in card.inner_text()
    check_page("todo-police")
    card.get_by_role("link").click()
    page.get_by_role("button", name="Underteckna").first.click()
    page.wait_for_url(re.compile(rf".*/cases/{renewal.id}$"))
    assert page.locator(".case-state strong").inner_text() == "Avtalet förlängt"
    assert page.locator(".waiting-for").count() == 0
    page.goto("/notices")
    assert f"Din tur: ärende {renewal.id} väntar på Polisens underskrift" in page.locator("main").inner_text()

    phone = browser.new_context(base_url=base_url, locale="sv-SE", viewport={"width": 390, "height": 844})
    small = phone.new_page()
    small.goto("/login")
    small.get_by_label("Användarnamn").fill("socialchef")
    small.get_by_label("Lösenord").fill("trygghet-i-hoor-demo")
    small.get_by_role("button", name="Logga in").click()
    small.wait_for_url(lambda url: "/login" not in url)
    assert small.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "no sideways scrolling"
    small.screenshot(path=str(ARTIFACTS / "todo-phone.png"), full_page=True)
    phone.close()
