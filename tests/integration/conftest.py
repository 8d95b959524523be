"""Fixtures: a real SMTP server, an engine with the notice rules installed, an empty database."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from smtp_sink import SmtpSink

from engine.accounts.users import add_user
from engine.kernel.events import Event
from engine.runtime.engine import Engine
from tests.conftest import backends
from tests.support import empty_database


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    """A real SMTP server on loopback that records the messages it accepts."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def notify_eng(eng: Engine, smtp: SmtpSink) -> Engine:
    """The test engine with the notice rules installed, mailing to `smtp`, and a kanslichef."""
    from notifications import install

    mail = dataclasses.replace(eng.config.mail, port=smtp.port, max_attempts=3, backoff_seconds=60,
                               base_url="https://samverkan.example.org")
    eng.config = dataclasses.replace(eng.config, mail=mail)
    with eng.db.write() as s:
        add_user(s, eng.config, "kanslichef", name="Lars Dahl", email="kanslichef@example.org",
                 now=eng.now(), roles=[("official", "forvaltningen")])
        add_user(s, eng.config, "anna", name="Anna Andersson", email="anna@example.org", now=eng.now(),
                 roles=[("official", "socialnamnden")], language="en")
    install(eng)
    return eng


@pytest.fixture
def emit(notify_eng: Engine) -> Callable[..., None]:
    """Factory: emit an engine event of `event_type` in its own transaction, as run_due or the web would."""
    def fire(event_type: type[Event], case_id: int | None, actor: str = "system", **fields: Any) -> None:
        with notify_eng.db.write() as s:
            notify_eng.emit(s, event_type(case_id=case_id, actor=actor, at=notify_eng.now(), **fields))
    return fire


@pytest.fixture(params=backends())
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all (SQLite, and PostgreSQL when configured), for `samverkan init`."""
    with empty_database(request.param, tmp_path) as url:
        yield url
