"""/floor: an empty page behind the log-in, what every page costs before doing anything of its own.

Flask, the session cookie, Flask-Login loading the user, the request's read transaction and
the response headers, and nothing else. bench/pages.py and bench/load.py measure each page
against it on the same server; a monitor can use it to tell a slow page from a slow server.
It shows nothing, so it needs no template and no translation.
"""

from __future__ import annotations

from flask import Blueprint, Response
from flask_login import login_required

__all__ = ["bp"]

bp = Blueprint("floor", __name__)


@bp.route("/floor")
@login_required
def floor() -> Response:
    """204 No Content for a logged-in user; the log-in page for anyone else."""
    return Response(status=204)
