"""Engine errors and HTTP errors turned into short, clear pages (never a stack trace)."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, g, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import OperationalError

from engine.kernel.errors import Forbidden, NotFound

__all__ = ["allow", "init_app"]


def allow(exc: Exception) -> dict[str, str]:
    """The `Allow` header a 405 answer must carry (RFC 9110): the methods the address accepts."""
    methods = getattr(exc, "valid_methods", None)
    return {"Allow": ", ".join(sorted(methods))} if methods else {}


def _page(status: int, title: str, message: str) -> Any:
    return render_template("error.html", title=title, message=message, status=status), status


def _without_database() -> None:
    """The database may be what failed: this request's page must not ask it again who is logged in."""
    # Flask-Login's per-request cache; Flask-Login sets `login_manager` on the app, unknown to Flask's types.
    g._login_user = current_app.login_manager.anonymous_user()  # type: ignore[attr-defined]
    g.nav_counts, g.unread = {}, 0


def _safe_page(status: int, title: str, message: str) -> Any:
    try:
        return _page(status, title, message)
    except Exception:  # a bare page still says what to do
        return Response(f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{escape(title)}</title></head>"
                        f"<body><h1>{escape(title)}</h1><p>{escape(message)}</p></body></html>", status,
                        mimetype="text/html")


def init_app(app: Flask) -> None:
    """Register the error pages."""

    @app.errorhandler(NotFound)
    @app.errorhandler(404)
    def _not_found(_exc: Exception) -> Any:
        return _page(404, _("Not found"), _("There is nothing here that you may see. "
                                              "Check the address, or go back to your queues."))

    @app.errorhandler(Forbidden)
    @app.errorhandler(403)
    def _forbidden(_exc: Exception) -> Any:
        return _page(403, _("Not allowed"), _("Your role does not allow this. Ask the chair or an "
                                                "administrator if you need it."))

    @app.errorhandler(CSRFError)
    def _csrf(_exc: CSRFError) -> Any:
        return _page(400, _("The form has expired"), _("The form was too old or not sent from this site. "
                                                        "Reload the page and try again."))

    @app.errorhandler(400)
    def _bad_request(_exc: Exception) -> Any:
        return _page(400, _("Bad request"), _("The request could not be understood. Go back and try again."))

    @app.errorhandler(405)
    def _method(exc: Exception) -> Any:
        body, status = _page(405, _("Not allowed"), _("This address cannot be used that way. "
                                                      "Go back and use the form."))
        return body, status, allow(exc)

    @app.errorhandler(OperationalError)
    def _database_away(exc: Exception) -> Any:
        _without_database()
        current_app.logger.warning("database unavailable: %s", str(exc).splitlines()[0])
        return _safe_page(503, _("Try again in a moment"), _(
            "The database is not answering just now (it may be restarting). Wait a minute and try again."))

    @app.errorhandler(500)
    def _server_error(_exc: Exception) -> Any:
        _without_database()
        return _safe_page(500, _("Something went wrong"), _("An unexpected error occurred and was logged. "
                                                          "Try again; if it persists, tell an administrator."))
