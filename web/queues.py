"""Work queues: mine, my groups, unassigned, overdue, with filters and server-side pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from engine.errors import ValidationError
from engine.overview import COUNT_CAP, group_ids, queue_counts
from engine.queues import QueueFilter, list_queue
from web.support import actor, eng, now

__all__ = ["QUEUE_NAMES", "bp", "nav_counts"]

bp = Blueprint("queues", __name__)
QUEUE_NAMES = ("mine", "group", "unassigned", "overdue")


def nav_counts() -> dict[str, int]:
    """Queue counts for the navigation, read once per request."""
    if "nav_counts" not in g:
        g.nav_counts = queue_counts(eng(), actor(), now()) if current_user.is_authenticated else {}
    return g.nav_counts  # type: ignore[no-any-return]


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    return {"nav_counts": nav_counts, "queue_names": QUEUE_NAMES, "count_cap": COUNT_CAP}


def _day(name: str, errors: dict[str, str]) -> dt.date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = _("Write the date as YYYY-MM-DD, for example 2027-03-01.")
        return None


def _filters(errors: dict[str, str]) -> QueueFilter:
    args = request.args
    tz = eng().tz
    group = args.get("group") or None
    gid = None
    if group is not None:
        gid = group_ids(eng()).get(group)
        if gid is None:
            errors["group"] = _("Unknown group; choose one from the list.")
    workflow = args.get("workflow") or None
    if workflow is not None and workflow not in eng().registry.current:
        errors["workflow"] = _("Unknown workflow; choose one from the list.")
        workflow = None
    start, end = _day("due_from", errors), _day("due_to", errors)
    return QueueFilter(
        workflow=workflow, state=args.get("state") or None, focus_area=args.get("focus_area") or None,
        group_id=gid,
        due_after=dt.datetime.combine(start, dt.time(), tzinfo=tz) if start else None,
        due_before=dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=tz) if end else None,
    )


@bp.route("/")
@login_required
def index() -> Any:
    """Start page: the user's own queue."""
    return redirect(url_for("queues.queue", name="mine"))


@bp.route("/queues/<name>")
@login_required
def queue(name: str) -> Any:
    """One queue, soonest due first, one page at a time."""
    if name not in QUEUE_NAMES:
        abort(404)
    errors: dict[str, str] = {}
    filters = _filters(errors)
    page = max(1, request.args.get("page", 1, type=int) or 1)
    size = current_app.config["PAGE_SIZE"]
    try:
        rows = list_queue(eng(), actor(), name, filters=filters, limit=size + 1, offset=(page - 1) * size,
                          now=now())
    except ValidationError as exc:
        errors[exc.field] = str(exc)
        rows = []
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("queue.html", name=name, rows=rows[:size], page=page, has_next=len(rows) > size,
                           args=args, errors=errors, now=now(), cfg=eng().config,
                           workflows=eng().registry.current)
