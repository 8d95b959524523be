"""Language choice, Stockholm times and labels for keys, for the templates (which never query)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, g, session
from flask_babel import get_locale, get_translations
from flask_babel import gettext as _
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup, escape
from wtforms import SelectChoice  # type: ignore[attr-defined]  # types-WTForms 3.2 predates it

from engine.cases.views import LabelText

__all__ = [
    "Labels", "choices", "due_status", "focus_label", "group_label", "history_line", "init_app", "labels", "language",
    "local_date", "local_time", "parse_time", "priority_label", "role_label", "select_locale", "state_label", "text_of",
    "workflow_label",
]

DUE_SOON = dt.timedelta(days=3)


def select_locale() -> str:
    """The user's language if logged in, else the one chosen on the log-in page, else the default."""
    if getattr(current_user, "is_authenticated", False):
        return str(current_user.language)
    chosen = session.get("lang")
    if chosen in ("sv", "en"):
        return str(chosen)
    return str(current_app.extensions["samverkan"].config.language)


def language() -> str:
    """"sv" or "en" for this request (looked up once per request: templates ask for it per row)."""
    try:
        return g._samverkan_language  # type: ignore[no-any-return]
    except AttributeError:
        g._samverkan_language = str(get_locale() or "sv")
        return g._samverkan_language  # type: ignore[no-any-return]


def _translations() -> Any:
    try:
        return g._samverkan_translations
    except AttributeError:
        g._samverkan_translations = get_translations()
        return g._samverkan_translations


# The templates' `_`, `gettext` and `ngettext`, as Jinja's i18n extension makes them with newstyle=True
# (a format string always, its values escaped where the template escapes), but one call instead of three:
# the extension's alias of `_` and its wrapper each go through the template context again, and a page
# translates fifty to a hundred texts (8 us each; 3 us so).
@pass_context
def _template_gettext(context: Any, message: str, **variables: Any) -> str:
    found = _translations().ugettext(message)
    if context.eval_ctx.autoescape:
        found = Markup(found)
    return found % variables if variables or "%" in found else found  # type: ignore[no-any-return]


@pass_context
def _template_ngettext(context: Any, singular: str, plural: str, n: int, **variables: Any) -> str:
    variables.setdefault("num", n)
    found = _translations().ungettext(singular, plural, n)
    if context.eval_ctx.autoescape:
        found = Markup(found)
    return found % variables  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Labels:
    """The names of the configured keys in one language, built once per language and process."""

    workflow: dict[str, str]
    state: dict[tuple[str, str], str]
    states_of: dict[str, list[tuple[str, str]]]  # workflow → [(state, label)] in definition order
    group: dict[str, str]
    focus: dict[str, str]
    role: dict[str, str]
    agreement: dict[str, str]
    _html: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def options(self, kind: str, chosen: str | None = None) -> Markup:
        """The `<option>`s of one kind of key ("group", "agreement", "focus", "workflow"), `chosen` selected.

        Built once per language and process: a national deployment's 290 agreements and 580 groups
        would otherwise cost every page a few thousand template steps.
        """
        html = self._html.get(kind)
        if html is None:
            html = self._html[kind] = "".join(f'<option value="{escape(k)}">{escape(v)}</option>'
                                              for k, v in getattr(self, kind).items())
        if chosen:
            found = f'<option value="{escape(chosen)}">'
            html = html.replace(found, found[:-1] + " selected>", 1)
        return Markup(html)  # noqa: S704 - every key and label is escaped above

    # The key itself (or "–") where there is no label: a definition or config that changed.
    def of_workflow(self, key: str) -> str:
        return self.workflow.get(key, key)

    def of_state(self, workflow: str, state: str | None) -> str:
        return self.state.get((workflow, state or ""), state or "–")

    def of_group(self, key: str | None) -> str:
        return self.group.get(key or "", key or "–")

    def of_focus(self, key: str | None) -> str:
        return self.focus.get(key or "", key or "–")

    def of_role(self, key: str | None) -> str:
        return self.role.get(key or "", key or "–")


