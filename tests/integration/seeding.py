"""A small but complete history, made by moving the clock: shared by the transfer and report tests.

Starting at T0 (2027-02-10, in the agreement period 2026-10-15..2027-10-15) and ending
60 days later, it leaves (per focus area): drugs 2 opened and closed after 5 and 10 days;
burglary 1 open and overdue; violence 1 closed after 1 day; safety 1 open, not yet due.
Obligations: the Police's annual information presented and closed, three safety group
meetings held, two monthly reviews held and published, the renewal extended.
"""

from __future__ import annotations

import datetime as dt

from engine.cases.citizen_info import publish
from engine.cases.commands import OpenRequest, assign, comment, open_case
from engine.cases.firing import fire
from engine.cases.reminders import remind
from engine.runtime.engine import Engine
from tests.doubles import FixedClock

C = "Noted."


def _open(eng: Engine, workflow: str, group: str, **kw: object) -> int:
    who = "system" if eng.registry.get(workflow).system_only else "chair"  # meetings, reports: the schedule
    row = open_case(eng, OpenRequest(workflow, kw.pop("title", f"{workflow} case"), group=group, **kw),  # type: ignore[arg-type]
                    who)
    assert row.id is not None
    return row.id


def seed_history(eng: Engine, clock: FixedClock) -> dict[str, int]:
    """Fill `eng`'s database; returns the ids of the cases by name."""
    ids: dict[str, int] = {}
    ids["a1"] = _open(eng, "action", "socialnamnden", focus_area="drugs", title="Föräldramöte")
    ids["a2"] = _open(eng, "action", "socialnamnden", focus_area="burglary", title="Grannsamverkan")
    ids["a3"] = _open(eng, "action", "socialnamnden", focus_area="drugs", title="Enkät")
    ids["m1"] = _open(eng, "acute_matter", "polisen", focus_area="violence", title="Hot vid skolan")
    ids["annual"] = _open(eng, "police_annual_report", "ksau", title="Polisens information",
                          event_at=clock.now() + dt.timedelta(days=25))
    ids["renewal"] = _open(eng, "agreement_renewal", "trygghetsgruppen", title="Förlängning")
    assign(eng, ids["a1"], "chair", user="member")  # and on to "assigned" (on_assign)
    fire(eng, ids["a1"], "start", "member")
    fire(eng, ids["a1"], "complete", "member", comment=C)
    comment(eng, ids["a2"], "official", "Vi väntar på polisen.")

    clock.advance(days=1)
    fire(eng, ids["m1"], "reject", "police", comment=C)
    meetings = []
    for n in range(3):
        meetings.append(_open(eng, "safety_group_meeting", "trygghetsgruppen", title=f"Möte {n + 1}",
                              event_at=clock.now() + dt.timedelta(days=2)))
    ids["meeting1"] = meetings[0]
    ids["child"] = _open(eng, "action", "socialnamnden", focus_area="safety", title="Belysning",
                         parent_id=meetings[0], due=dt.date(2027, 12, 1))

    clock.advance(days=4)  # day 5
    fire(eng, ids["a1"], "verify", "official")
    for m in meetings:
        fire(eng, m, "send_agenda", "police")
    fire(eng, meetings[0], "hold", "chair", comment=C)

    clock.advance(days=5)  # day 10
    fire(eng, ids["a3"], "cancel", "official", comment=C)
    fire(eng, ids["renewal"], "schedule_discussion", "police")
    for n in range(2):
        review = _open(eng, "monthly_review", "trygghetsgruppen", title=f"Månadsgenomgång {n + 1}",
                       event_at=clock.now())
        fire(eng, review, "hold", "security")
        publish(eng, review, f"Information {n + 1}", "Vi har gått igenom månaden.", "police", comment=C)
        fire(eng, review, "close", "chair")

    clock.advance(days=10)  # day 20
    fire(eng, ids["annual"], "prepare", "police")
    fire(eng, ids["annual"], "present", "police", comment=C)
    fire(eng, meetings[1], "hold", "chair", comment=C)
    fire(eng, meetings[0], "approve_minutes", "police")

    clock.advance(days=10)  # day 30
    fire(eng, ids["annual"], "close", "chair")
    fire(eng, ids["renewal"], "hold_discussion", "chair", comment=C)
    fire(eng, ids["renewal"], "sign", "police")
    fire(eng, ids["renewal"], "sign", "chair")
    fire(eng, meetings[2], "hold", "chair", comment=C)

    clock.advance(days=30)  # day 60: the burglary action is long overdue
    remind(eng, ids["a2"], "chair")  # and the chair reminds about it: an @remind row in the log
    return ids
