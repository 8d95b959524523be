"""What every view needs: the engine, the acting user's name, the request's time, safe redirects, case links."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import current_app, request, url_for
from flask_login import current_user

from engine.kernel.actors import Actor
from engine.runtime.engine import Engine

__all__ = ["actor", "case_linker", "eng", "expected_version", "now", "safe_next"]


def eng() -> Engine:
    """The engine of this process (built on first use)."""
    return current_app.extensions["samverkan"].engine  # type: ignore[no-any-return]


def now() -> dt.datetime:
    """The time of this request, from the engine's clock."""
    return eng().now()


def actor() -> Actor:
    """Who the engine acts as for this request: the logged-in user, with the roles and groups
    read when the request began (so engine calls need not look them up again)."""
    return current_user.actor  # type: ignore[no-any-return]


def safe_next(target: str | None, default: str) -> str:
    """`target` if it is a path on this site, else `default` (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return default
    return target


def expected_version() -> int | None:
    """The case version the posted form was rendered with (None if it carries none): 409 if it moved."""
    raw = request.form.get("expected_version", "")
    return int(raw) if raw.isdigit() else None


def case_linker(endpoint: str) -> Callable[[int], str]:
    """`url_for(endpoint, case_id=n)` for the many n of a list: built once, each number put in by string work
    (building a URL costs more than the rest of a list's row)."""
    probe = 2_000_000_001  # never a case on the page, and no other digits of the URL run like it
    head, _mark, tail = url_for(endpoint, case_id=probe).partition(str(probe))
    return lambda case_id: f"{head}{int(case_id)}{tail}"

