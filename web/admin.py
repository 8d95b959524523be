"""Administration: users (create, disable, enable, reset password, roles and groups) and failed notifications."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Regexp
from wtforms.validators import ValidationError as FieldError

from engine.accounts import admin as engine_admin
from engine.accounts.passwords import check_strength
from engine.accounts.users import check_name
from engine.kernel.errors import EngineError, Forbidden, NotFound, ValidationError
from engine.policy.access import may_administer
from web.engine_messages import engine_message
from web.formatting import choices
from web.support import actor, eng, now

__all__ = ["bp"]

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _only_admins() -> None:
    if not may_administer(actor()):
        abort(403)


class UserForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(min=2, max=64)])
    name = StringField(_l("Full name"), validators=[DataRequired()])
    email = StringField(_l("E-mail"), validators=[DataRequired(), Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                                                                         message=_l("Write a valid e-mail address."))])
    password = PasswordField(_l("Password (at least 12 characters, not a common one)"), validators=[DataRequired()])
    language = SelectField(_l("Language"), choices=choices([("sv", "Svenska"), ("en", "English")]))
    roles = StringField(_l("Roles, as role:group separated by commas (e.g. official:socialnamnden)"))

    def validate_password(self, field: PasswordField) -> None:
        """Say why a password is refused with the other mistakes (the engine checks it again on saving)."""
        try:
            check_strength(field.data or "", (self.username.data or "", self.name.data or "", self.email.data or ""))
        except ValidationError as exc:
            raise FieldError(engine_message(exc)) from exc

    def validate_name(self, field: StringField) -> None:
        """A pasted line break would break every message to the person: say so with the other mistakes."""
        try:
            check_name(field.data or "")
        except ValidationError as exc:
            raise FieldError(engine_message(exc)) from exc

    def validate_roles(self, field: StringField) -> None:
        """Say a malformed list with the other mistakes, not only once they are mended."""
        try:
            _pairs(field.data or "")
        except ValidationError as exc:
            raise FieldError(engine_message(exc)) from exc


def _pairs(text: str) -> list[tuple[str, str]]:
    pairs = []
    for item in filter(None, (p.strip() for p in text.split(","))):
        role, sep, group = item.partition(":")
        if not sep or not role or not group:
            raise ValidationError("roles", f"Write each role as role:group, not {item!r}.",
                                  code="role_format", params={"item": item})
        pairs.append((role.strip(), group.strip()))
    return pairs


def _summary(form: UserForm, row_errors: dict[str, dict[str, str]]) -> list[tuple[str, str]]:
    """(element id, message) for every error on the page: the summary at the top links to each."""
    out = [(f"{field}-{username}", f"{username}: {message}")
           for username, fields in row_errors.items() for field, message in fields.items()]
    out += [(f.id, f"{f.label.text}: {' '.join(map(str, f.errors))}")
            for f in form if f.errors and f.type != "CSRFTokenField"]
    return out


def _page(form: UserForm, status: int = 200, *, row_errors: dict[str, dict[str, str]] | None = None,
          kept_roles: dict[str, str] | None = None) -> Any:
    row_errors = row_errors or {}
    return render_template("admin_users.html", form=form, users=engine_admin.users(eng(), actor()),
                           unchaired=engine_admin.agreements_without_chair(eng(), actor()),
                           cfg=eng().config, row_errors=row_errors, kept_roles=kept_roles or {},
                           summary=_summary(form, row_errors)), status


# Which field of the user form an engine error is about (the engine names roles and groups apart).
_FORM_FIELD = {"role": "roles", "group": "roles"}


@bp.route("/users", methods=["GET", "POST"])
def users() -> Any:
    """The list of users and the form to create one."""
    form = UserForm()
    if form.validate_on_submit():
        try:
            # DataRequired has checked these four; WTForms types them str | None all the same.
            engine_admin.create_user(eng(), actor(), (form.username.data or "").strip(), name=form.name.data or "",
                                     email=(form.email.data or "").strip(), password=form.password.data or "",
                                     roles=_pairs(form.roles.data or ""), now=now(),
                                     language=form.language.data)
        except ValidationError as exc:
            field = getattr(form, _FORM_FIELD.get(exc.field, exc.field), form.username)
            field.errors = [*field.errors, engine_message(exc)]
            return _page(form, 400)
        flash(_("User %(name)s is created.", name=form.username.data), "info")
        return redirect(url_for("admin.users"))
    return _page(form, 400 if request.method == "POST" else 200)


def _user_action(username: str, field: str, fn: Callable[[], None], done: str, kept_roles: str | None = None) -> Any:
    """Run `fn`; on a refusal, show the list again with the error at `field` of that user's row."""
    try:
        fn()
    except NotFound:
        abort(404)
    except EngineError as exc:
        kept = {username: kept_roles} if kept_roles is not None else {}
        return _page(UserForm(formdata=None), 403 if isinstance(exc, Forbidden) else 400,
                     row_errors={username: {field: engine_message(exc)}}, kept_roles=kept)
    flash(done, "info")
    return redirect(url_for("admin.users"))


@bp.route("/users/<username>/disable", methods=["POST"])
def disable(username: str) -> Any:
    """Disable a user (their sessions end)."""
    return _user_action(username, "account", lambda: engine_admin.disable(eng(), actor(), username),
                        _("%(user)s is disabled.", user=username))


@bp.route("/users/<username>/enable", methods=["POST"])
def enable(username: str) -> Any:
    """Enable a disabled user again (they log in with the password they had)."""
    return _user_action(username, "account", lambda: engine_admin.enable(eng(), actor(), username),
                        _("%(user)s is enabled again and can log in.", user=username))


@bp.route("/users/<username>/password", methods=["POST"])
def reset_password(username: str) -> Any:
    """Set a new password for a user."""
    password = request.form.get("password", "")
    return _user_action(username, "pw", lambda: engine_admin.reset_password(eng(), actor(), username, password),
                        _("The password of %(user)s is changed.", user=username))


@bp.route("/users/<username>/roles", methods=["POST"])
def roles(username: str) -> Any:
    """Replace a user's roles and groups; a mistake is shown at the field, with the text as typed."""
    text = request.form.get("roles", "")
    return _user_action(username, "roles",
                        lambda: engine_admin.replace_roles(eng(), actor(), username, _pairs(text)),
                        _("The roles of %(user)s are saved.", user=username), kept_roles=text)


@bp.route("/notifications/failed")
def failed_notifications() -> Any:
    """Notifications that could not be delivered (read-only)."""
    return render_template("admin_failed.html", rows=engine_admin.failed_notices(eng(), actor()))
