"""`GET /calendar/<token>.ics`: a person's calendar feed, authorised by the secret in the URL.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app

from engine.accounts.calendar_tokens import user_for_token
from notifications.ics import feed_for_user

__all__ = ["bp"]

bp = Blueprint("calendar", __name__)


@bp.route("/calendar/<token>.ics")
def feed(token: str) -> Response:
    """The feed for the token's owner; 404 for an unknown or revoked token."""
    eng = current_app.extensions["samverkan"].engine
    if len(token) > 128:
        abort(404)
    with eng.db.read() as session:
        user_id = user_for_token(session, token)
    if user_id is None:
        abort(404)
    body = feed_for_user(eng, user_id, eng.now())
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": 'inline; filename="samverkan.ics"',
        "Cache-Control": "private, max-age=300",
    })
