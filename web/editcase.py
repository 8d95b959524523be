"""Correcting a case: the edit page (title, description, priority, focus area, dates, group) and giving it back.

Each change the engine makes is a row of the case's history; the page sends every field and
the engine logs only those whose value changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import DateField, DateTimeLocalField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from engine.cases import editing
from engine.cases.views import CaseView, definition_of, get_case
from engine.kernel.errors import Conflict, EngineError, Forbidden, NotFound, ValidationError
from engine.policy.access import edits, gives_back
from engine.workflow.definition import Definition
from web.cases import bp
from web.engine_messages import engine_message
from web.formatting import choices, focus_label, group_label, local_time, parse_time, priority_label
from web.support import actor, eng, expected_version, now

__all__ = ["EditCaseForm"]


class EditCaseForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the case a title.")), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional()])
    priority = SelectField(_l("Priority"))
    focus_area = SelectField(_l("Focus area"), validators=[Optional()])
    due = DateField(_l("Due date"), validators=[Optional()])
    event_at = DateTimeLocalField(_l("Takes place"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    reason = StringField(_l("Reason for the new date"), validators=[Optional(), Length(max=500)])
    # Shown only to those who may move the case; absent, it is left as it is.
    group = SelectField(_l("Owning group"), validate_choice=False)
    expected_version = HiddenField()


def _shown(case: CaseView) -> tuple[dt.date | None, dt.datetime | None]:
    """The due date and event time as the form shows them (local, naive as the browser sends them back)."""
    due, event = parse_time(case["due_at"]), parse_time(case["event_at"])
    return (due.astimezone(eng().tz).date() if due else None,
            event.astimezone(eng().tz).replace(tzinfo=None) if event else None)


def _form(case: CaseView) -> EditCaseForm:
    cfg = eng().config
    form = EditCaseForm()
    form.priority.choices = choices([(p, priority_label(p)) for p in ("low", "normal", "high")])
    form.focus_area.choices = choices([("", _("(none)"))] + [(f.key, focus_label(f.key)) for f in cfg.focus_areas])
    form.group.choices = choices([(g.key, group_label(g.key)) for g in cfg.groups])
    if request.method == "GET":
        form.title.data, form.description.data = case["title"], case["description"]
        form.priority.data, form.focus_area.data = case["priority"], case["focus_area"] or ""
        form.group.data, form.expected_version.data = case["group"], str(case["version"])
        form.due.data, form.event_at.data = _shown(case)
    return form


def _page(case: CaseView, form: EditCaseForm, definition: Definition, status: int = 200, **extra: Any) -> Any:
    return render_template("edit_case.html", case=case, form=form, takes_due=definition.takes_a_due_date(),
                           takes_event=definition.counts_from_event(), **extra), status


def _request(form: EditCaseForm, case: CaseView, definition: Definition) -> editing.Edit:
    """What the form changes. A date sent back as the form showed it is no change: the due date shown is
    the one the case has by its rules, which the person did not choose to give."""
    due, event = _shown(case)
    moved_due = form.due.data if definition.takes_a_due_date() and form.due.data != due else None
    moved_event = form.event_at.data if definition.counts_from_event() and form.event_at.data != event else None
    return editing.Edit(
        title=form.title.data or "", description=form.description.data or "", priority=form.priority.data,
        focus_area=form.focus_area.data or "", group=form.group.data or None, due=moved_due,
        event_at=moved_event.replace(tzinfo=eng().tz) if moved_event else None, reason=form.reason.data or None)


@bp.route("/cases/<int:case_id>/edit", methods=["GET", "POST"])
@login_required
def edit(case_id: int) -> Any:
    """The edit form; re-shown with the values and the error at its field when something is wrong."""
    case = get_case(eng(), case_id, actor(), now=now())
    if not edits(case["your_roles"], "title"):
        abort(403)
    form = _form(case)
    definition = definition_of(eng(), case["workflow"], case["definition_version"])
    if request.method == "GET" or not form.validate_on_submit():
        return _page(case, form, definition, 200 if request.method == "GET" else 400)
    raw = form.expected_version.data or ""
    try:
        editing.edit(eng(), case_id, actor(), _request(form, case, definition),
                     expected_version=int(raw) if raw.isdigit() else None, now=now())
    except Conflict:
        return _page(get_case(eng(), case_id, actor(), now=now()), form, definition, 409, conflict=True)
    except Forbidden:
        return _page(case, form, definition, 403, form_error=_("Your role does not allow this change; ask a "
                                                               "member of the owning group or the chair."))
    except ValidationError as exc:
        target = getattr(form, exc.field, None) or form.title
        target.errors = [*target.errors, engine_message(exc)]
        return _page(case, form, definition, 400)
    except NotFound:
        abort(404)
    flash(_("The case is updated; the change is in its history."), "info")
    return redirect(url_for("cases.show", case_id=case_id))


@bp.route("/cases/<int:case_id>/unassign", methods=["POST"])
@login_required
def unassign(case_id: int) -> Any:
    """Give the case back: nobody holds it, its group is told."""
    try:
        editing.unassign(eng(), case_id, actor(), expected_version=expected_version(), now=now())
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)
    except Conflict:
        flash(_("Someone changed this case; reload."), "error")
    except EngineError as exc:
        flash(engine_message(exc), "error")
    else:
        flash(_("You gave the case back; its group is told."), "info")
    return redirect(url_for("cases.show", case_id=case_id))


bp.add_app_template_global(edits, "edits")
bp.add_app_template_global(gives_back, "gives_back")


@bp.app_template_global()
def history_value(field: str, value: str | None) -> str:
    """An edited field's logged value as a person reads it (dates local, keys as labels)."""
    if value is None or value == "":
        return "–"
    formats: dict[str, Callable[[Any], str]] = {
        "due": lambda v: local_time(v, "%Y-%m-%d"), "event_at": local_time, "priority": priority_label,
        "focus_area": focus_label, "group": group_label}
    shown = formats.get(field)
    if shown is not None:
        return str(shown(value))
    return value if len(value) <= 80 else value[:79] + "…"


@bp.app_template_global()
def field_label(field: str) -> str:
    """An editable field's name in the current language."""
    return {"title": _("Title"), "description": _("Description"), "priority": _("Priority"),
            "focus_area": _("Focus area"), "due": _("Due date"), "event_at": _("Takes place"),
            "group": _("Owning group")}.get(field, field)

