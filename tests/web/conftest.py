"""Web fixtures: the app on the test engine, a client, and a `web` helper that logs in and posts forms."""

from __future__ import annotations

import re
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from engine.accounts.users import set_password
from engine.runtime.engine import Engine
from tests.doubles import FixedClock
from web import create_app

PASSWORD = "a-long-test-password"
_TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@pytest.fixture(autouse=True)
def _cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with minimal cost: the same code path, without 50 ms per hash in every test."""
    import engine.accounts.users
    monkeypatch.setattr(engine.accounts.users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def app(eng: Engine, clock: FixedClock) -> Flask:
    """The app with CSRF on, as in production."""
    return create_app(eng.config, engine=eng, clock=clock, testing=True)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class Web:
    """Drives the test client like a person: logs in through the form, posts forms with their token."""

    def __init__(self, client: FlaskClient, eng: Engine) -> None:
        self.client, self.eng = client, eng
        self._with_password: set[str] = set()

    def token(self, url: str = "/settings") -> str:
        """The CSRF token of the current session, read from a page's form."""
        page = self.client.get(url).get_data(as_text=True)
        found = _TOKEN.search(page)
        assert found, f"no CSRF token on {url}"
        return found.group(1)

    def login(self, username: str, password: str = PASSWORD, *, next_url: str | None = None) -> Any:
        """Log in through the form; returns the response."""
        if password == PASSWORD and username not in self._with_password:
            with self.eng.db.write() as s:
                set_password(s, username, PASSWORD)
            self._with_password.add(username)
        data = {"username": username, "password": password, "csrf_token": self.token("/login")}
        if next_url is not None:
            data["next"] = next_url
        return self.client.post("/login", data=data)

    def post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """POST a form with this session's CSRF token."""
        return self.client.post(url, data={"csrf_token": self.token(), **(data or {})}, **kwargs)

    def text(self, url: str) -> str:
        """GET a page's HTML."""
        return self.client.get(url).get_data(as_text=True)


@pytest.fixture
def web(client: FlaskClient, eng: Engine) -> Web:
    return Web(client, eng)


@pytest.fixture
def make_web(app: Flask, eng: Engine) -> Any:
    """Factory: another browser (its own cookies), optionally on another app instance."""
    def make(other_app: Flask | None = None) -> Web:
        return Web((other_app or app).test_client(), eng)
    return make
