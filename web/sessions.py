"""How long a log-in lasts, and that what a logged-in person sees is never kept in a cache.

A session ends `[web] session_max_hours` after logging in even while in use (a stolen or
forgotten session does not live for ever), and after IDLE unused. Both are checked here
against the engine's clock, from times kept in the signed session cookie; an ended session
keeps its user id, so the log-in page can say why and a refused form is kept (`relogin`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask, current_app, g, request, session
from flask_babel import gettext as _

from web.api.routing import PREFIX
from web.support import now

__all__ = ["IDLE", "ended_message", "init_app", "start"]

# A session unused this long ends; Flask's cookie signature enforces the same age as a backstop.
IDLE = dt.timedelta(hours=8)
_LOGIN_AT, _SEEN_AT = "_login_at", "_seen_at"


def start() -> None:
    """Stamp the time of a log-in on the fresh session (call right after logging in)."""
    session[_LOGIN_AT] = session[_SEEN_AT] = now().timestamp()


def _ended(max_age: dt.timedelta, at: float) -> bool:
    login_at, seen_at = session.get(_LOGIN_AT), session.get(_SEEN_AT)
    if not isinstance(login_at, int | float) or not isinstance(seen_at, int | float):
        return True  # a session from before these limits: log in once more
    return at - login_at > max_age.total_seconds() or at - seen_at > IDLE.total_seconds()


def ended_message() -> str | None:
    """Why this request's session ended, if it ended by age; else None."""
    if not g.get("samverkan_session_ended"):
        return None
    hours = current_app.extensions["samverkan"].config.web.session_max_hours
    return _("Your log-in has expired: it lasts at most %(hours)s hours, and ends after %(idle)s hours unused. "
             "Log in again to continue.", hours=hours, idle=int(IDLE.total_seconds() // 3600))


def init_app(app: Flask, max_hours: int) -> None:
    """Check each request's session age; mark authenticated and API answers `Cache-Control: no-store`."""
    max_age = dt.timedelta(hours=max_hours)

    @app.before_request
    def _check_age() -> None:
        if request.endpoint == "static" or "_user_id" not in session:
            return
        at = now().timestamp()
        if _ended(max_age, at):
            # Flask-Login's per-request user: anonymous for this request and every later one.
            g._login_user = app.login_manager.anonymous_user()  # type: ignore[attr-defined]
            g.samverkan_session_ended = True
        else:
            session[_SEEN_AT] = at

    @app.after_request
    def _no_store(response: Any) -> Any:
        # Names, cases and tokens must not stay in a shared computer's browser cache or a proxy's.
        private = request.path == PREFIX or request.path.startswith(PREFIX + "/") or (
            request.endpoint != "static" and "_user_id" in session)  # static files stay cacheable
        if private and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response
