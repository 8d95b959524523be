"""In a real browser: a member of the safety group attaches the minutes (a PDF) and a photo to the group's
meeting at once, sees both (the photo as a thumbnail) and their rows in the history, and downloads the minutes
unchanged."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Any

from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from engine.cases.commands import OpenRequest, open_case
from engine.runtime.engine import Engine

SHOTS = Path("/work/shots/attachments")


def _minutes(path: Path) -> bytes:
    pdf = Canvas(str(path), pagesize=A4, invariant=True)
    pdf.drawString(72, 760, "Minnesanteckningar, Trygghetsgruppens möte 13 april 2027")
    pdf.drawString(72, 730, "1. Klotter vid stationen: sanerat. 2. Trygghetsvandring i maj.")
    pdf.save()
    return path.read_bytes()


def _shot(page: Any, name: str) -> None:
    if SHOTS.parent.is_dir():  # on a developer's machine; CI keeps test-artifacts/ from check_page
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_member_attaches_the_minutes_to_a_safety_group_meeting(
        page: Any, login: Any, check_page: Any, demo_engine: Engine, tmp_path: Path) -> None:
    # The system opens the meetings (issue 12): as it would for the April occurrence.
    meeting = open_case(demo_engine, OpenRequest(
        "safety_group_meeting", "Trygghetsgruppens möte 2027-04-13", group="trygghetsgruppen",
        event_at=dt.datetime(2027, 4, 13, 11, 0, tzinfo=dt.UTC)), "system")
    minutes = tmp_path / "Minnesanteckningar 2027-04-13.pdf"
    content = _minutes(minutes)
    photo = tmp_path / "klotter-stationen.jpg"
    Image.new("RGB", (1600, 1200), (180, 40, 60)).save(photo, "JPEG")

    login("socialchef")
    page.goto(f"/cases/{meeting.id}")
    files = page.locator("#files")
    assert "Inga filer ännu." in files.inner_text()
    page.get_by_label("Bifoga filer").set_input_files([str(minutes), str(photo)])
    assert files.locator(".chosen-files").inner_text() == f"{minutes.name}, {photo.name}", "the script lists them"
    page.get_by_role("button", name="Bifoga", exact=True).click()
    page.wait_for_url(re.compile(rf".*/cases/{meeting.id}#files$"))
    assert f"Bifogat: {minutes.name}, {photo.name}." in page.locator(".flashes").inner_text()
    thumbnail = files.locator(".file-preview img")
    thumbnail.wait_for()
    assert page.evaluate("img => img.complete && img.naturalWidth", thumbnail.element_handle()) == 240

    link = files.get_by_role("link", name=minutes.name)
    assert link.count() == 1
    history = page.locator("#h-history + ol").inner_text()
    assert "Maria Lind (socialchef) bifogade en fil" in history
    assert f"{minutes.name} ({len(content)} B, SHA-256 {hashlib.sha256(content).hexdigest()})" in history
    check_page("case-with-attachment")
    page.set_viewport_size({"width": 1366, "height": 800})
    page.locator("#files").scroll_into_view_if_needed()
    _shot(page, "case-desktop")

    with page.expect_download() as download:
        link.click()
    saved = tmp_path / "downloaded.pdf"
    download.value.save_as(saved)
    assert download.value.suggested_filename == minutes.name
    assert saved.read_bytes() == content

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/cases/{meeting.id}")
    _shot(page, "case-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the file list and the history's hash fit a phone's width"
