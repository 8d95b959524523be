"""A form sent after its session ended: say why, go back to a page that shows it, keep what was typed.

Logging out ends every session of the user, so a form left open on another device arrives
without a session. The person is told they were logged out; `next` is a page they can
read (the case for a case action, else the form's own page or the page they came from on
this site, else the start page), never the POST-only address; and what they typed is kept
in the session until that page fills it in again, for the same user only.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from web.support import safe_next

__all__ = ["KEEP_LIMIT", "fresh_session", "keep_form", "stale_user_id", "take_kept", "target_for_post"]

_KEY = "kept_form"
# The session is a signed cookie, and browsers drop a cookie over about 4 kB. 3000 characters
# of Swedish prose take about 2 kB compressed, which leaves room for the rest of the session.
KEEP_LIMIT = 3000
# What each form's page can fill in again (never a password).
_FIELDS = {
    "cases.comment": ("body",),
    "cases.fire_trigger": ("trigger", "comment"),
    "cases.assign": ("user",),
    "cases.new": ("workflow", "title", "description", "group", "focus_area", "priority", "assignee", "due",
                  "confidential", "parent_id"),
}
# What a person chose or typed; a trigger or a kind of case alone is not worth keeping.
_TYPED = ("body", "comment", "user", "title", "description")


def stale_user_id() -> int | None:
    """The user of a session that was logged in and no longer is (ended elsewhere), else None."""
    uid, _sep, _nonce = str(session.get("_user_id") or "").partition(":")
    return int(uid) if uid.isdigit() else None


def _readable(path: str) -> bool:
    """True if `path` is a page of this site that answers GET."""
    try:
        current_app.url_map.bind(request.host).match(path, method="GET")
    except RequestRedirect:
        return True
    except HTTPException:
        return False
    return True


def target_for_post() -> str:
    """Where to go after logging in again, instead of the refused POST-only address."""
    args = request.view_args or {}
    if request.blueprint == "cases" and "case_id" in args:
        return url_for("cases.show", case_id=args["case_id"])
    if _readable(request.path):
        return request.path
    ref = urlsplit(request.referrer or "")
    if ref.netloc == request.host and _readable(ref.path):
        return safe_next(ref.path + (f"?{ref.query}" if ref.query else ""), url_for("queues.index"))
    return url_for("queues.index")


def keep_form(target: str) -> tuple[bool, str | None]:
    """Keep the refused form's values for `target`'s page: (kept, text too long to keep or None)."""
    uid = stale_user_id()
    fields = {n: request.form[n] for n in _FIELDS.get(request.endpoint or "", ()) if request.form.get(n)}
    if uid is None or not any(fields.get(n) for n in _TYPED):
        return False, None
    if sum(len(v) for v in fields.values()) > KEEP_LIMIT:
        return False, "\n\n".join(fields[n] for n in _TYPED if fields.get(n))
    session[_KEY] = {"uid": uid, "path": urlsplit(target).path, "fields": fields}
    return True, None


def fresh_session(user_id: int) -> None:
    """Start a new session for logging in (no fixation), carrying over the user's own kept form."""
    kept = session.get(_KEY)
    session.clear()
    if isinstance(kept, dict) and kept.get("uid") == user_id:
        session[_KEY] = kept


def take_kept(path: str) -> MultiDict[str, str]:
    """The values kept for the page at `path` for the logged-in user (once), and say they are back."""
    kept = session.get(_KEY)
    if not isinstance(kept, dict) or kept.get("path") != path or kept.get("uid") != current_user.id:
        return MultiDict()
    session.pop(_KEY)
    flash(_("What you wrote before you were logged out is filled in again. Check it and send it."), "info")
    return MultiDict(kept["fields"])
