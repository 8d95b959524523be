"""`GET /calendar/<token>.ics`: a person's calendar feed, authorised by the secret in the URL;
`POST /settings/calendar`: the person makes their own feed link (a new one replaces the old).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template
from flask_login import login_required

from engine.accounts.calendar_tokens import create_token, revoke_tokens, user_for_token
from notifications.ics import feed_for_user
from web.support import actor, eng, now

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


@bp.route("/settings/calendar", methods=["POST"])
@login_required
def new_link() -> Any:
    """Make the person a calendar-feed link, shown once (only its hash is kept); older links stop working."""
    with eng().db.write() as session:
        revoke_tokens(session, actor().username, now())
        secret = create_token(session, actor().username, now())
    link = f"{eng().config.mail.base_url.rstrip('/')}/calendar/{secret}.ics"
    return render_template("calendar_link.html", link=link)
