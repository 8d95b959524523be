"""The bell: a person's in-app notices (written by notifications/), and marking them read."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine.cases.overview import mark_notices_read, my_notices
from notifications.texts import entry_for
from web.formatting import language
from web.support import actor, eng, now

__all__ = ["bp"]

bp = Blueprint("notices", __name__)


@bp.route("/notices")
@login_required
def index() -> Any:
    """The user's notices, newest first."""
    lang, tz = language(), eng().tz
    rows = [{**n, "entry": entry_for(n["kind"], {"case_id": n["case_id"], **n["payload"]}, lang, "", tz)}
            for n in my_notices(eng(), actor())]
    return render_template("notices.html", rows=rows)


@bp.route("/notices/read", methods=["POST"])
@login_required
def read_all() -> Any:
    """Mark every notice read."""
    mark_notices_read(eng(), actor(), now())
    flash(_("All notices are marked as read."), "info")
    return redirect(url_for("notices.index"))
