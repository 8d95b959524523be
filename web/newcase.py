"""Opening a new matter or action: a form whose errors appear next to the fields."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.validators import ValidationError as ValidationError_

from engine.accounts.users import group_id
from engine.cases.commands import OpenRequest, open_case, openable
from engine.cases.overview import active_users
from engine.kernel.errors import EngineError, Forbidden, NotFound, ValidationError
from engine.policy.access import may_see
from web.cases import bp
from web.engine_messages import engine_message
from web.formatting import choices, focus_label, group_label, workflow_label
from web.relogin import take_kept
from web.support import actor, eng, now

__all__ = ["NewCaseForm"]

# A priority a kind of case starts with in the form (an acute matter is urgent by its nature).
DEFAULT_PRIORITY = {"acute_matter": "high"}


class NewCaseForm(FlaskForm):
    workflow = SelectField(_l("Kind of case"), validators=[DataRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the case a title.")), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional()])
    group = SelectField(_l("Owning group"), validators=[DataRequired()])
    focus_area = SelectField(_l("Focus area"), validators=[Optional()])
    priority = SelectField(_l("Priority"), default="normal")
    assignee = SelectField(_l("Case officer"), validators=[Optional()])
    due = DateField(_l("Due date"), validators=[Optional()])
    event_at = DateTimeLocalField(_l("Takes place"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    confidential = BooleanField(_l("Confidential (only the owning group, the case officer and the chair see it)"))
    parent_id = IntegerField(validators=[Optional()])

    def validate_due(self, field: DateField) -> None:
        """A new case due in the past would be overdue, and escalated, the moment it opens."""
        if field.data is not None and field.data < now().astimezone(eng().tz).date():
            raise ValidationError_(_("The due date has passed. Choose today or a later date."))
        definition = eng().registry.current.get(self.workflow.data or "")
        if field.data is not None and definition is not None and not definition.takes_a_due_date():
            raise ValidationError_(_("This kind of case takes its deadlines from when it takes place; "
                                     "leave the due date empty."))

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields' own checks, then: meetings, reviews and reports need to say when they take place
        (their deadlines count from then). Here, as an empty optional field skips its own validators."""
        valid: bool = super().validate(extra_validators)
        definition = eng().registry.current.get(self.workflow.data or "")
        if self.event_at.data is None and not self.event_at.errors and definition is not None \
                and definition.counts_from_event():
            self.event_at.errors = [_("Say when it takes place: its deadlines (the agenda, the minutes) "
                                      "count from then.")]
            return False
        return valid


def _choices(form: NewCaseForm) -> dict[str, list[str]]:
    """Offer the workflows the person may open, and the groups they may open them for (the engine decides)."""
    cfg = eng().config
    with eng().db.read() as session:
        may = openable(eng(), session, actor())
    form.workflow.choices = choices([(k, workflow_label(k)) for k in sorted(may, key=_order)])
    groups = {g for keys in may.values() for g in keys}
    form.group.choices = choices([(g.key, group_label(g.key)) for g in cfg.groups if g.key in groups])
    form.focus_area.choices = choices([("", _("(none)"))] + [(f.key, focus_label(f.key)) for f in cfg.focus_areas])
    form.priority.choices = choices([("low", _("Low")), ("normal", _("Normal")), ("high", _("High"))])
    form.assignee.choices = choices([("", _("(nobody yet)"))] + [(u, f"{n} ({u})") for u, n in active_users(eng())])
    return may


# The order the form lists the kinds of case in: the everyday ones first.
_ORDER = ("action", "acute_matter", "safety_group_meeting", "monthly_review", "police_annual_report",
          "agreement_renewal")


def _order(key: str) -> tuple[int, str]:
    """Where `key` comes in the form's list: the everyday kinds first, then any other in name order."""
    return (_ORDER.index(key) if key in _ORDER else len(_ORDER), key)


def _own_group(may: dict[str, list[str]], workflow: str) -> str | None:
    """The person's own group to open `workflow` for: the first they belong to that it may be opened for."""
    keys = may.get(workflow, [])
    with eng().db.read() as session:
        return next((k for k in keys if group_id(session, k) in actor().group_ids), keys[0] if keys else None)

def _request(form: NewCaseForm) -> OpenRequest:
    return OpenRequest(
        workflow=form.workflow.data, title=form.title.data or "", group=form.group.data,
        description=form.description.data or "", focus_area=form.focus_area.data or None,
        priority=form.priority.data or "normal", assignee=form.assignee.data or None,
        confidential=bool(form.confidential.data), parent_id=form.parent_id.data, due=form.due.data,
        event_at=form.event_at.data.replace(tzinfo=eng().tz) if form.event_at.data else None,
    )


@bp.route("/cases/new", methods=["GET", "POST"])
@login_required
def new() -> Any:
    """The form for a new case; re-shown with the values and the errors when something is wrong."""
    kept = take_kept(request.path) if request.method == "GET" else None  # see web.relogin
    form = NewCaseForm(formdata=kept) if kept else NewCaseForm()
    may = _choices(form)
    if not may:
        return render_template("error.html", title=_("New case"), message=_(
            "You are not a member of a group that opens cases here. Ask the chair or a member of the group "
            "the matter belongs to to open it."), status=403), 403
    if request.method == "GET" and not kept:
        wanted = request.args.get("workflow", "action")
        form.workflow.data = wanted if wanted in may else next(iter(sorted(may, key=_order)))
        form.group.data = _own_group(may, form.workflow.data)
        form.parent_id.data = request.args.get("parent", type=int)
        form.priority.data = DEFAULT_PRIORITY.get(form.workflow.data, "normal")
    status = 200
    if form.validate_on_submit():
        try:
            case = open_case(eng(), _request(form), actor(), now=now())
        except (ValidationError, Forbidden, NotFound) as exc:
            field = exc.field if isinstance(exc, ValidationError) else (
                "group" if isinstance(exc, Forbidden) else "parent_id")
            target = getattr(form, field, None) or form.title
            message = (_("The case to add this to does not exist or is hidden from you. Open the new case from "
                         "a case page you can see.") if isinstance(exc, NotFound) else engine_message(exc))
            target.errors = [*target.errors, message]
            status = 400
        except EngineError as exc:
            form.title.errors = [engine_message(exc)]
            status = 400
        else:
            if not may_see(actor(), case):  # confidential, for a group the opener is not in: say where it went
                flash(_("Case #%(id)s “%(title)s” was opened for %(group)s. It is confidential, so only that group, "
                        "its case officer and the chair can see it. Do not open it again.", id=case.id,
                        title=case.title, group=group_label(form.group.data or "")), "info")
                return redirect(url_for("queues.index"))
            return redirect(url_for("cases.show", case_id=case.id))
    elif request.method == "POST":
        status = 400
    return render_template("new_case.html", form=form, **_per_workflow(form)), status


def _per_workflow(form: NewCaseForm) -> dict[str, Any]:
    """Which kinds of case each workflow-bound field and hint is for, so the page shows only those
    (static/new_case.js follows the choice of kind; without it, the page shows the chosen kind's)."""
    offered = [str(getattr(c, "value", None) or c[0]) for c in form.workflow.choices or []]
    current = eng().registry.current
    defs = {k: current[k] for k in offered if k in current}
    return {"due_for": [k for k, d in defs.items() if d.takes_a_due_date()],
            "event_for": [k for k, d in defs.items() if d.counts_from_event()],
            "default_priority": DEFAULT_PRIORITY}
