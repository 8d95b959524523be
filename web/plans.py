"""The cycle page of a lägesbild, an action plan or a follow-up: sources, measures with their state,
whom each waits for and when it is due, judgements; forms to link a source, open a measure, open the
next case of the cycle and judge a measure; the plan as a PDF for the board meeting."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine.cases.cycle import cycle_view
from engine.cases.plans import MeasureRequest, add_source, judge, open_from, open_measure
from engine.kernel.errors import Conflict, EngineError, Forbidden, NotFound, TransitionNotAllowed, ValidationError
from engine.reporting.plan_pdf import render_plan_pdf
from web.engine_messages import engine_message
from web.formatting import focus_label, language
from web.support import actor, eng, expected_version, now

__all__ = ["bp"]

bp = Blueprint("plans", __name__)
_PUBLISH_GUARD = "has_public_text"


@bp.app_context_processor
def _links() -> dict[str, Any]:
    return {"case_cycle_links": case_cycle_links}


def case_cycle_links(case: dict[str, Any]) -> list[dict[str, str]]:
    """Links the case page shows for the cycle: its cycle page, and where to write the citizens' text."""
    out: list[dict[str, str]] = []
    d = eng().registry.current.get(case["workflow"])
    link = d.linking if d is not None else None
    if link is not None and (link.opened_from or link.measures_workflow or link.source_states or link.judging_states):
        out.append({"url": url_for("plans.show", case_id=case["id"]),
                    "label": _("Sources, measures and follow-up of this case")})
    if any(a["refusal"] and a["refusal"]["reason"] == "guard_unmet" and _PUBLISH_GUARD in a["refusal"]["guards"]
           for a in case.get("actions", [])):
        out.append({"url": url_for("citizen.write", case_id=case["id"]),
                    "label": _("Write the information to the citizens")})
    return out


def _groups() -> list[tuple[str, str]]:
    cfg = eng().config
    return [(g.key, g.en if language() == "en" else g.sv) for a in cfg.agreements for g in a.groups]


def _page(case_id: int, status: int = 200, **extra: Any) -> Any:
    view = cycle_view(eng(), case_id, actor(), now=now())
    focus = [(f.key, f.en if language() == "en" else f.sv) for f in eng().config.focus_areas]
    return render_template("cycle.html", view=view, case=view["case"], groups=_groups(), focus_areas=focus,
                           now=now(), errors=extra.pop("errors", {}), kept=extra.pop("kept", {}), **extra), status


@bp.route("/cases/<int:case_id>/cycle")
@login_required
def show(case_id: int) -> Any:
    """The cycle page of one case."""
    return _page(case_id)


def _refused(case_id: int, exc: EngineError, field: str, kept: dict[str, str]) -> Any:
    if isinstance(exc, NotFound):
        raise exc
    if isinstance(exc, Forbidden):
        message = _("Your role does not allow this action on this case.")
    elif isinstance(exc, Conflict):
        message = _("Someone changed this case; reload.")
    else:
        message = engine_message(exc)
    where = exc.field if isinstance(exc, ValidationError) else field
    return _page(case_id, 400 if isinstance(exc, ValidationError | TransitionNotAllowed) else 409,
                 errors={field: message, where: message}, kept=kept)


def _id(raw: str) -> int | None:
    raw = raw.strip().lstrip("#")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


@bp.route("/cases/<int:case_id>/sources", methods=["POST"])
@login_required
def source(case_id: int) -> Any:
    """Link another case as material (by its number)."""
    kept = {"source": request.form.get("source", "")}
    source_id = _id(kept["source"])
    if source_id is None:
        return _page(case_id, 400, errors={"source": _("Give the case number, e.g. 12.")}, kept=kept)
    try:
        add_source(eng(), case_id, source_id, actor(), now=now())
    except EngineError as exc:
        return _refused(case_id, exc, "source", kept)
    flash(_("Case #%(id)s is linked as a source.", id=source_id), "success")
    return redirect(url_for("plans.show", case_id=case_id) + "#h-sources")


def _due(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw) if raw.strip() else None
    except ValueError:
        raise ValidationError("due", "Write the date as YYYY-MM-DD.", code="bad_date") from None


@bp.route("/cases/<int:case_id>/measures", methods=["POST"])
@login_required
def measure(case_id: int) -> Any:
    """Open one measure of the plan as a case of its own."""
    kept = {k: request.form.get(k, "") for k in ("title", "group", "focus_area", "due", "description")}
    try:
        req = MeasureRequest(kept["title"], kept["group"], kept["focus_area"] or None, _due(kept["due"]),
                             kept["description"])
        row = open_measure(eng(), case_id, req, actor(), now=now())
    except EngineError as exc:
        return _refused(case_id, exc, "measure", kept)
    flash(_("Measure #%(id)s is opened.", id=row.id), "success")
    return redirect(url_for("plans.show", case_id=case_id) + "#h-measures")


@bp.route("/cases/<int:case_id>/open", methods=["POST"])
@login_required
def open_next(case_id: int) -> Any:
    """Open the next case of the cycle from this one (a plan from a lägesbild, a follow-up from a plan)."""
    kept = {"title": request.form.get("title", ""), "workflow": request.form.get("workflow", "")}
    if kept["workflow"] not in eng().registry.current:
        return _page(case_id, 400, errors={"open": _("Choose what to open.")}, kept=kept)
    try:
        row = open_from(eng(), case_id, kept["workflow"], kept["title"], actor(), now=now())
    except EngineError as exc:
        return _refused(case_id, exc, "open", kept)
    flash(_("Case #%(id)s is opened.", id=row.id), "success")
    return redirect(url_for("plans.show", case_id=row.id))


@bp.route("/cases/<int:case_id>/judge", methods=["POST"])
@login_required
def judgement(case_id: int) -> Any:
    """Record the follow-up's judgement of one measure."""
    measure_id = _id(request.form.get("measure_id", "")) or 0
    kept = {"measure_id": str(measure_id), "judgement": request.form.get("judgement", ""),
            "note": request.form.get("note", "")}
    try:
        judge(eng(), case_id, measure_id, kept["judgement"], kept["note"], actor(),
              expected_version=expected_version(), now=now())
    except EngineError as exc:
        return _refused(case_id, exc, f"judge-{measure_id}", kept)
    flash(_("The judgement of measure #%(id)s is recorded.", id=measure_id), "success")
    return redirect(url_for("plans.show", case_id=case_id) + "#h-measures")


@bp.route("/cases/<int:case_id>/cycle.pdf")
@login_required
def pdf(case_id: int) -> Any:
    """The plan (or follow-up) and its measures as a PDF for the board meeting."""
    view = cycle_view(eng(), case_id, actor(), now=now())
    focus = {f.key: focus_label(f.key) for f in eng().config.focus_areas}
    body = render_plan_pdf(view, language(), tz=eng().tz, now=now(), focus_labels=focus)
    return Response(body, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="plan-{case_id}.pdf"'})
