"""Demo data: role accounts with fictitious names and a handful of realistic cases."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from engine.accounts.users import actor_for, add_user
from engine.cases.commands import OpenRequest, open_in
from engine.cases.firing import fire_in, load_visible
from engine.runtime.engine import Engine
from engine.store.models import User

__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "load_demo"]

DEMO_PASSWORD = "trygghet-i-hoor-demo"

# (username, name, [(role, group)]) — role accounts, never the agreement's signatories.
DEMO_USERS: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("ordforande", "Karin Ek (ordförande)", [("chair", "trygghetsgruppen"), ("chair", "ksau")]),
    ("polis", "Johan Berg (närpolischef)", [("police", "polisen"), ("member", "trygghetsgruppen")]),
    ("socialchef", "Maria Lind (socialchef)", [("official", "socialnamnden"), ("member", "trygghetsgruppen")]),
    ("fritidschef", "Anders Holm (fritidschef)", [("official", "kultur_fritid"), ("member", "trygghetsgruppen")]),
    ("skolchef", "Eva Sjö (skolchef)", [("official", "barn_utbildning"), ("member", "trygghetsgruppen")]),
    ("kanslichef", "Lars Dahl (kanslichef)", [("official", "forvaltningen"), ("member", "trygghetsgruppen"),
                                             ("official", "ksau")]),
    ("raddningschef", "Sara Nord (räddningschef)", [("official", "forvaltningen"), ("member", "trygghetsgruppen")]),
    ("vaktbolag", "Per Alm (vaktbolag)", [("security", "trygghetsgruppen")]),
    ("admin", "Systemadministratör", [("admin", "forvaltningen")]),
]


def _cases(eng: Engine, now: dt.datetime) -> None:
    with eng.db.write() as s:
        def open_(who: str, req: OpenRequest, at: dt.datetime) -> int:
            case = open_in(eng, s, req, actor_for(s, who), at)
            assert case.id is not None
            return case.id

        def step(case_id: int, trigger: str, who: str, at: dt.datetime, comment: str | None = None) -> None:
            actor = actor_for(s, who)
            fire_in(eng, s, load_visible(s, case_id, actor, lock=True), trigger, actor, at, comment)

        day = dt.timedelta(days=1)
        # Meetings and reviews are opened by the schedule (their workflows are system_only).
        meeting = open_("system", OpenRequest(
            "safety_group_meeting", "Trygghetsgruppens möte, vår", group="trygghetsgruppen",
            event_at=now - 10 * day), now - 40 * day)
        step(meeting, "send_agenda", "ordforande", now - 20 * day)
        step(meeting, "hold", "ordforande", now - 10 * day,
             "Genomgång av lägesbild; beslut om åtgärder mot mopedbuskörning och klotter.")
        a1 = open_("ordforande", OpenRequest(
            "action", "Kartlägg mopedbuskörning vid Ringsjöstrand", group="polisen",
            focus_area="traffic", assignee="polis", parent_id=meeting), now - 30 * day)
        step(a1, "assign", "ordforande", now - 29 * day)
        step(a1, "start", "polis", now - 25 * day)
        open_("fritidschef", OpenRequest(
            "action", "Sanera klotter vid stationen inom 24 timmar", group="kultur_fritid",
            focus_area="vandalism", parent_id=meeting), now - 5 * day)
        open_("socialchef", OpenRequest(
            "action", "Informationsträff för föräldrar till tonåringar (Örebromodellen)",
            group="socialnamnden", focus_area="drugs", assignee="socialchef"), now - 3 * day)
        acute = open_("polis", OpenRequest(
            "acute_matter", "Oro för narkotikaförsäljning nära skolan", group="polisen",
            focus_area="drugs", confidential=True, priority="high"), now - 2 * day)
        step(acute, "triage", "polis", now - 2 * day + dt.timedelta(hours=3))
        review = open_("system", OpenRequest(
            "monthly_review", "Gemensam månadsgenomgång", group="trygghetsgruppen",
            event_at=now - 6 * day), now - 15 * day)
        step(review, "hold", "polis", now - 6 * day)


def load_demo(eng: Engine, now: dt.datetime) -> bool:
    """Add the demo users and cases once; False if they are already there."""
    with eng.db.write() as s:
        if s.exec(select(User.id).where(User.username == "ordforande")).first() is not None:
            return False
        for username, name, roles in DEMO_USERS:
            add_user(s, eng.config, username, name=name, email=f"{username}@example.hoor.se",
                     now=now, roles=roles, password=DEMO_PASSWORD)
    _cases(eng, now)
    return True
