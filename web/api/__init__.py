"""The JSON API under /api/v1: one blueprint, documented by the OpenAPI document it serves."""

from __future__ import annotations

from typing import Any

from flask import Flask, request

from web.api import attachments, cases, openapi, reference
from web.api.problems import problem
from web.api.routing import PREFIX, bp
from web.errors import allow

__all__ = ["bp", "init_app"]

_DECLARING = (cases, attachments, reference, openapi)  # importing them runs their @endpoint declarations


def _wrap_routing_error(app: Flask, code: int, detail: str) -> None:
    """Unknown API paths and methods answer with a problem; the rest of the site keeps its pages."""
    handlers = app.error_handler_spec[None].get(code, {})
    previous = next(iter(handlers.values()), None)

    def handle(exc: Any) -> Any:
        if request.path == PREFIX or request.path.startswith(PREFIX + "/"):
            return problem(code, detail, headers=allow(exc))
        return previous(exc) if previous is not None else exc

    app.register_error_handler(code, handle)


def init_app(app: Flask) -> None:
    """Register the API: token-authenticated calls skip Flask-WTF (the API checks the session's CSRF itself)."""
    app.extensions["csrf"].exempt(bp)
    app.register_blueprint(bp)
    _wrap_routing_error(app, 404, "There is no such API address; GET /api/v1/openapi.json lists them.")
    _wrap_routing_error(app, 405, "This API address does not accept this method; see /api/v1/openapi.json.")
