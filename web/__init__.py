"""The web interface: `create_app(config)` wires Flask, log-in, CSRF, language and the blueprints."""

from __future__ import annotations

import logging
import os
import secrets
import threading
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from flask import Flask, g, request
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from engine.config.settings import Config
from engine.kernel.clock import Clock
from engine.kernel.secret_file import read_or_create
from engine.runtime.engine import Engine
from samverkan.bootstrap import build_service, with_notifications

__all__ = ["EngineHolder", "create_app"]


class EngineHolder:
    """Builds the engine on first use, so a forking server creates it in each worker."""

    def __init__(self, config: Config, engine: Engine | None, clock: Clock | None) -> None:
        self.config, self._engine, self._clock = config, engine, clock
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        """The engine of this process."""
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    self._engine = build_service(self.config, clock=self._clock)
        return self._engine


def _secret_key(config: Config, testing: bool) -> str:
    """SAMVERKAN_SECRET_KEY, else a key kept in var/secret_key beside the config (made once)."""
    if os.environ.get("SAMVERKAN_SECRET_KEY"):
        return os.environ["SAMVERKAN_SECRET_KEY"]
    if testing:
        return secrets.token_hex(32)
    return read_or_create(Path(config.path).parent / "var" / "secret_key", lambda: secrets.token_hex(32)).strip()


def create_app(config: Config, *, engine: Engine | None = None, clock: Clock | None = None,
               testing: bool = False, overrides: dict[str, Any] | None = None) -> Flask:
    """The Flask application for one deployment; nothing touches the database until a request."""
    from web import (
        admin,
        agreement,
        api,
        attachments,
        auth,
        calendar,
        cases,
        chair,
        citizen,
        errors,
        floor,
        formatting,
        notices,
        ops,
        plans,
        queues,
        search,
        sessions,
    )

    app = Flask(__name__)
    if config.web.trusted_proxies:
        # Believe X-Forwarded-For/-Proto from exactly this many hops: the log-in throttle and
        # the API's token count then see each person's address, and a header a browser forges
        # past them is ignored.
        n = config.web.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)  # type: ignore[method-assign]
    https = config.mail.base_url.startswith("https://")
    app.config.update(
        SECRET_KEY=_secret_key(config, testing),
        TESTING=testing,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        SESSION_COOKIE_NAME="samverkan_session",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=https,
        REMEMBER_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=sessions.IDLE,
        WTF_CSRF_TIME_LIMIT=8 * 3600,
        BABEL_DEFAULT_LOCALE=config.language,
        BABEL_DEFAULT_TIMEZONE=config.timezone,
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
        MAX_CONTENT_LENGTH=1024 * 1024,
        PAGE_SIZE=25,
    )
    app.config.update(overrides or {})
    app.extensions["samverkan"] = EngineHolder(config, with_notifications(engine) if engine else None, clock)
    attachments.init_app(app)  # before the CSRF check, which reads the (large) upload form
    CSRFProtect(app)
    Babel(app, locale_selector=formatting.select_locale, timezone_selector=lambda: config.timezone)
    from web import editcase, newcase  # noqa: F401  # their routes live on the cases blueprint
    auth.init_login(app)
    sessions.init_app(app, config.web.session_max_hours)
    formatting.init_app(app)
    errors.init_app(app)
    api.init_app(app)
    for module in (auth, queues, cases, attachments, agreement, chair, admin, notices, ops, calendar, plans,
                   citizen, search, floor):
        app.register_blueprint(module.bp)

    @app.before_request
    def _one_read_transaction() -> None:
        # A page reads the user, the header and its own rows: in one transaction, not one each.
        if request.method in ("GET", "HEAD"):
            reads = ExitStack()
            reads.enter_context(app.extensions["samverkan"].engine.db.shared_reads())
            g._samverkan_reads = reads

    @app.teardown_request
    def _end_read_transaction(_exc: BaseException | None) -> None:
        reads = g.pop("_samverkan_reads", None)
        if reads is not None:
            try:
                reads.close()
            except Exception:  # the database may be what failed; the response is already made
                logging.getLogger(__name__).warning("closing the request's read transaction failed",
                                                    exc_info=True)

    @app.after_request
    def _headers(response: Any) -> Any:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy",
                                    "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
        return response

    return app
