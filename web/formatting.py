"""Language choice, Stockholm times and labels for keys, for the templates (which never query)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask, current_app, session
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

__all__ = ["init_app", "language", "parse_time", "select_locale"]

DUE_SOON = dt.timedelta(days=3)


def select_locale() -> str:
    """The user's language if logged in, else the one chosen on the log-in page, else the default."""
    if getattr(current_user, "is_authenticated", False):
        return str(current_user.language)
    chosen = session.get("lang")
    return chosen if chosen in ("sv", "en") else current_app.extensions["samverkan"].config.language


def language() -> str:
    """"sv" or "en" for this request."""
    return str(get_locale() or "sv")


def parse_time(value: Any) -> dt.datetime | None:
    """An aware datetime from an engine value (datetime or ISO string with Z)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _config() -> Any:
    return current_app.extensions["samverkan"].config


def _registry() -> Any:
    return current_app.extensions["samverkan"].engine.registry


def local_time(value: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """The time in the deployment's zone (Europe/Stockholm)."""
    when = parse_time(value)
    return when.astimezone(_config().tz).strftime(fmt) if when else "–"


def local_date(value: Any) -> str:
    """The local date of a time."""
    return local_time(value, "%Y-%m-%d")


def _labelled(items: Any, key: str | None) -> str:
    for item in items:
        if item.key == key:
            return str(item.label(language()))
    return key or "–"


def group_label(key: str | None) -> str:
    """A group's name in the current language."""
    return _labelled(_config().groups, key)


def focus_label(key: str | None) -> str:
    """A focus area's name in the current language."""
    return _labelled(_config().focus_areas, key)


def role_label(key: str | None) -> str:
    """A role's name in the current language."""
    return _labelled(_config().roles, key)


def workflow_label(key: str) -> str:
    """A workflow's name in the current language."""
    d = _registry().current.get(key)
    return d.label.get(language()) if d else key


def state_label(workflow: str, state: str | None) -> str:
    """A state's name in the current language."""
    d = _registry().current.get(workflow)
    if d is None or state not in d.states:
        return state or "–"
    return str(d.states[state].label.get(language()))


def trigger_label(workflow: str, trigger: str) -> str:
    """A transition's label; "@open"/"@assign" are the engine's own log entries."""
    special = {"@open": _("Opened"), "@assign": _("Assigned")}
    if trigger in special:
        return special[trigger]
    d = _registry().current.get(workflow)
    return d.trigger_label(trigger, language()) if d else trigger


def due_status(case: dict[str, Any], now: dt.datetime) -> str:
    """"overdue", "soon" or "" for a case summary."""
    due = parse_time(case.get("due_at"))
    if case.get("overdue"):
        return "overdue"
    if due is not None and not case.get("closed_at") and due - now <= DUE_SOON:
        return "soon"
    return ""


def priority_label(key: str) -> str:
    """A priority in the current language."""
    return {"low": _("Low"), "normal": _("Normal"), "high": _("High")}.get(key, key)


def init_app(app: Flask) -> None:
    """Register filters and template globals."""
    app.jinja_env.filters.update(localtime=local_time, localdate=local_date)
    app.jinja_env.globals.update(
        group_label=group_label, focus_label=focus_label, role_label=role_label,
        workflow_label=workflow_label, state_label=state_label, trigger_label=trigger_label,
        due_status=due_status, priority_label=priority_label, language=language,
    )


def choices(pairs: Any) -> list[Any]:
    """Select choices from (value, label) pairs, in the shape the installed WTForms wants."""
    try:
        from wtforms import SelectChoice
    except ImportError:  # WTForms before 3.3 takes tuples
        return list(pairs)
    return [SelectChoice(v, label) for v, label in pairs]
