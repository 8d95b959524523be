"""Every link a person is shown leads somewhere: each demo account crawls the pages it can reach."""

from __future__ import annotations

import re
from collections import deque
from typing import Any

import pytest
from sqlmodel import select

from engine.accounts.auth import set_language
from engine.runtime.engine import Engine
from engine.store.models import User
from samverkan.demo import DEMO_PASSWORD, DEMO_USERS
from tests.support import demo_engine
from web import create_app

LINK = re.compile(r'href="(/[^"#]*)"')


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    eng = demo_engine(tmp_path_factory.mktemp("links"))
    yield eng
    eng.db.dispose()


def _crawl(eng: Engine, username: str) -> dict[str, int]:
    app = create_app(eng.config, engine=eng, testing=True, overrides={"WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": DEMO_PASSWORD}).status_code == 302
    seen: dict[str, int] = {}
    todo = deque(["/"])
    while todo and len(seen) < 400:
        url = todo.popleft()
        if url in seen:
            continue
        response = client.get(url, follow_redirects=True)
        seen[url] = response.status_code
        page = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        response.close()
        assert "Traceback" not in page, url
        todo.extend(u.replace("&amp;", "&") for u in LINK.findall(page) if u not in seen)
    return seen


@pytest.mark.parametrize("username", [u for u, _name, _roles in DEMO_USERS])
def test_every_link_shown_to_a_demo_account_opens(demo: Engine, username: str) -> None:
    seen = _crawl(demo, username)
    broken = {url: status for url, status in seen.items() if status != 200}
    assert not broken, broken
    assert any(url.startswith("/cases/") for url in seen)  # it did reach the cases
    assert len(seen) > 10


def test_every_link_opens_in_english_too(demo: Engine) -> None:
    with demo.db.read() as s:
        uid = s.exec(select(User.id).where(User.username == "ordforande")).one()
    set_language(demo, uid, "en")
    try:
        seen = _crawl(demo, "ordforande")
    finally:
        set_language(demo, uid, "sv")
    assert {url: status for url, status in seen.items() if status != 200} == {}
