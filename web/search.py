"""The search box in the header and its results: cases found by number or by words, with the queue filters."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import login_required

from engine.cases.search import SearchPage, search_page
from engine.kernel.errors import ValidationError
from web.engine_messages import engine_message
from web.queues import FILTERS, MAX_PAGE, display_rows, request_filters
from web.support import actor, eng, now

__all__ = ["bp"]

bp = Blueprint("search", __name__)


@bp.route("/search")
@login_required
def results() -> Any:
    """The matches among the cases the reader may see, best first, a page at a time (as many rows as a
    queue page); a case number that matches exactly opens the case."""
    q = request.args.get("q", "").strip()[:200]
    errors: dict[str, str] = {}
    filters = request_filters(errors)
    page = min(max(1, request.args.get("page", 1, type=int) or 1), MAX_PAGE)
    size = current_app.config["PAGE_SIZE"]
    found = SearchPage([], more=False)
    if q:
        try:
            found = search_page(eng(), actor(), q, filters=filters, limit=size, offset=(page - 1) * size, now=now())
        except ValidationError as exc:
            errors["q"] = engine_message(exc)
    rows = found.items
    args = {k: request.args[k] for k in FILTERS if request.args.get(k)}
    if page == 1 and q.lstrip("#").isdigit() and rows and str(rows[0]["id"]) == q.lstrip("#") and not args:
        return redirect(url_for("cases.show", case_id=rows[0]["id"]))
    return render_template("search.html", q=q, rows=display_rows(rows), args=args, errors=errors, page=page,
                           has_next=found.more)
