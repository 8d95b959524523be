"""The access policy's Python and SQL forms agree for every demo persona and every demo case.

A list must never show what the case page would refuse, nor hide what it would show: each
rule that a query needs (may see, the roles held on a case, oversees) is asked both ways of
the demo data, plus a few confidential cases that reach every branch of the rules, on
SQLite and PostgreSQL. The queues, the chair's overview and the agreement's obligations are
checked against the Python form too, since they are where the SQL forms are used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import ColumnElement, select
from sqlmodel import Session

from engine.accounts import users
from engine.accounts.users import actor_for
from engine.cases import waiting
from engine.cases.commands import OpenRequest, open_case
from engine.cases.firing import fire
from engine.cases.overview import chair_overview
from engine.cases.periods import sync_from_config
from engine.cases.queues import QUEUES, list_queue
from engine.config.settings import Config
from engine.kernel.actors import SYSTEM, Actor
from engine.kernel.errors import Forbidden
from engine.policy import access
from engine.runtime.engine import Engine
from engine.schedule.obligations import agreement_status
from engine.store.models import CaseRow
from samverkan.bootstrap import build_engine
from samverkan.demo import DEMO_USERS, load_demo
from tests.doubles import FixedClock

_C = CaseRow.__table__  # type: ignore[attr-defined]


@pytest.fixture
def demo(config: Config, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The demo (its personas and cases) on the test database, plus confidential cases the demo lacks."""
    # Argon2 at its least cost: the demo sets nine passwords that no test here uses.
    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    eng = build_engine(config, clock=clock)
    with eng.db.write() as s:
        sync_from_config(s, config, clock.now())
    load_demo(eng, clock.now() - dt.timedelta(days=20))
    day = dt.timedelta(days=1)
    # Confidential, given to someone outside the owning group: seen by the assignee, not by the group's neighbours.
    open_case(eng, OpenRequest("action", "Hembesök", group="socialnamnden", confidential=True,
                               assignee="polis"), "ordforande", now=clock.now() - 3 * day)
    # Confidential and unassigned in a group whose only official is also in the safety group.
    open_case(eng, OpenRequest("action", "Klotter med hot", group="kultur_fritid", confidential=True),
              "fritidschef", now=clock.now() - 40 * day)
    # Confidential and counted by an obligation (a monthly review held): the agreement page filters it.
    review = open_case(eng, OpenRequest("monthly_review", "Genomgång om en enskild", group="socialnamnden",
                                        confidential=True, event_at=clock.now() - 2 * day),
                       "system", now=clock.now() - 5 * day)
    assert review.id is not None
    fire(eng, review.id, "hold", "socialchef", now=clock.now() - 2 * day)
    yield eng
    eng.db.dispose()


def _everyone(session: Session) -> list[Actor]:
    return [actor_for(session, name) for name, _, _ in DEMO_USERS] + [SYSTEM]


def _cases(session: Session) -> list[CaseRow]:
    rows = list(session.execute(select(CaseRow).order_by(CaseRow.id)).scalars())
    for row in rows:  # kept as loaded, to compare with what later reads return
        session.expunge(row)
    return rows


def _ids(session: Session, condition: ColumnElement[bool], params: dict[str, Any] | None = None) -> set[int]:
    return set(session.execute(select(_C.c.id).where(condition), params or {}).scalars())


def test_may_see_and_its_sql_forms_agree(demo: Engine) -> None:
    with demo.db.read() as s:
        cases = _cases(s)
        hidden_from = set()
        for actor in _everyone(s):
            python = {c.id for c in cases if access.may_see(actor, c)}
            assert _ids(s, access.visible(actor)) == python, actor.username
            assert _ids(s, access.seen(access.reach(actor)), access.binds(actor)) == python, actor.username
            if python != {c.id for c in cases}:
                hidden_from.add(actor.username)
    # Not vacuous: confidential cases are hidden from some, and shown to others.
    assert "vaktbolag" in hidden_from
    assert not {"ordforande", "system"} & hidden_from


@pytest.mark.parametrize(("role", "sql"), [("group_member", access.in_own_groups), ("assignee", access.assigned)])
def test_the_roles_held_on_a_case_and_their_sql_forms_agree(demo: Engine, role: str, sql: Any) -> None:
    with demo.db.read() as s:
        cases = _cases(s)
        for actor in _everyone(s):
            python = {c.id for c in cases if role in access.roles_on(actor, c)}
            assert _ids(s, sql(), access.binds(actor)) == python, actor.username


