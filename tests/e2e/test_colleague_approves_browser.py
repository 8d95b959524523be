"""In a real browser: an official completes an action of the safety group; a colleague in the group finds
it waiting in "Att göra", is told in the app and by e-mail (a real SMTP server on loopback), and approves it;
an @mention reaches the person named."""

from __future__ import annotations

import dataclasses
import re
from email.header import decode_header, make_header
from typing import Any

from engine.cases.commands import OpenRequest, assign, open_case
from engine.cases.firing import fire
from engine.runtime.engine import Engine
from notifications import deliver_pending
from tests.integration.smtp_sink import SmtpSink


def _texts(sink: SmtpSink, address: str) -> str:
    """The subjects and plain-text bodies of the messages to `address` (one message may carry several notices)."""
    out = []
    for m in sink.to(address):
        out.append(str(make_header(decode_header(m["Subject"]))))
        out += [str(part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8"))
                for part in m.walk() if part.get_content_type() == "text/plain"]
    return "\n".join(out)


def test_a_colleague_finds_the_completed_action_waiting_and_approves_it(
        page: Any, login: Any, check_page: Any, demo_engine: Engine) -> None:
    later = demo_engine.clock.advance  # type: ignore[attr-defined]  # the demo's FixedClock: people act in turn
    action = open_case(demo_engine, OpenRequest("action", "Trygghetsvandring runt stationen",
                                                group="trygghetsgruppen", focus_area="safety"), "ordforande")
    assert action.id is not None
    later(minutes=5)
    assign(demo_engine, action.id, "ordforande", user="fritidschef")
    later(minutes=5)
    fire(demo_engine, action.id, "start", "fritidschef")
    later(minutes=5)

    login("fritidschef")
    page.goto(f"/cases/{action.id}")
    page.get_by_label('Kommentar till "Markera som utförd" (krävs)').fill("Vandringen gjord med tio föräldrar.")
    page.get_by_role("button", name="Markera som utförd").click()
    page.wait_for_url(re.compile(rf".*/cases/{action.id}$"))
    assert page.get_by_role("button", name="Godkänn").count() == 0, "four eyes: not his own approval"
    later(minutes=5)
    page.get_by_label("Ny kommentar").fill("@skolchef kan du godkänna den i dag?")
    page.get_by_role("button", name="Lägg till kommentar").click()
    page.get_by_role("button", name="Logga ut").click()
    later(minutes=5)

    login("skolchef")
    yours = page.locator("section", has=page.get_by_role("heading", name=re.compile("^Väntar på dig")))
    card = yours.locator("li", has_text="Trygghetsvandring runt stationen")
    assert "Väntar på: godkännande av Trygghetsgruppen" in card.inner_text()
    check_page("todo-colleague")
    page.goto("/notices")
    told = page.locator("main").inner_text()
    assert f"Din tur: ärende {action.id} väntar på godkännande av Trygghetsgruppen" in told
    assert f"Anders Holm (fritidschef) nämnde dig i ärende {action.id}" in told
    page.goto(f"/cases/{action.id}")
    page.get_by_role("button", name="Godkänn").click()
    page.wait_for_url(re.compile(rf".*/cases/{action.id}$"))
    assert page.locator(".case-state strong").inner_text() == "Godkänd"
    assert "Eva Sjö (skolchef) godkände" in page.locator("#h-history + ol").inner_text()

    # The same notices went out by e-mail: a real SMTP server on loopback receives them.
    sink = SmtpSink().start()
    original = demo_engine.config
    try:
        demo_engine.config = dataclasses.replace(original, mail=dataclasses.replace(
            original.mail, port=sink.port, base_url="https://samverkan.example.org"))
        deliver_pending(demo_engine)
    finally:
        demo_engine.config = original
        sink.stop()
    mails = _texts(sink, "skolchef@example.hoor.se")
    assert f"Din tur: ärende {action.id} väntar på godkännande av Trygghetsgruppen" in mails
    assert f"nämnde dig i ärende {action.id}" in mails
