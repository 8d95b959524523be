"""The chair's overview: totals first, then what is overdue, sortable; remind several at once; reassign."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required

from engine.cases.overview import SORTS, chair_overview, members_of, user_names
from engine.cases.reminders import remind_many
from engine.kernel.errors import Forbidden
from web.agreement import selected_agreement_id
from web.queues import MAX_PAGE
from web.support import actor, eng, now

__all__ = ["bp"]

bp = Blueprint("chair", __name__)


def _sort() -> str:
    chosen = request.values.get("sort", "overdue")
    return chosen if chosen in SORTS else "overdue"


@bp.route("/chair")
@login_required
def overview() -> Any:
    """Totals, then the overdue cases with who holds them and when they were last reminded (chair)."""
    page = min(max(1, request.args.get("page", 1, type=int) or 1), MAX_PAGE)
    found = chair_overview(eng(), actor(), now(), sort=_sort(), agreement_id=selected_agreement_id(), page=page)
    members = members_of(eng(), (c["group"] for c in found["cases"]))
    names = {u: n for people in members.values() for u, n in people}
    holders = {c["assignee"] for c in found["cases"] if c["assignee"] and c["assignee"] not in names}
    names.update(user_names(eng(), holders))  # a holder from outside the group
    return render_template("chair.html", overview=found, members=members, names=names, now=now())


@bp.route("/chair/remind", methods=["POST"])
@login_required
def remind_selected() -> Any:
    """Remind whoever holds each chosen case, in one go."""
    ids = [int(v) for v in request.form.getlist("case") if v.isdigit() and 0 < int(v) < 2**31]
    back = url_for("chair.overview", sort=_sort())
    if not ids:
        flash(_("Choose the cases to remind about first."), "error")
        return redirect(back)
    try:
        result = remind_many(eng(), ids, actor(), now())
    except Forbidden:
        abort(403)
    if result.reminded:
        flash(ngettext("A reminder is sent about %(num)d case: %(ids)s.",
                       "Reminders are sent about %(num)d cases: %(ids)s.", len(result.reminded),
                       ids=", ".join(f"#{i}" for i in result.reminded)), "info")
    if result.refused:
        flash(_("No reminder about %(ids)s: closed meanwhile, or not yours to remind about.",
                ids=", ".join(f"#{i}" for i in result.refused)), "error")
    return redirect(back)
