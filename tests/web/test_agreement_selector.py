"""Several agreements in one deployment: the header's selector, kept in the session, filters the queues
and picks what the agreement page shows; with one agreement there is no selector."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.accounts.users import add_user
from engine.cases.commands import OpenRequest, open_case
from engine.runtime.engine import Engine
from tests.conftest import T0
from tests.doubles import FixedClock
from tests.integration.test_multi_agreement import two_agreement_engine
from tests.web.conftest import Web
from web import create_app


@pytest.fixture
def two(tmp_path: Path, db_url: str) -> Iterator[Engine]:
    eng = two_agreement_engine(tmp_path, db_url)
    with eng.db.write() as s:
        add_user(s, eng.config, "regionchair", name="R", email="r@example.org", now=T0,
                 roles=[("chair", "trygghetsgruppen"), ("chair", "eslov_rad")])
    open_case(eng, OpenRequest("action", "Belysning i Höör", group="trygghetsgruppen"), "regionchair")
    open_case(eng, OpenRequest("action", "Klotter i Eslöv", group="eslov_rad"), "regionchair")
    yield eng
    eng.db.dispose()


@pytest.fixture
def region(two: Engine) -> Web:
    web = Web(create_app(two.config, engine=two, clock=FixedClock(T0), testing=True).test_client(), two)
    assert web.login("regionchair").status_code == 302
    return web


def test_one_agreement_shows_no_selector(web: Web) -> None:
    web.login("chair")
    assert 'name="agreement"' not in web.text("/queues/mine")


def test_all_agreements_at_first(region: Web) -> None:
    page = region.text("/queues/unassigned")
    assert 'id="agreement-select"' in page
    assert "Belysning i Höör" in page
    assert "Klotter i Eslöv" in page


def test_one_agreement_s_people_see_their_own_until_they_choose_all(two: Engine) -> None:
    with two.db.write() as s:
        add_user(s, two.config, "eslovchair", name="E", email="e@example.org", now=T0, roles=[("chair", "eslov_rad")])
    web = Web(create_app(two.config, engine=two, clock=FixedClock(T0), testing=True).test_client(), two)
    assert web.login("eslovchair").status_code == 302
    page = web.text("/queues/unassigned")
    assert '<option value="eslov" selected>' in page
    assert ("Klotter i Eslöv" in page, "Belysning i Höör" in page) == (True, False)
    assert "Samverkansöverenskommelse Eslöv</h2>" in web.text("/agreement")
    web.post("/agreement/select", {"agreement": ""})  # all agreements, chosen: kept, not the person's own again
    page = web.text("/queues/unassigned")
    assert "selected>" not in page.split('id="agreement-select"')[1].split("</select>")[0]
    assert "Samverkansöverenskommelse Eslöv</h2>" not in web.text("/agreement")


def test_choosing_an_agreement_filters_the_queues_and_their_counts(region: Web) -> None:
    response = region.post("/agreement/select", {"agreement": "eslov", "next": "/queues/unassigned"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/queues/unassigned")
    page = region.text("/queues/unassigned")
    assert "Klotter i Eslöv" in page
    assert "Belysning i Höör" not in page
    assert '<option value="eslov" selected>' in page
    assert "(1)" in page.split('href="/queues/unassigned"')[1].split("</a>")[0]  # the navigation counts Eslöv only

    region.post("/agreement/select", {"agreement": ""})  # back to all
    page = region.text("/queues/unassigned")
    assert "Belysning i Höör" in page
    assert "Klotter i Eslöv" in page


def test_the_agreement_page_shows_the_chosen_agreement(region: Web) -> None:
    assert "Samverkansöverenskommelse Eslöv</h2>" not in region.text("/agreement")
    region.post("/agreement/select", {"agreement": "eslov"})
    page = region.text("/agreement")
    assert "Samverkansöverenskommelse Eslöv</h2>" in page
    assert "2025-03-01 – 2027-03-01" in page


def test_an_unknown_agreement_is_refused_and_keeps_the_choice(region: Web) -> None:
    region.post("/agreement/select", {"agreement": "eslov"})
    response = region.post("/agreement/select", {"agreement": "nowhere"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Okänt avtal; välj ett i listan." in page
    assert '<option value="eslov" selected>' in page


def test_choosing_needs_a_log_in(two: Engine) -> None:
    web = Web(create_app(two.config, engine=two, clock=FixedClock(T0), testing=True).test_client(), two)
    response = web.client.post("/agreement/select", data={"agreement": "eslov", "csrf_token": web.token("/login")})
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_administrator_is_told_of_an_agreement_without_a_chair(two: Engine) -> None:
    with two.db.write() as s:
        add_user(s, two.config, "admin", name="A", email="a@example.org", now=T0, roles=[("admin", "forvaltningen")])
        add_user(s, two.config, "hoorchair", name="H", email="h@example.org", now=T0,
                 roles=[("chair", "trygghetsgruppen")])
    web = Web(create_app(two.config, engine=two, clock=FixedClock(T0), testing=True).test_client(), two)
    assert web.login("admin").status_code == 302
    page = web.text("/admin/users")  # regionchair chairs both; once disabled, Eslöv has no chair left
    assert "flash-warning" not in page
    assert web.post("/admin/users/regionchair/disable").status_code == 302
    page = web.text("/admin/users")
    warning = page.split('class="flash flash-warning"', 1)[1].split("</div>", 1)[0]
    assert "Ingen är ordförande i det här avtalet" in warning
    assert "<li>Samverkansöverenskommelse Eslöv</li>" in warning
    assert "Höör" not in warning  # hoorchair still chairs Höör
