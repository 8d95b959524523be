"""Information to the citizens on the web: written and previewed from the monthly review, refused when it
names a confidential case, public on /information and in an Atom feed that validates; the plan as a PDF."""

from __future__ import annotations

from collections.abc import Callable

import feedparser
from flask.testing import FlaskClient

from engine.cases.firing import fire
from engine.runtime.engine import Engine
from tests.web.conftest import Web


def _held_review(eng: Engine, open_case: Callable[..., int]) -> int:
    review = open_case("monthly_review", group="trygghetsgruppen", title="Månadsgenomgång 2027-02")
    fire(eng, review, "hold", "police")
    return review


def test_a_text_is_previewed_published_and_public_in_page_and_feed(
        web: Web, eng: Engine, open_case: Callable[..., int], make_web: Callable[[], Web]) -> None:
    review = _held_review(eng, open_case)
    web.login("police")
    assert f"/cases/{review}/information" in web.text(f"/cases/{review}")  # the case page points to the form
    body = ("Vi har gått igenom **februari**.\n\n<script>alert(1)</script>\n\n"
            "[Mer om trygghet](https://www.hoor.se/trygghet) och [inte detta](javascript:alert(1))")
    preview = web.post(f"/cases/{review}/information", {"title": "Februari i Höör", "body": body,
                                                       "action": "preview"}).get_data(as_text=True)
    assert "<strong>februari</strong>" in preview
    assert "<script>alert" not in preview
    assert 'href="javascript' not in preview
    page = web.post(f"/cases/{review}/information", {"title": "Februari i Höör", "body": body,
                                                    "action": "publish"}, follow_redirects=True)
    assert page.status_code == 200
    visitor = make_web()  # not logged in
    public = visitor.client.get("/information")
    assert public.status_code == 200
    html = public.get_data(as_text=True)
    assert "Februari i Höör" in html
    assert "<strong>februari</strong>" in html
    assert "<script>alert" not in html
    assert "Höörs kommun" in html
    assert 'rel="alternate" type="application/atom+xml"' in html  # feed readers find the feed
    feed_response = visitor.client.get("/information/feed.atom")
    assert feed_response.mimetype == "application/atom+xml"
    feed = feedparser.parse(feed_response.get_data())
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    assert feed.feed.language == "sv"
    assert feed.feed.title.startswith("Höörs kommun")
    assert [e.title for e in feed.entries] == ["Februari i Höör"]
    assert "<strong>februari</strong>" in feed.entries[0].content[0].value


def test_a_text_naming_a_confidential_case_is_refused_and_kept(
        web: Web, eng: Engine, open_case: Callable[..., int], client: FlaskClient) -> None:
    secret = open_case("acute_matter", group="polisen", title="Hot mot vittne", confidential=True)
    review = _held_review(eng, open_case)
    web.login("police")
    text = f"Vi har arbetat med [ett ärende](http://samverkan.hoor.se/cases/{secret})."
    page = web.post(f"/cases/{review}/information", {"title": "Mars", "body": text, "action": "publish"})
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert f"sekretessbelagt ärende (#{secret})" in html
    assert "Vi har arbetat med" in html  # what was written is kept
    assert "Mars" not in client.get("/information").get_data(as_text=True)


def test_the_plan_page_prints_as_pdf(web: Web, eng: Engine, open_case: Callable[..., int]) -> None:
    from engine.cases.plans import MeasureRequest, open_from, open_measure

    lb = open_case("lagesbild", group="ksau", title="Lägesbild 2027")
    fire(eng, lb, "analyse", "chair")
    fire(eng, lb, "submit", "chair", comment="Slutsatser")
    fire(eng, lb, "adopt", "chair", comment="KSAU § 12")
    plan = open_from(eng, lb, "atgardsplan", "Åtgärdsplan 2027", "chair").id
    open_measure(eng, plan, MeasureRequest("Belysning i centrum", "forvaltningen", "burglary", None), "chair")
    web.login("chair")
    html = web.text(f"/cases/{plan}/cycle")
    assert "Belysning i centrum" in html
    assert "Kommunförvaltningen" in html
    pdf = web.client.get(f"/cases/{plan}/cycle.pdf")
    assert pdf.mimetype == "application/pdf"
    assert pdf.get_data().startswith(b"%PDF")
