"""In a real browser: the chair finds a meeting by a word from its comments, moves its date with a
reason, and sees the change in the history."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from engine.cases.search import search
from engine.runtime.engine import Engine


def test_find_a_meeting_by_a_comment_and_move_its_date(page: Any, login: Any, check_page: Any,
                                                       demo_engine: Engine) -> None:
    meeting = search(demo_engine, "ordforande", "Trygghetsgruppens möte vår")[0]["id"]
    login("ordforande")
    page.goto(f"/cases/{meeting}")
    page.get_by_label("Ny kommentar").fill("Skolans rektor bjuds in för att berätta om Örebromodellen.")
    page.get_by_role("button", name="Lägg till kommentar").click()

    page.goto("/queues/mine")
    page.get_by_label("Sök ärenden").fill("örebromodell")
    page.get_by_label("Sök ärenden").press("Enter")
    page.wait_for_url(re.compile(r".*/search\?q=.*"))
    check_page("search-results")
    page.get_by_role("link", name=re.compile(r"Trygghetsgruppens möte, vår")).click()
    page.wait_for_url(f"**/cases/{meeting}")

    page.get_by_role("link", name="Ändra ärendet").click()
    check_page("edit-case")
    when = page.get_by_label("Äger rum", exact=True)
    moved = dt.datetime.fromisoformat(when.input_value()) + dt.timedelta(days=7)
    when.fill(moved.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Spara ändringarna").click()
    assert "Ange ett skäl när tidpunkten flyttas" in page.locator(".field-error").inner_text()
    page.get_by_label("Skäl till det nya datumet").fill("Nytt beslut i KSAU")
    page.get_by_role("button", name="Spara ändringarna").click()
    page.wait_for_url(f"**/cases/{meeting}")

    history = page.locator("#h-history + ol li").last.inner_text()
    assert "ändrade ärendet" in history
    assert "Äger rum" in history
    assert "Nytt beslut i KSAU" in history
    assert moved.strftime("%Y-%m-%d %H:%M") in history
    assert moved.strftime("%Y-%m-%d %H:%M") in page.locator("dl.fields").inner_text()
    check_page("case-edited")
