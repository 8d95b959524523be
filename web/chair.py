"""The chair's overview: what is overdue, by group and focus area, oldest first, with a reminder."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_login import login_required

from engine.cases.overview import chair_overview
from web.support import actor, eng, now

__all__ = ["bp"]

bp = Blueprint("chair", __name__)


@bp.route("/chair")
@login_required
def overview() -> Any:
    """Overdue cases grouped by group and focus area (chair and administrators)."""
    groups = chair_overview(eng(), actor(), now())
    return render_template("chair.html", groups=groups, now=now())
