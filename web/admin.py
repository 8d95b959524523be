"""Administration: users (create, disable, reset password, roles and groups) and failed notifications."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from engine import admin as engine_admin
from engine.errors import EngineError, NotFound, ValidationError
from web.formatting import choices
from web.support import actor, eng, now

__all__ = ["bp"]

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _only_admins() -> None:
    if not current_user.has_role("admin"):
        abort(403)


class UserForm(FlaskForm):  # type: ignore[misc]
    username = StringField(_l("User name"), validators=[DataRequired(), Length(min=2, max=64)])
    name = StringField(_l("Full name"), validators=[DataRequired()])
    email = StringField(_l("E-mail"), validators=[DataRequired(), Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                                                                         message=_l("Write a valid e-mail address."))])
    password = PasswordField(_l("Password (at least 10 characters)"), validators=[DataRequired(), Length(min=10)])
    language = SelectField(_l("Language"), choices=choices([("sv", "Svenska"), ("en", "English")]))
    roles = StringField(_l("Roles, as role:group separated by commas (e.g. official:socialnamnden)"))


def _pairs(text: str) -> list[tuple[str, str]]:
    pairs = []
    for item in filter(None, (p.strip() for p in text.split(","))):
        role, sep, group = item.partition(":")
        if not sep or not role or not group:
            raise ValidationError("roles", f"Write each role as role:group, not {item!r}.")
        pairs.append((role.strip(), group.strip()))
    return pairs


def _page(form: UserForm, status: int = 200, **extra: Any) -> Any:
    return render_template("admin_users.html", form=form, users=engine_admin.users(eng(), actor()),
                           cfg=eng().config, **extra), status


@bp.route("/users", methods=["GET", "POST"])
def users() -> Any:
    """The list of users and the form to create one."""
    form = UserForm()
    if form.validate_on_submit():
        try:
            engine_admin.create_user(eng(), actor(), form.username.data.strip(), name=form.name.data,
                                     email=form.email.data.strip(), password=form.password.data,
                                     roles=_pairs(form.roles.data or ""), now=now(),
                                     language=form.language.data)
        except ValidationError as exc:
            field = getattr(form, exc.field if exc.field != "role" else "roles", form.username)
            field.errors = [*field.errors, _(str(exc))]
            return _page(form, 400)
        flash(_("User %(name)s is created.", name=form.username.data), "info")
        return redirect(url_for("admin.users"))
    return _page(form, 400 if request.method == "POST" else 200)


def _user_action(username: str, fn: Any, done: str) -> Any:
    try:
        fn()
    except NotFound:
        abort(404)
    except EngineError as exc:
        flash(_("%(user)s: %(problem)s", user=username, problem=_(str(exc))), "error")
        return redirect(url_for("admin.users")), 303
    flash(done, "info")
    return redirect(url_for("admin.users"))


@bp.route("/users/<username>/disable", methods=["POST"])
def disable(username: str) -> Any:
    """Disable a user (their sessions end)."""
    return _user_action(username, lambda: engine_admin.disable(eng(), actor(), username),
                        _("%(user)s is disabled.", user=username))


@bp.route("/users/<username>/password", methods=["POST"])
def reset_password(username: str) -> Any:
    """Set a new password for a user."""
    password = request.form.get("password", "")
    return _user_action(username, lambda: engine_admin.reset_password(eng(), actor(), username, password),
                        _("The password of %(user)s is changed.", user=username))


@bp.route("/users/<username>/roles", methods=["POST"])
def roles(username: str) -> Any:
    """Replace a user's roles and groups."""
    text = request.form.get("roles", "")
    return _user_action(username, lambda: engine_admin.replace_roles(eng(), actor(), username, _pairs(text)),
                        _("The roles of %(user)s are saved.", user=username))


@bp.route("/notifications/failed")
def failed_notifications() -> Any:
    """Notifications that could not be delivered (read-only)."""
    return render_template("admin_failed.html", rows=engine_admin.failed_notices(eng(), actor()))
