"""The case page and its actions (fire, assign, claim, comment, remind), and opening new cases."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine.cases import commands as casework
from engine.cases.firing import fire
from engine.cases.inbox import mark_case_read
from engine.cases.overview import members_of, user_names
from engine.cases.reminders import remind
from engine.cases.views import ActionView, CaseView, get_case, told
from engine.kernel.errors import Conflict, EngineError, Forbidden, NotFound, TransitionNotAllowed, ValidationError
from engine.policy.access import claims, manages
from web.diagram import case_diagram
from web.engine_messages import engine_message, guard_message
from web.formatting import language, role_label, text_of
from web.relogin import take_kept
from web.support import actor, eng, expected_version, now

__all__ = ["bp", "render_case"]

bp = Blueprint("cases", __name__)


def _action(a: ActionView) -> dict[str, Any]:
    return {"trigger": a["trigger"], "label": text_of(a["label"], a["trigger"]),
            "comment_required": a["comment_required"], "destructive": a["destructive"]}


def _why(a: ActionView, case: CaseView, may_claim: bool) -> str:
    """What would make a refused step possible, in words for the person who cannot take it now."""
    refusal = a["refusal"]
    assert refusal is not None
    if refusal["reason"] == "guard_unmet":
        if may_claim and refusal["guards"] == ["has_assignee"]:
            return _("Take the case first.")
        return guard_message(refusal["guards"]) or refusal["message"]
    if refusal["reason"] == "role_missing":
        if "assignee" in refusal["roles"]:
            if case["assignee"] is None:
                return _("Take the case first.") if may_claim else _("The case must be assigned to a person first.")
            return _("Only %(name)s, who holds the case, or the chair can do this.", name=case["assignee"])
        return _("Needs the role: %(roles)s.", roles=", ".join(role_label(r) for r in refusal["roles"]
                                                               if r not in ("assignee", "group_member"))
                 or _("member of the owning group"))
    return _("Not possible in the case's current state.")


def steps(case: CaseView, may_claim: bool) -> dict[str, Any]:
    """The case's steps as the page offers them: the natural next one as the one primary button,
    the others beside it, the destructive ones apart, and the ones not possible with what would make them so."""
    # An assignment step (on_assign) the case is ready for (it has an assignee) is a button like any
    # other; one it is not ready for is the assign form below, not a refusal.
    allowed = [a for a in case["actions"] if a["allowed"]]
    forward = [_action(a) for a in allowed if not a["destructive"] and not a["backward"]]
    back = [_action(a) for a in allowed if not a["destructive"] and a["backward"]]
    blocked = [{**_action(a), "why": _why(a, case, may_claim)}
               for a in case["actions"] if not a["allowed"] and not a["on_assign"]
               and a["refusal"] and a["refusal"]["reason"] in ("role_missing", "guard_unmet")
               and not a["destructive"] and not a["backward"]]
    return {"primary": forward[0] if forward else None, "others": forward[1:] + back,
            "destructive": [_action(a) for a in allowed if a["destructive"]], "blocked": blocked,
            "assign": next((_action(a) for a in case["actions"] if a["on_assign"]), None)}


def render_case(case_id: int, status: int = 200, **extra: Any) -> Any:
    """The case page; `extra` carries errors and the text the user typed, kept on a refusal."""
    case = get_case(eng(), case_id, actor(), now=now())
    diagram = case_diagram(case, language())
    may_claim = claims(case["your_roles"]) and case["assignee"] is None and case["closed_at"] is None
    return render_template("case.html", case=case, steps=steps(case, may_claim), history=told(case["history"]),
                           diagram=diagram, users=_people_for(case), may_manage=manages(case["your_roles"]),
                           may_claim=may_claim, now=now(), cfg=eng().config, **extra), status


@bp.route("/cases/<int:case_id>")
@login_required
def show(case_id: int) -> Any:
    """One case: fields, history, actions, comments, children and the diagram."""
    kept = take_kept(request.path)  # what a form held when its session ended (see web.relogin)
    mark_case_read(eng(), actor(), case_id, now())  # the person has seen the case: its notices are read
    return render_case(case_id, kept_body=kept.get("body"), kept_trigger=kept.get("trigger"),
                       kept_comment=kept.get("comment"), kept_user=kept.get("user"))


def _people_for(case: CaseView) -> list[tuple[str, str]]:
    """Whom the case page offers to give the case to: its group's members, and whoever holds it now
    (someone outside the group is given it by user name: at national scale everyone is 5,000 people)."""
    group = case["group"] or ""
    people = members_of(eng(), [group]).get(group, [])
    holder = case["assignee"]
    if holder and holder not in {u for u, _n in people}:
        people = [*people, (holder, user_names(eng(), [holder]).get(holder, holder))]
    return people


def _refused(case_id: int, exc: EngineError, **kept: Any) -> Any:
    """Re-show the case page after a refusal, keeping what the user typed."""
    if isinstance(exc, NotFound):
        raise exc
    if isinstance(exc, Forbidden):
        return render_case(case_id, 403, action_error=_("Your role does not allow this action on this case."),
                           **kept)
    if isinstance(exc, Conflict):
        return render_case(case_id, 409, conflict=True, **kept)
    if isinstance(exc, ValidationError):
        return render_case(case_id, 400, field_errors={exc.field: engine_message(exc)}, **kept)
    if isinstance(exc, TransitionNotAllowed):
        said = guard_message(exc.guards)  # what would make it possible, when a guard refused it
        return render_case(case_id, 409, action_error=_("Not possible now: %(why)s", why=said) if said else _(
            "This action is not possible in the case's current state. The page now shows the current state."),
            **kept)
    raise exc


@bp.route("/cases/<int:case_id>/fire", methods=["POST"])
@login_required
def fire_trigger(case_id: int) -> Any:
    """Take one of the allowed actions."""
    trigger = request.form.get("trigger", "")
    text = request.form.get("comment", "")
    try:
        fire(eng(), case_id, trigger, actor(), comment=text or None, expected_version=expected_version(), now=now())
    except EngineError as exc:
        return _refused(case_id, exc, kept_trigger=trigger, kept_comment=text)
    flash(_("Done: the case is updated."), "info")
    return redirect(url_for("cases.show", case_id=case_id))


@bp.route("/cases/<int:case_id>/assign", methods=["POST"])
@login_required
def assign(case_id: int) -> Any:
    """Give the case to a person."""
    user = request.form.get("other_user", "").strip() or request.form.get("user", "").strip()
    try:
        if not user:
            raise ValidationError("assignee", "Choose a person to assign the case to.")
        casework.assign(eng(), case_id, actor(), user=user, expected_version=expected_version(), now=now())
    except EngineError as exc:
        if request.form.get("back", "").startswith("/chair") and not isinstance(exc, NotFound):
            # from the overview: say it there, and stay there
            flash(_("Case %(id)s: %(problem)s", id=case_id, problem=engine_message(exc)), "error")
            return redirect(_back(case_id))
        return _refused(case_id, exc, kept_user=user)
    flash(_("The case is assigned."), "info")
    return redirect(_back(case_id))


def _back(case_id: int) -> str:
    """Where a form that came from the overview or the case page goes back to (nowhere else)."""
    back = request.form.get("back", "")
    if back in (f"/cases/{case_id}", "/chair") or back.startswith("/chair?sort=") and back[12:].isalpha():
        return back
    return url_for("cases.show", case_id=case_id)


@bp.route("/cases/<int:case_id>/claim", methods=["POST"])
@login_required
def claim(case_id: int) -> Any:
    """Take the case oneself."""
    try:
        casework.claim(eng(), case_id, actor(), expected_version=expected_version(), now=now())
    except EngineError as exc:
        return _refused(case_id, exc)
    flash(_("You now hold the case."), "info")
    return redirect(url_for("cases.show", case_id=case_id))


@bp.route("/cases/<int:case_id>/comment", methods=["POST"])
@login_required
def comment(case_id: int) -> Any:
    """Add a comment."""
    body = request.form.get("body", "")
    try:
        casework.comment(eng(), case_id, actor(), body, now=now())
    except EngineError as exc:
        if isinstance(exc, ValidationError):
            exc = ValidationError("body", str(exc))
        return _refused(case_id, exc, kept_body=body)
    flash(_("Your comment is saved."), "info")
    return redirect(url_for("cases.show", case_id=case_id) + "#comments")


@bp.route("/cases/<int:case_id>/follow", methods=["POST"])
@login_required
def follow(case_id: int) -> Any:
    """Follow the case, or stop following it (`on=0`)."""
    on = request.form.get("on", "1") == "1"
    try:
        casework.follow(eng(), case_id, actor(), on=on, now=now())
    except EngineError as exc:
        return _refused(case_id, exc)
    flash(_("You follow the case: you are told when it changes or gets a comment.") if on else
          _("You no longer follow the case."), "info")
    return redirect(url_for("cases.show", case_id=case_id))


@bp.route("/cases/<int:case_id>/remind", methods=["POST"])
@login_required
def send_reminder(case_id: int) -> Any:
    """Remind whoever holds the case (the chair's one click)."""
    try:
        remind(eng(), case_id, actor(), now())
    except EngineError as exc:
        if isinstance(exc, NotFound):
            abort(404)
        if isinstance(exc, Forbidden):
            abort(403)
        flash(engine_message(exc), "error")
    else:
        flash(_("A reminder is sent about case %(id)s.", id=case_id), "info")
    return redirect(_back(case_id))
