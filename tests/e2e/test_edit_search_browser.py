"""In a real browser: the chair finds a meeting by a word from its comments, attaches the minutes (a PDF),
moves its date with a reason, and sees the file and the change in the history beside the comment."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from engine.cases.search import search
from engine.runtime.engine import Engine
from tests.e2e.test_attachments_browser import _minutes


def test_find_a_meeting_by_a_comment_attach_the_minutes_and_move_its_date(
        page: Any, login: Any, check_page: Any, demo_engine: Engine, tmp_path: Path) -> None:
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

    minutes = tmp_path / "Minnesanteckningar vår.pdf"
    _minutes(minutes)
    page.get_by_label("Bifoga filer").set_input_files([str(minutes)])
    page.get_by_role("button", name="Bifoga", exact=True).click()
    page.wait_for_url(re.compile(rf".*/cases/{meeting}#files$"))

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

    whole = page.locator("#h-history + ol").inner_text()
    assert "bifogade en fil" in whole
    assert minutes.name in whole
    assert "Skolans rektor bjuds in" in page.locator("main").inner_text()  # the comment it was found by
    history = page.locator("#h-history + ol li").last.inner_text()
    assert "ändrade ärendet" in history
    assert "Äger rum" in history
    assert "Nytt beslut i KSAU" in history
    assert moved.strftime("%Y-%m-%d %H:%M") in history
    assert moved.strftime("%Y-%m-%d %H:%M") in page.locator("dl.fields").inner_text()
    check_page("case-edited")
