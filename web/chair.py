"""The chair's overview: totals first, then what is overdue, sortable; remind several at once; reassign."""

from __future__ import annotations

from typing import Any, NamedTuple

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required
from markupsafe import Markup, escape

from engine.cases.overview import SORTS, OverdueCase, chair_overview, members_of
from engine.cases.reminders import remind_many
from engine.kernel.errors import Forbidden
from web.agreement import selected_agreement_id
from web.formatting import labels, local_date
from web.queues import MAX_PAGE, navigation_counts
from web.support import actor, case_linker, eng, now

__all__ = ["bp"]

bp = Blueprint("chair", __name__)


def _sort() -> str:
    chosen = request.values.get("sort", "overdue")
    return chosen if chosen in SORTS else "overdue"


@bp.route("/chair")
@login_required
def overview() -> Any:
    """Totals, then the overdue cases with who holds them and when they were last reminded (chair)."""
    page = min(max(1, request.args.get("page", 1, type=int) or 1), MAX_PAGE)
    # What waits for the chair is the header's "Att göra" count, in the same agreement: read once for both.
    waiting = navigation_counts()[0].get("todo")
    found = chair_overview(eng(), actor(), now(), sort=_sort(), agreement_id=selected_agreement_id(), page=page,
                           waiting_for_you=waiting)
    return render_template("chair.html", overview=found, rows=_rows(found["cases"]), now=now())


class _Row(NamedTuple):
    """One row of the overview, every value escaped here: the template puts them in as they are."""

    id: int
    title: Markup
    href: str  # a URL of this site built from the case number: nothing to escape
    assign_href: str
    pick: Markup
    give: Markup
    kind: Markup
    group: Markup
    due: Markup
    late: Markup
    holder: Markup
    reminded: Markup
    options: Markup


def _rows(cases: list[OverdueCase]) -> list[_Row]:
    """What each row of the overview shows, its texts put together and escaped here, not in the template.

    A page lists up to 25 rows; translating, formatting, escaping and building links and a
    reassign list value by value in the template cost more than everything else on the page.
    Here every text is translated once per page (the days overdue once per number of days),
    each group's people are made into `<option>`s once, and a row only puts its own values in.
    """
    names = labels()
    members = members_of(eng(), (c["group"] for c in cases))
    options = {group: "".join(f'<option value="{escape(u)}">{escape(n)}</option>' for u, n in people)
               for group, people in members.items()}
    show, assign = case_linker("cases.show"), case_linker("cases.assign")
    # Without values flask_babel's gettext gives the translated pattern itself: escaped once here, a row's
    # number put in by plain string formatting (a number needs no escaping).
    pick, give = str(escape(_("Select case %(id)s"))), str(escape(_("Give case %(id)s to")))
    by, nobody, never = str(escape(_("%(when)s by %(name)s"))), escape(_("nobody (the group)")), escape(_("never"))
    late: dict[int, Markup] = {}  # per number of days
    kind: dict[tuple[str, str], Markup] = {}  # per workflow and state
    group: dict[str | None, Markup] = {}
    rows = []
    for c in cases:
        cid, holder, days, key = c["id"], c["assignee"], c["days_overdue"], c["group"]
        shape = (c["workflow"], c["state"])
        listed = options.get(key or "", "")
        if holder:
            mine = f'<option value="{escape(holder)}">'
            listed = listed.replace(mine, mine[:-1] + " selected>", 1)
        if days not in late:
            late[days] = escape(ngettext("%(num)d day overdue", "%(num)d days overdue", days))
        if shape not in kind:
            kind[shape] = escape(f"{names.of_workflow(shape[0])} · {names.of_state(*shape)}")
        if key not in group:
            group[key] = escape(names.of_group(key))
        when = c["last_reminded_at"]
        rows.append(_Row(
            id=cid, title=escape(c["title"]), href=show(cid), assign_href=assign(cid),
            pick=Markup(pick % {"id": cid}), give=Markup(give % {"id": cid}),  # noqa: S704 - escaped above
            kind=kind[shape], group=group[key], due=escape(c["due_on"] or "–"), late=late[days],
            holder=escape(c["assignee_name"]) if holder else nobody,
            reminded=Markup(by % {"when": escape(local_date(when)), "name": escape(c["last_reminded_by"])})  # noqa: S704
            if when else never,
            options=Markup(listed)))  # noqa: S704 - every user name and display name is escaped above
    return rows


@bp.route("/chair/remind", methods=["POST"])
@login_required
def remind_selected() -> Any:
    """Remind whoever holds each chosen case, in one go."""
    ids = [int(v) for v in request.form.getlist("case") if v.isdigit() and 0 < int(v) < 2**31]
    back = url_for("chair.overview", sort=_sort())
    if not ids:
        flash(_("Choose the cases to remind about first."), "error")
        return redirect(back)
    try:
        result = remind_many(eng(), ids, actor(), now())
    except Forbidden:
        abort(403)
    if result.reminded:
        flash(ngettext("A reminder is sent about %(num)d case: %(ids)s.",
                       "Reminders are sent about %(num)d cases: %(ids)s.", len(result.reminded),
                       ids=", ".join(f"#{i}" for i in result.reminded)), "info")
    if result.refused:
        flash(_("No reminder about %(ids)s: closed meanwhile, or not yours to remind about.",
                ids=", ".join(f"#{i}" for i in result.refused)), "error")
    return redirect(back)
