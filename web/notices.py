"""The bell: a person's in-app notices (written by notifications/), per case, and marking them read."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine.cases.inbox import by_case, mark_notices_read, my_notices, open_notice
from engine.kernel.errors import NotFound
from notifications.texts import entry_for
from web.formatting import language
from web.support import actor, eng, now

__all__ = ["bp"]

bp = Blueprint("notices", __name__)


@bp.route("/notices")
@login_required
def index() -> Any:
    """The user's notices gathered per case, the case with the newest notice first."""
    lang, tz = language(), eng().tz
    groups = by_case(my_notices(eng(), actor()))
    for g in groups:
        g["notices"] = [{**n, "entry": entry_for(n["kind"], {"case_id": n["case_id"], **n["payload"]}, lang, "", tz)}
                        for n in g["notices"]]
    return render_template("notices.html", groups=groups)


@bp.route("/notices/<int:notice_id>")
@login_required
def open_one(notice_id: int) -> Any:
    """Open a notice: it is read now, and the person lands where it points."""
    try:
        notice = open_notice(eng(), actor(), notice_id, now())
    except NotFound:
        abort(404)
    entry = entry_for(notice["kind"], {"case_id": notice["case_id"], **notice["payload"]}, language(), "", eng().tz)
    return redirect(entry.link)


@bp.route("/notices/read", methods=["POST"])
@login_required
def read_all() -> Any:
    """Mark every notice read."""
    mark_notices_read(eng(), actor(), now())
    flash(_("All notices are marked as read."), "info")
    return redirect(url_for("notices.index"))
