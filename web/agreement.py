"""The agreement page: the current period, days to its end, the renewal, each obligation's status."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_login import login_required

from web.support import eng, now

try:  # engine.obligations lands with the deadline issue; the page says so until then.
    from engine.obligations import agreement_status
except ImportError:  # pragma: no cover - depends on what is merged
    agreement_status = None

__all__ = ["bp"]

bp = Blueprint("agreement", __name__)


@bp.route("/agreement")
@login_required
def show() -> Any:
    """What the agreement requires this period and whether it is met (?agreement=KEY for another one)."""
    key = request.args.get("agreement") or None
    agreements = getattr(eng().config, "agreements", ())
    if key is not None and key not in {a.key for a in agreements}:
        abort(404)
    if agreement_status is None:
        status = None
    else:
        status = agreement_status(eng(), now(), key) if key else agreement_status(eng(), now())
    return render_template("agreement.html", status=status, cfg=eng().config, agreements=agreements,
                           current_key=key or eng().config.agreement.key)
