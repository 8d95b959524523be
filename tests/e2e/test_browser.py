"""In a real browser: an official works an action from opening to verified; the chair reminds."""

from __future__ import annotations

import re
from typing import Any


def test_official_opens_assigns_and_closes_an_action(page: Any, login: Any, check_page: Any) -> None:
    login("socialchef")
    assert page.get_by_role("heading", name="Att göra", exact=True).count() == 1
    check_page("todo")
    page.get_by_role("link", name="Nytt ärende").click()
    check_page("new-case")
    page.get_by_label("Typ av ärende", exact=True).select_option("action")
    page.get_by_label("Rubrik", exact=True).fill("Trygghetsvandring i centrum")
    page.get_by_label("Ägande grupp", exact=True).select_option("socialnamnden")
    page.get_by_label("Fokusområde", exact=True).select_option("safety")
    page.get_by_role("button", name="Öppna ärendet").click()
    page.wait_for_url(re.compile(r".*/cases/\d+$"))
    check_page("case-open")

    # Nobody holds it yet: taking it is the one primary button; giving it to someone is a step beside it.
    assert page.locator("button.primary").all_inner_texts() == ["Ta ärendet"]
    page.locator("summary", has_text="Tilldela").click()
    page.get_by_label("Handläggare", exact=True).select_option("socialchef")
    page.locator(".assign-form").get_by_role("button", name="Tilldela").click()
    # Giving the open action to a person moves it to "Tilldelad" in the same step.
    assert page.locator(".case-state strong").inner_text() == "Tilldelad"
    assert page.get_by_role("button", name="Tilldela").count() == 0
    page.get_by_role("button", name="Påbörja").click()
    page.get_by_label('Kommentar till "Markera som utförd" (krävs)').fill("Vandring genomförd med föräldrar.")
    page.get_by_role("button", name="Markera som utförd").click()
    # Four eyes: she may not approve her own work, and nobody else is in Socialnämnden: the chair approves.
    assert page.get_by_role("button", name="Godkänn").count() == 0
    case_url = page.url
    page.get_by_role("button", name="Logga ut").click()
    login("ordforande")
    page.goto(case_url)
    page.get_by_role("button", name="Godkänn").click()
    assert page.locator(".case-state strong").inner_text() == "Godkänd"
    assert "Vandring genomförd med föräldrar." in page.locator("#h-history + ol").inner_text()
    check_page("case-verified")


def test_chair_finds_an_overdue_item_and_reminds(page: Any, login: Any, check_page: Any) -> None:
    login("ordforande")
    page.get_by_role("link", name="Översikt").click()
    check_page("chair-overview")
    row = page.locator("tr", has_text="Kartlägg mopedbuskörning").first
    assert "polis" in row.inner_text()
    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Påminn om de valda").click()
    page.wait_for_url("**/chair?sort=overdue")
    assert "En påminnelse har skickats om 1 ärende" in page.locator(".flashes").inner_text()


def test_every_other_page_passes_axe(page: Any, login: Any, check_page: Any) -> None:
    page.goto("/login")
    check_page("login")
    login("admin")
    for path, name in [("/queues/group", "queue-group"), ("/queues/unassigned", "queue-unassigned"),
                       ("/queues/overdue", "queue-overdue"), ("/agreement", "agreement"),
                       ("/admin/users", "admin-users"), ("/admin/notifications/failed", "admin-failed"),
                       ("/settings", "settings")]:
        page.goto(path)
        check_page(name)


def test_phone_sized_screen_keeps_the_case_page_usable(browser: Any, base_url: str, login: Any,
                                                       page: Any, check_page: Any) -> None:
    page.set_viewport_size({"width": 375, "height": 740})
    login("polis")
    page.get_by_role("link", name=re.compile("Kartlägg mopedbuskörning")).first.click()
    check_page("case-phone")
    # Keyboard: the skip link is the first stop and moves to the main content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
