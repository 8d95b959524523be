"""The search box in the header and its results: cases found by number or by words, with the queue filters."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import login_required

from engine.cases.search import search
from engine.kernel.errors import ValidationError
from web.engine_messages import engine_message
from web.queues import FILTERS, display_rows, request_filters
from web.support import actor, eng, now

__all__ = ["bp"]

bp = Blueprint("search", __name__)
LIMIT = 50


@bp.route("/search")
@login_required
def results() -> Any:
    """The best matches among the cases the reader may see; a case number that matches exactly opens the case."""
    q = request.args.get("q", "").strip()[:200]
    errors: dict[str, str] = {}
    filters = request_filters(errors)
    rows = []
    if q:
        try:
            rows = search(eng(), actor(), q, filters=filters, limit=LIMIT, now=now())
        except ValidationError as exc:
            errors["q"] = engine_message(exc)
    args = {k: request.args[k] for k in FILTERS if request.args.get(k)}
    if q.lstrip("#").isdigit() and rows and str(rows[0]["id"]) == q.lstrip("#") and not args:
        return redirect(url_for("cases.show", case_id=rows[0]["id"]))
    return render_template("search.html", q=q, rows=display_rows(rows), args=args, errors=errors, limit=LIMIT)
