"""End-to-end fixtures: the demo served by waitress on a free loopback port, and Debian's chromium.

Skipped (with the reason) when /usr/bin/chromium is missing, unless SAMVERKAN_REQUIRE_E2E=1,
which CI sets: then a missing browser fails the run.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.runtime.engine import Engine
from samverkan.demo import DEMO_PASSWORD
from tests import support

ROOT = Path(__file__).resolve().parent.parent.parent
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"


def _require_browser() -> None:
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("SAMVERKAN_REQUIRE_E2E") == "1":
        pytest.fail(f"{CHROMIUM} is missing and SAMVERKAN_REQUIRE_E2E=1; install it with "
                    f"`apt-get install -y chromium`.")
    pytest.skip(f"{CHROMIUM} is missing; install Debian's chromium to run the browser tests "
                f"(CI sets SAMVERKAN_REQUIRE_E2E=1 to make this a failure).")


@pytest.fixture(scope="session")
def demo_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """An engine on a fresh SQLite file with the demo users and cases."""
    eng = support.demo_engine(tmp_path_factory.mktemp("e2e"))
    yield eng
    eng.db.dispose()


@pytest.fixture(scope="session")
def base_url(demo_engine: Engine) -> Iterator[str]:
    """The app served by waitress in a thread on a free port of 127.0.0.1."""
    _require_browser()
    import waitress.server

    from web import create_app

    app = create_app(demo_engine.config, engine=demo_engine, testing=True)
    server = waitress.server.create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser(base_url: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, base_url: str) -> Iterator[Any]:
    context = browser.new_context(base_url=base_url, locale="sv-SE", viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    context.close()


@pytest.fixture
def login(page: Any) -> Any:
    """Log in through the form as a demo user."""
    def do(username: str) -> None:
        page.goto("/login")
        page.get_by_label("Användarnamn").fill(username)
        page.get_by_label("Lösenord").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Logga in").click()
        page.wait_for_url(lambda url: "/login" not in url)  # "Att göra", or the chair's overview
    return do


@pytest.fixture
def check_page(page: Any) -> Any:
    """Save a screenshot and assert axe-core finds no serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    ARTIFACTS.mkdir(exist_ok=True)

    def check(name: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        results = axe.run(page)
        bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
               for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        assert not bad, f"{name}: accessibility violations {bad}"
    return check