def _build_labels(lang: str) -> Labels:
    config, current = _config(), _registry().current
    return Labels(
        workflow={k: str(d.label.get(lang)) for k, d in current.items()},
        state={(k, s): str(st.label.get(lang)) for k, d in current.items() for s, st in d.states.items()},
        states_of={k: [(s, str(st.label.get(lang))) for s, st in d.states.items()] for k, d in current.items()},
        group={i.key: str(i.label(lang)) for i in config.groups},
        focus={i.key: str(i.label(lang)) for i in config.focus_areas},
        role={i.key: str(i.label(lang)) for i in config.roles},
        agreement={a.key: str(a.title) for a in getattr(config, "agreements", ())},
    )


def labels() -> Labels:
    """The labels in this request's language."""
    lang = language()
    cache: dict[str, Labels] = current_app.extensions.setdefault("samverkan_labels", {})
    found = cache.get(lang)
    if found is None:
        found = cache[lang] = _build_labels(lang)
    return found


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


def group_label(key: str | None) -> str:
    """A group's name in the current language."""
    return labels().of_group(key)


def focus_label(key: str | None) -> str:
    """A focus area's name in the current language."""
    return labels().of_focus(key)


def role_label(key: str | None) -> str:
    """A role's name in the current language."""
    return labels().of_role(key)


def workflow_label(key: str) -> str:
    """A workflow's name in the current language."""
    return labels().of_workflow(key)


def state_label(workflow: str, state: str | None) -> str:
    """A state's name in the current language."""
    return labels().of_state(workflow, state)


def text_of(label: LabelText | None, fallback: str | None) -> str:
    """A label of a read model ({"sv": ..., "en": ...}) in the current language, or `fallback`."""
    if label is None:
        return fallback or "–"
    return label["en"] if language() == "en" else label["sv"]


def history_line(entry: Mapping[str, Any]) -> str:
    """A history entry as a sentence in the past tense with the person's name ("Anders Holm påbörjade")."""
    name = _("The system") if entry["actor"] == "system" else entry.get("actor_name") or entry["actor"]
    trigger = entry["trigger"]
    if trigger == "@open":
        return _("%(name)s opened the case", name=name)
    if trigger == "@remind":
        return _("%(name)s sent a reminder", name=name)
    if trigger == "@attach":
        return _("%(name)s attached a file", name=name)
    if trigger == "@detach":
        return _("%(name)s removed a file", name=name)
    if trigger == "@judge":
        return _("%(name)s judged a measure", name=name)
    if trigger == "@edit":
        return _("%(name)s changed the case", name=name)
    if trigger == "@unassign":
        return _("%(name)s gave the case back", name=name)
    if trigger == "@assign":
        if entry.get("group"):
            return _("%(name)s handed the case over to %(group)s", name=name, group=group_label(entry["group"]))
        if entry.get("assignee") == entry["actor"]:
            return _("%(name)s took the case", name=name)
        return _("%(name)s gave the case to %(person)s", name=name,
                 person=entry.get("assignee_name") or entry.get("assignee") or "–")
    past = entry.get("past")
    if past is not None:
        return f"{name} {text_of(past, trigger)}"
    return f"{name}: {text_of(entry.get('label'), trigger)}"


def due_status(case: Mapping[str, Any], now: dt.datetime) -> str:
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
    # Flask-Babel's template gettext looks up the locale and the catalogue on every string;
    # these look them up once per request (a queue page translates a hundred strings).
    app.jinja_env.newstyle_gettext = True  # type: ignore[attr-defined]
    app.jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext, ngettext=_template_ngettext)
    app.jinja_env.globals.update(
        group_label=group_label, focus_label=focus_label, role_label=role_label,
        workflow_label=workflow_label, state_label=state_label, text_of=text_of,
        history_line=history_line,
        due_status=due_status, priority_label=priority_label, language=language, labels=labels,
    )


def choices(pairs: Iterable[tuple[str, str]]) -> list[Any]:
    """Select choices from (value, label) pairs, as WTForms wants them (it deprecates tuples)."""
    return [SelectChoice(v, label) for v, label in pairs]
