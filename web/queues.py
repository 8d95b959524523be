"""Work queues: mine, my groups, unassigned, overdue, with filters and server-side pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Container
from types import SimpleNamespace
from typing import Any

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from engine.cases.overview import COUNT_CAP, group_ids, navigation
from engine.cases.queues import QueueFilter, list_queue
from engine.cases.views import CaseSummary
from engine.kernel.bounds import start_of_day, start_of_next_day
from engine.kernel.errors import ValidationError
from engine.policy.access import CHAIR
from web.agreement import selected_agreement_id
from web.engine_messages import engine_message
from web.formatting import due_status, labels, language, local_date
from web.support import actor, case_linker, eng, now

__all__ = ["FILTERS", "MAX_PAGE", "PAGED", "QUEUE_NAMES", "bp", "display_rows", "navigation_counts", "request_filters"]

bp = Blueprint("queues", __name__)
QUEUE_NAMES = ("mine", "group", "unassigned", "overdue")  # the header's queues
# A queue page for each, and for all that waits for the person ("Att göra" shows its first few).
PAGED = (*QUEUE_NAMES, "todo")
# The query parameters a queue page reads; its links carry these and nothing else, so a crafted
# `?_external=1&_scheme=...` or `?name=...` never reaches url_for.
FILTERS = ("workflow", "state", "focus_area", "group", "due_from", "due_to")
MAX_PAGE = 100_000  # a larger page number would overflow the databases' integers; nobody pages that far


def navigation_counts() -> tuple[dict[str, int], int]:
    """The header's queue counts and unread notices, read once per request in one transaction
    (an error page that must not touch the database sets them in `g` beforehand)."""
    if "nav_counts" not in g:
        g.nav_counts, g.unread = (navigation(eng(), actor(), now(),
                                             filters=QueueFilter(agreement_id=selected_agreement_id()))
                                  if current_user.is_authenticated else ({}, 0))
    return g.nav_counts, g.unread


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    # Read here, before the template renders: templates only show values.
    counts, unread = navigation_counts()
    return {"nav_counts": counts, "unread_notices": unread, "queue_names": QUEUE_NAMES, "count_cap": COUNT_CAP}


def _day(name: str, errors: dict[str, str]) -> dt.date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = _("Write the date as YYYY-MM-DD, for example 2027-03-01.")
        return None


def _known(name: str, allowed: Container[str], message: str, errors: dict[str, str]) -> str | None:
    """The filter `name` if it is one of `allowed`; else the message at its field, and no filter."""
    value = request.args.get(name) or None
    if value is not None and value not in allowed:
        errors[name] = message
        return None
    return value


def request_filters(errors: dict[str, str]) -> QueueFilter:
    """The queue filters of the request's query string; a wrong one is named in `errors` and left out."""
    tz, registry = eng().tz, eng().registry
    ids = group_ids(eng()) if request.args.get("group") else {}  # read only when a group is asked for
    group = _known("group", ids, _("Unknown group; choose one from the list."), errors)
    workflow = _known("workflow", registry.current, _("Unknown workflow; choose one from the list."), errors)
    states = {s for d in registry.current.values() for s in d.states}
    state = _known("state", states, _("Unknown state; choose one from the list."), errors)
    focus = _known("focus_area", eng().config.focus_area_keys, _("Unknown focus area; choose one from the list."),
                   errors)
    start, end = _day("due_from", errors), _day("due_to", errors)
    return QueueFilter(
        workflow=workflow, state=state, focus_area=focus,
        group_id=ids[group] if group else None, agreement_id=selected_agreement_id(),
        due_after=start_of_day(start, tz) if start else None,
        due_before=start_of_next_day(end, tz) if end else None,
    )


def display_rows(rows: list[CaseSummary]) -> list[SimpleNamespace]:
    """The queue's rows with their labels, local due date and due status worked out once here,
    rather than by a dozen template calls per row."""
    names, when, lang = labels(), now(), language()
    me, you = actor().username, _("you")  # "Väntar på: dig" rather than one's own name
    show, claim = case_linker("cases.show"), case_linker("cases.claim")
    return [SimpleNamespace(**c, href=show(c["id"]), claim_href=claim(c["id"]),
                            waiting=", ".join(you if w["kind"] == "user" and w["key"] == me else w["label"][lang]
                                              for w in c.get("waiting_for", [])),
                            workflow_label=names.of_workflow(c["workflow"]),
                            state_label=names.of_state(c["workflow"], c["state"]),
                            group_label=names.of_group(c["group"]), focus_label=names.of_focus(c["focus_area"]),
                            due_date=local_date(c["due_at"]), due_status=due_status(c, when)) for c in rows]


@bp.route("/")
@login_required
def index() -> Any:
    """Start page: the chair lands on the overview of what is late; everyone else on "Att göra"."""
    if CHAIR in actor().roles:
        return redirect(url_for("chair.overview"))
    return todo()


# Cards per section of "Att göra": the soonest due of each, a phone's few screens rather than fifty cards; the
# rest are a link away, on the queue pages of all that waits for the person and of the groups' untaken cases.
TODO_SIZE = 10


@bp.route("/todo")
@login_required
def todo() -> Any:
    """What waits for me in person (signatures, approvals, cases given to me), then my groups' cases that
    nobody has taken, soonest due first, with how many of each there are."""
    counts, _unread = navigation_counts()
    filters = QueueFilter(agreement_id=selected_agreement_id())
    yours = display_rows(list_queue(eng(), actor(), "todo", filters=filters, limit=TODO_SIZE, now=now()))
    untaken = display_rows(list_queue(eng(), actor(), "unassigned", filters=filters, limit=TODO_SIZE, now=now()))
    due = _("Due %(date)s")  # translated once; a template's `_(..., date=)` per card escapes through Markup's slow `%`
    for row in (*yours, *untaken):
        row.due_text = due % {"date": row.due_date} if row.due_date else ""
    return render_template("todo.html", yours=yours, untaken=untaken,
                           n_yours=counts.get("todo", len(yours)), n_untaken=counts.get("unassigned", len(untaken)))


@bp.route("/queues/<name>")
@login_required
def queue(name: str) -> Any:
    """One queue, soonest due first, one page at a time."""
    if name not in PAGED:
        abort(404)
    errors: dict[str, str] = {}
    filters = request_filters(errors)
    page = min(max(1, request.args.get("page", 1, type=int) or 1), MAX_PAGE)
    size = current_app.config["PAGE_SIZE"]
    try:
        rows = list_queue(eng(), actor(), name, filters=filters, limit=size + 1, offset=(page - 1) * size,
                          now=now())
    except ValidationError as exc:
        errors[exc.field] = engine_message(exc)
        rows = []
    args = {k: request.args[k] for k in FILTERS if request.args.get(k)}
    return render_template("queue.html", name=name, rows=display_rows(rows[:size]), page=page,
                           has_next=len(rows) > size, args=args, errors=errors)
