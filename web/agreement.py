"""The agreement page and the agreement selector of multi-agreement deployments.

With more than one agreement in config.toml the header offers a selector; the choice is
kept in the session, the queues show only that agreement's cases and the agreement page
shows that agreement. Until a person chooses, they see the agreement all their groups
belong to (Höör's chair lands on Höör's overview, though the deployment follows 290
agreements), and all agreements when their groups lie in several; "All agreements"
filters nothing. A deployment with one agreement never shows the selector.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine.cases.overview import agreement_ids
from engine.cases.overview import group_ids as groups_by_key
from engine.kernel.errors import ValidationError
from engine.policy.access import may_see_overview
from engine.reporting.output import render_csv, render_html
from engine.reporting.report import build_report, report_range
from engine.schedule.obligations import ObligationStatus, agreement_status
from web.engine_messages import engine_message
from web.formatting import language
from web.support import actor, case_linker, eng, now, safe_next

__all__ = ["bp", "selected_agreement_id", "selected_key"]

bp = Blueprint("agreement", __name__)
SESSION_KEY = "agreement"
SHOWN = 10  # the cases listed per obligation on the page; the rest are counted (a national agreement has hundreds)
ALL = "*"  # the session's value once a person chose all agreements


def _agreements() -> tuple[Any, ...]:
    return tuple(getattr(current_app.extensions["samverkan"].config, "agreements", ()))


def _keys() -> Mapping[str, Any]:
    """The configured agreements by key: a lookup, where a set of 290 keys per question cost every page."""
    return current_app.extensions["samverkan"].config.agreement_keys  # type: ignore[no-any-return]


class _Ids:
    """Agreement key → id and group id → agreement key, read once per process (config sync keeps
    ids; a key or group not seen yet reads them again)."""

    def __init__(self) -> None:
        self.agreement: dict[str, int] = {}
        self.of_group: dict[int, str | None] = {}

    def read(self) -> None:
        config = current_app.extensions["samverkan"].config
        agreement_of = {g.key: a.key for a in config.agreements for g in a.groups}
        self.agreement = agreement_ids(eng())
        self.of_group = {gid: agreement_of.get(key) for key, gid in groups_by_key(eng()).items()}


def _ids(*, key: str | None = None, groups: frozenset[int] = frozenset()) -> _Ids:
    ids: _Ids = current_app.extensions.setdefault("samverkan_agreement_ids", _Ids())
    if (key is not None and key not in ids.agreement) or not groups <= ids.of_group.keys():
        ids.read()
    return ids


def _home_key() -> str | None:
    """The agreement all of the person's groups belong to; None when they lie in several (or none)."""
    groups = actor().group_ids
    of_group = _ids(groups=groups).of_group
    keys = {of_group.get(g) for g in groups}
    return keys.pop() if len(keys) == 1 else None


def selected_key() -> str | None:
    """The agreement shown: the one chosen in this session, else the person's own (`_home_key`); None for
    all agreements (always None with only one)."""
    agreements = _agreements()
    if len(agreements) < 2:
        return None
    key = session.get(SESSION_KEY)
    if key is None:
        key = _home_key()
    return str(key) if key in _keys() else None


def selected_agreement_id() -> int | None:
    """The database id of the agreement shown, for queue filters; None for all."""
    key = selected_key()
    return _ids(key=key).agreement.get(key) if key else None


@bp.app_context_processor
def _selector() -> dict[str, Any]:
    return {"agreement_choices": _agreements, "selected_agreement": selected_key}


@bp.route("/agreement/select", methods=["POST"])
@login_required
def select() -> Any:
    """Keep the chosen agreement (empty: all) in the session and go back where the person was."""
    key = request.form.get("agreement", "")
    back = safe_next(request.form.get("next"), url_for("queues.index"))
    if key and key not in _keys():
        flash(_("Unknown agreement; choose one from the list."), "error")
        return redirect(back)
    session[SESSION_KEY] = key or ALL
    return redirect(back)


@bp.route("/agreement")
@login_required
def show() -> Any:
    """What the agreement requires this period and whether it is met (?agreement=KEY for another one)."""
    agreements = _agreements()
    key = request.args.get("agreement") or selected_key()
    if key is not None and key not in _keys():
        abort(404)
    status = agreement_status(eng(), now(), key, viewer=actor(), shown=SHOWN)
    return render_template("agreement.html", status=status, cfg=eng().config, agreements=agreements,
                           obligations=_obligation_rows(status.obligations) if status is not None else [],
                           current_key=key or eng().config.agreement.key, report_formats=REPORT_FORMATS)


def _obligation_rows(obligations: list[ObligationStatus]) -> list[SimpleNamespace]:
    """The obligations with their listed cases as (href, id) and the open ones as (href, id, aria-label), the
    links built once per page rather than by a `url_for` and a translation per case."""
    link, open_case = case_linker("cases.show"), _("Open case %(id)s")
    lang = language()
    return [SimpleNamespace(
        label=o.label_en if lang == "en" else o.label_sv, pace=o.pace or ("met" if o.met else "on_track"),
        expected=o.expected, required=o.required, done=o.done,
        cases=[(link(cid), cid) for cid in o.case_ids], more=o.case_total - len(o.case_ids),
        open_cases=[(link(cid), cid, open_case % {"id": cid}) for cid in o.open_case_ids],
        open_more=o.open_total - len(o.open_case_ids)) for o in obligations]


REPORT_FORMATS = ("html", "pdf", "csv")
_REPORT_TYPES = {"html": "text/html; charset=utf-8", "csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}


@bp.route("/agreement/report")
@login_required
def report() -> Any:
    """The steering-group report for the current or previous period (?period=, ?format=html|pdf|csv),
    as `samverkan report` writes it; for those who may see the overview."""
    if not may_see_overview(actor()):
        abort(403)
    fmt = request.args.get("format", "html")
    period = request.args.get("period", "current")
    key = request.args.get("agreement") or selected_key()
    if fmt not in REPORT_FORMATS or period not in ("current", "previous") or (
            key is not None and key not in _keys()):
        abort(404)
    lang, when = language(), now()
    try:
        rng = report_range(eng(), period=period, now=when, agreement=key)
    except ValidationError as exc:
        flash(engine_message(exc), "error")
        return redirect(url_for("agreement.show"))
    result = build_report(eng(), rng, now=when, agreement=key)
    if fmt == "pdf":
        from engine.reporting.pdf import render_pdf  # reportlab is slow to import; only the PDF needs it
        body: str | bytes = render_pdf(result, lang, tz=eng().tz)
    else:
        body = render_csv(result, lang) if fmt == "csv" else render_html(result, lang, tz=eng().tz)
    name = f"samverkan-{key or eng().config.agreement.key}-{rng.kind}-{rng.number}.{fmt}"
    disposition = "inline" if fmt == "html" else "attachment"
    return Response(body, content_type=_REPORT_TYPES[fmt],
                    headers={"Content-Disposition": f'{disposition}; filename="{name}"'})