def test_oversees_and_its_sql_form_agree(demo: Engine) -> None:
    with demo.db.read() as s:
        cases = _cases(s)
        for actor in _everyone(s):
            python = {c.id for c in cases if access.oversees(actor, c)}
            assert _ids(s, access.overseen(access.reach(actor)), access.binds(actor)) == python, actor.username
        chair = actor_for(s, "ordforande")
        assert all(access.oversees(chair, c) for c in cases), "the chair answers for every group"


def _queue_by_policy(queue: str, actor: Actor, case: CaseRow, now: dt.datetime, waits: bool) -> bool:
    """Each queue as the policy's Python form says it: what the SQL statements must return."""
    roles = access.roles_on(actor, case)
    in_queue = {
        "todo": case.is_open and waits,
        "mine": case.is_open and "assignee" in roles,
        "group": case.is_open and "group_member" in roles,
        "unassigned": case.is_open and case.assignee_id is None and access.oversees(actor, case),
        "overdue": case.is_open and case.due_at is not None and case.due_at < now,
        "all": True,
    }[queue]
    return in_queue and access.may_see(actor, case)


def test_every_queue_holds_what_the_policy_says_for_every_persona(demo: Engine) -> None:
    now = demo.now()
    with demo.db.read() as s:
        cases, people = _cases(s), _everyone(s)
        waits = {(a.username, c.id) for a in people for c in cases if waiting.waits_for(s, c, a)}
    assert ("polis", next(c.id for c in cases if c.title.startswith("Kartlägg"))) in waits, "his action waits for him"
    for actor in people:
        for queue in QUEUES:
            listed = {row["id"] for row in list_queue(demo, actor, queue, limit=1000, now=now)}
            assert listed == {c.id for c in cases
                              if _queue_by_policy(queue, actor, c, now, (actor.username, c.id) in waits)}, \
                (actor.username, queue)


def test_the_overview_shows_the_overdue_cases_the_reviewer_may_see(demo: Engine) -> None:
    now = demo.now()
    with demo.db.read() as s:
        cases, people = _cases(s), _everyone(s)
    for actor in people:
        if not access.may_see_overview(actor):
            with pytest.raises(Forbidden):
                chair_overview(demo, actor, now)
            continue
        shown = {c["id"] for c in chair_overview(demo, actor, now)["cases"]}
        assert shown == {c.id for c in cases if c.is_open and c.due_at is not None and c.due_at < now
                         and access.may_see(actor, c)}, actor.username
    assert shown, "the demo has overdue cases"


def test_the_obligations_list_only_the_cases_each_persona_may_see(demo: Engine) -> None:
    now = demo.now()
    with demo.db.read() as s:
        by_id = {c.id: c for c in _cases(s)}
        people = _everyone(s)
    everything = agreement_status(demo, now)
    assert everything is not None
    counted = {i for o in everything.obligations for i in o.case_ids}
    assert any(by_id[i].confidential for i in counted), "a confidential case counts towards an obligation"
    for actor in people:
        status = agreement_status(demo, now, viewer=actor)
        assert status is not None
        for full, seen in zip(everything.obligations, status.obligations, strict=True):
            assert seen.case_ids == [i for i in full.case_ids if access.may_see(actor, by_id[i])], actor.username
            assert seen.done == full.done, "what is met counts every case, whoever looks"


# What each demo persona may do on the demo's confidential acute matter of the Police (group polisen,
# unassigned), and beyond cases. `official` counts only in its own group, so the municipality's officials
# neither act on the Police's matter nor report one for the Police; the administrator manages it but
# opens cases only where a workflow's open_roles say so (acute_matter: chair, group members, police).
WHO_MAY = {
    # persona: (see it, manage it, take it, open a polisen acute matter, overview, administer)
    "ordforande": (True, True, False, True, True, False),
    "polis": (True, True, True, True, False, False),
    "socialchef": (False, False, False, False, False, False),
    "kanslichef": (False, False, False, False, False, False),
    "vaktbolag": (False, False, False, False, False, False),
    "admin": (False, True, False, False, True, True),
    "system": (True, True, False, True, True, True),
}


def test_what_each_persona_may_do_on_the_police_acute_matter(demo: Engine) -> None:
    with demo.db.read() as s:
        case = s.execute(select(CaseRow).where(CaseRow.workflow == "acute_matter")).scalar_one()
        opening = demo.registry.get("acute_matter").open_roles
        answers = {who: (access.may_see(actor, case), access.may_manage(actor, case), access.may_claim(actor, case),
                         access.may_open(actor, case.group_id, opening), access.may_see_overview(actor),
                         access.may_administer(actor))
                   for who, actor in ((who, actor_for(s, who)) for who in WHO_MAY)}
    assert answers == WHO_MAY
