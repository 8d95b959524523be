"""Log-in, log-out and the user's settings; Flask-Login with a per-user session nonce."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Optional

from engine.accounts.auth import (
    LoginRefused,
    delivery_mode,
    end_sessions,
    log_in,
    session_user,
    set_delivery_mode,
    set_language,
)
from engine.kernel.actors import Actor
from engine.kernel.errors import ValidationError
from engine.policy.access import may_administer, may_see_overview
from web import relogin, sessions
from web.engine_messages import engine_message
from web.formatting import choices
from web.support import eng, now, safe_next

__all__ = ["WebUser", "bp", "init_login"]

bp = Blueprint("auth", __name__)


class WebUser(UserMixin):
    """Flask-Login's view of the logged-in Actor; the session id includes the nonce so old cookies die with it.

    What the person may do is asked of `engine.policy` with `actor`, never decided here.
    """

    def __init__(self, actor: Actor, nonce: str) -> None:
        assert actor.user_id is not None
        self.actor, self.nonce = actor, nonce
        self.id, self.name, self.language = actor.user_id, actor.name, actor.language

    def get_id(self) -> str:
        return f"{self.id}:{self.nonce}"


def init_login(app: Flask) -> None:
    """Set up Flask-Login (strong session protection, no remember-me) and what templates may ask of the policy."""
    # Templates ask the engine's policy about `current_user.actor`; they never weigh roles themselves.
    app.jinja_env.globals.update(may_see_overview=may_see_overview, may_administer=may_administer)
    manager = LoginManager(app)
    manager.session_protection = "strong"
    manager.login_view = "auth.login"

    @manager.user_loader
    def _load(user_id: str) -> WebUser | None:
        uid, _sep, nonce = user_id.partition(":")
        if not uid.isdigit():
            return None
        found = session_user(eng(), int(uid), nonce)
        return WebUser(found, nonce) if found else None

    manager.unauthorized_handler(_unauthorized)


def _unauthorized() -> Any:
    """To the log-in page, saying why when a session ended; a refused form keeps what was typed."""
    if request.method != "POST":
        if relogin.stale_user_id() is not None:
            flash(sessions.ended_message()
                  or _("You were logged out, perhaps on another device. Log in again to continue."), "info")
        return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))
    target = relogin.target_for_post()
    kept, too_long = relogin.keep_form(target)
    lost = _("You were logged out (perhaps on another device), so what you sent was not saved.")
    if too_long:
        flash(f"{lost} " + _("Your text is too long to keep until you have logged in: copy it from below, "
                             "log in again and paste it."), "error")
        return render_template("login.html", form=LoginForm(formdata=None), error=None, next=target,
                               kept_text=too_long), 401
    flash(f"{lost} " + (_("Log in again, and what you wrote is filled in again.") if kept else
                        _("Log in again and do it once more.")), "error")
    return redirect(url_for("auth.login", next=target))


class LoginForm(FlaskForm):
    username = StringField("username", validators=[DataRequired()])
    password = PasswordField("password", validators=[DataRequired()])


def _address() -> str:
    # The client's own address: ProxyFix has put it here from trusted proxies' X-Forwarded-For.
    return request.remote_addr or "unknown"


def _refusal(exc: LoginRefused) -> tuple[str, int, dict[str, str]]:
    """The message, status and headers for a refused log-in."""
    if exc.reason != "throttled":
        return _("Wrong user name or password, or the account is disabled. Check them and try again."), 401, {}
    seconds = exc.retry_after
    wait = (ngettext("%(num)d second", "%(num)d seconds", seconds) if seconds < 120 else
            ngettext("%(num)d minute", "%(num)d minutes", -(-seconds // 60)))
    return (_("Too many failed log-ins from here. Wait %(wait)s and try again, or ask an administrator "
              "to reset your password.", wait=wait), 429, {"Retry-After": str(seconds)})


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The log-in form; `next` is followed only within this site."""
    target = safe_next(request.values.get("next"), url_for("queues.index"))
    if current_user.is_authenticated:
        return redirect(target)
    form = LoginForm()
    error: str | None = None
    status, headers = 200, dict[str, str]()
    if form.validate_on_submit():
        try:
            user, nonce = log_in(eng(), form.username.data or "", form.password.data or "", _address(), now())
        except LoginRefused as exc:
            error, status, headers = _refusal(exc)
        else:
            person = WebUser(user, nonce)
            relogin.fresh_session(person.id)
            login_user(person)
            sessions.start()
            return redirect(target)
    elif request.method == "POST":
        error, status = _("Fill in both user name and password."), 400
    return render_template("login.html", form=form, error=error, next=target), status, headers


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    """End this and every other session of the user (a copied cookie stops working)."""
    if current_user.is_authenticated:  # else it ended already, perhaps on another device
        end_sessions(eng(), current_user.id)
        logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/lang", methods=["POST"])
def choose_language() -> Any:
    """Choose the language before logging in."""
    lang = request.form.get("lang", "sv")
    session["lang"] = lang if lang in ("sv", "en") else "sv"
    return redirect(url_for("auth.login"))


class SettingsForm(FlaskForm):
    language = SelectField("language", choices=choices([("sv", "Svenska"), ("en", "English")]))
    # Choices name the digest hour, so they are set per request; a form without it keeps the current choice.
    delivery = RadioField(_l("E-mail about your cases"), validators=[Optional()])


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings() -> Any:
    """The user's own settings: interface language, and e-mail at once or in one daily digest."""
    form = SettingsForm(language=current_user.language, delivery=delivery_mode(eng(), current_user.id))
    hour = f"{eng().config.notifications.digest_hour:02d}:00"
    form.delivery.choices = choices([("immediate", _("Every message at once")),
                                     ("daily", _("One daily digest at %(hour)s", hour=hour))])
    status = 200
    if form.validate_on_submit():
        try:
            set_language(eng(), current_user.id, form.language.data)
            set_delivery_mode(eng(), current_user.id, form.delivery.data, now())
        except ValidationError as exc:
            field = form.delivery if exc.field == "mode" else form.language
            field.errors = [*field.errors, engine_message(exc)]
            status = 400
        else:
            flash(_("Your settings are saved."), "info")
            return redirect(url_for("auth.settings"))
    elif request.method == "POST":
        status = 400
    return render_template("settings.html", form=form), status
