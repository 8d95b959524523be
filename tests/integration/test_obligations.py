"""The agreement page's obligations, counted from the transition log of the period."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from engine.cases.citizen_info import publish
from engine.cases.commands import assign
from engine.cases.firing import fire
from engine.runtime.engine import Engine
from engine.schedule.obligations import agreement_status


def _status(eng: Engine) -> dict[str, tuple[int, int, bool]]:
    status = agreement_status(eng, eng.now())
    assert status is not None
    return {o.key: (o.done, o.required, o.met) for o in status.obligations}


def test_obligations_are_met_as_the_work_is_done(eng: Engine, open_case: Callable[..., int]) -> None:
    assert _status(eng) == {
        "police_annual_report": (0, 1, False), "safety_group_meetings": (0, 3, False),
        "monthly_reviews": (0, 12, False), "citizen_information": (0, 0, True),
        "acute_reported": (0, 0, True), "renewal": (0, 1, False),
        "situation_picture": (0, 0, True), "action_plan": (0, 0, True), "plan_follow_up": (0, 0, True)}
    for _ in range(3):
        meeting = open_case("safety_group_meeting", group="trygghetsgruppen")
        fire(eng, meeting, "send_agenda", "chair")
        fire(eng, meeting, "hold", "chair", comment="Minnesanteckningar")
    review = open_case("monthly_review", group="trygghetsgruppen")
    fire(eng, review, "hold", "police")
    report = open_case("police_annual_report", group="ksau")
    fire(eng, report, "prepare", "police")
    fire(eng, report, "present", "police", comment="Lägesbild 2026")
    acute = open_case("acute_matter", group="polisen")
    assign(eng, acute, "chair", user="police")
    fire(eng, acute, "triage", "police")
    fire(eng, acute, "start", "police")
    fire(eng, acute, "resolve", "police", comment="Åtgärdat")
    status = _status(eng)
    assert status["safety_group_meetings"] == (3, 3, True)
    assert status["police_annual_report"] == (1, 1, True)
    assert status["monthly_reviews"] == (1, 12, False)
    assert status["citizen_information"] == (0, 1, False)  # the review was held, nothing published yet
    assert status["acute_reported"] == (0, 1, False)  # resolved, not yet reported to the steering group
    publish(eng, review, "Februari", "Vi har gått igenom februari.", "police", comment="Publicerat på hoor.se")
    fire(eng, acute, "report", "police")
    status = _status(eng)
    assert status["citizen_information"] == (1, 1, True)
    assert status["acute_reported"] == (1, 1, True)


def test_an_obligation_naming_an_unknown_state_is_a_config_error(eng: Engine) -> None:
    from dataclasses import replace

    from engine.config.settings import ObligationConfig
    from engine.kernel.errors import ConfigError
    from samverkan.bootstrap import build_engine

    bad = ObligationConfig("x", "x", "x", "monthly_review", ("publishd",), required=1)
    agreement = replace(eng.config.agreement, obligations=(bad,))
    with pytest.raises(ConfigError, match=r"obligations\[0\]\.states: monthly_review has no state 'publishd'"):
        build_engine(replace(eng.config, agreements=(agreement,)))


def test_a_confidential_acute_matter_counts_for_everyone_but_is_listed_only_to_those_who_may_see_it(
        eng: Engine, open_case: Callable[..., int]) -> None:
    acute = open_case("acute_matter", group="polisen", confidential=True)
    assign(eng, acute, "chair", user="police")
    for trigger in ("triage", "start"):
        fire(eng, acute, trigger, "police")
    fire(eng, acute, "resolve", "police", comment="Åtgärdat")
    fire(eng, acute, "report", "police")

    def seen_by(who: str) -> tuple[int, list[int]]:
        status = agreement_status(eng, eng.now(), viewer=who)
        assert status is not None
        [ob] = [o for o in status.obligations if o.key == "acute_reported"]
        return ob.done, ob.case_ids

    assert seen_by("police") == (1, [acute])
    assert seen_by("chair") == (1, [acute])
    assert seen_by("outsider") == (1, [])


def test_the_page_reads_the_first_cases_the_viewer_may_see_and_how_many_there_are(
        eng: Engine, open_case: Callable[..., int]) -> None:
    hidden = open_case("monthly_review", group="polisen", confidential=True)  # the official may not see it
    held = [open_case("monthly_review", group="trygghetsgruppen") for _ in range(5)]
    waiting = [open_case("monthly_review", group="trygghetsgruppen") for _ in range(4)]
    hidden_waiting = open_case("monthly_review", group="polisen", confidential=True)
    for review in (hidden, *held):
        fire(eng, review, "hold", "police")

    def reviews(who: str, shown: int | None) -> tuple[int, list[int], int, list[int], int]:
        status = agreement_status(eng, eng.now(), viewer=who, shown=shown)
        assert status is not None
        [ob] = [o for o in status.obligations if o.key == "monthly_reviews"]
        return ob.done, ob.case_ids, ob.case_total, ob.open_case_ids, ob.open_total

    # All six held count, whoever looks; the official is shown the first 3 of the 5 they may see.
    assert reviews("official", 3) == (6, held[:3], 5, waiting[:3], 4)
    assert reviews("official", None) == (6, held, 5, waiting, 4)
    assert reviews("chair", 3) == (6, [hidden, *held[:2]], 6, waiting[:3], 5)
    assert reviews("chair", 10) == (6, [hidden, *held], 6, [*waiting, hidden_waiting], 5)


def test_obligations_read_in_one_statement_each_list_their_own_cases(
        eng: Engine, open_case: Callable[..., int]) -> None:
    """The page reads all obligations in one statement: two of one workflow counting different states (and one
    counting either, and one counted from another state) each list their own cases, as when read alone."""
    from sqlmodel import select

    from engine.accounts.users import actor_for
    from engine.cases.periods import current_period
    from engine.config.settings import ObligationConfig
    from engine.schedule.obligations import obligation_status, obligation_statuses
    from engine.store.models import Agreement

    reviews = [open_case("monthly_review", group="trygghetsgruppen") for _ in range(4)]
    hidden = open_case("monthly_review", group="polisen", confidential=True)  # the official may not see it
    for review in (reviews[0], reviews[1], hidden):
        fire(eng, review, "hold", "police")
    publish(eng, reviews[0], "Mars", "Vi har gått igenom mars.", "police", comment="Publicerat på hoor.se")
    obligations = (
        ObligationConfig("held", "h", "h", "monthly_review", ("held",), required=12),
        ObligationConfig("published", "p", "p", "monthly_review", ("information_published",), required_state="held"),
        ObligationConfig("either", "e", "e", "monthly_review", ("held", "information_published"), required=1),
    )
    with eng.db.read() as s:
        agreement = s.exec(select(Agreement).where(Agreement.key == eng.config.agreement.key)).one()
        assert agreement.id is not None
        period = current_period(s, agreement.id, eng.now(), eng.tz)
        assert period is not None
        for who in (None, "official", "chair"):
            viewer = actor_for(s, who) if who is not None else None
            for shown in (None, 1, 10):
                together = obligation_statuses(s, eng, period, obligations, eng.now().date(), viewer, shown)
                alone = [obligation_status(s, eng, period, ob, eng.now().date(), viewer, shown) for ob in obligations]
                assert together == alone, (who, shown)
        official = actor_for(s, "official")
        held, published, either = ((o.done, o.case_ids, o.required, o.open_case_ids)
                                   for o in obligation_statuses(s, eng, period, obligations, viewer=official))
    assert held == (3, reviews[:2], 12, reviews[2:])
    assert published == (1, reviews[:1], 3, reviews[1:])
    assert either == (3, reviews[:2], 1, reviews[2:])



def test_the_page_reads_all_obligations_in_one_statement(eng: Engine) -> None:
    from sqlalchemy import event

    statements: list[str] = []

    def on_statement(*a: object) -> None:
        statements.append(str(a[2]))
    event.listen(eng.db.engine, "before_cursor_execute", on_statement)
    try:
        status = agreement_status(eng, eng.now(), viewer="chair", shown=10)
    finally:
        event.remove(eng.db.engine, "before_cursor_execute", on_statement)
    assert status is not None
    assert len(status.obligations) == 9
    assert len([s for s in statements if "transition_log" in s]) == 1


def test_the_generic_plan_of_the_agreement_page_is_its_alone(eng: Engine) -> None:
    """The agreement statement runs on a plan made for any values; the pooled connection goes back to the
    usual planning, which the queues need (a generic plan read them a hundred times slower), even when the
    statement fails."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from engine.store.db import generic_plan

    if eng.db.dialect != "postgresql":
        pytest.skip("plan_cache_mode is PostgreSQL's")
    eng.db.engine.pool.dispose()  # one connection, used by every read below
    for _ in range(3):
        with eng.db.shared_reads():  # as a web page reads: in autocommit, the setting would outlive it
            assert agreement_status(eng, eng.now(), viewer="chair", shown=10) is not None
    with eng.db.read() as session:
        assert session.execute(text("SHOW plan_cache_mode")).scalar_one() == "auto"
    with eng.db.shared_reads(), eng.db.read() as session:
        with generic_plan(session):
            assert session.execute(text("SHOW plan_cache_mode")).scalar_one() == "force_generic_plan"
        with pytest.raises(DBAPIError, match="division by zero"), generic_plan(session):
            session.execute(text("SELECT 1 / 0"))
    for _ in range(2):  # in a transaction too
        with eng.db.read() as session:
            assert session.execute(text("SHOW plan_cache_mode")).scalar_one() == "auto"
            with pytest.raises(DBAPIError, match="division by zero"), generic_plan(session):
                session.execute(text("SELECT 1 / 0"))


def test_reads_keep_the_statements_the_driver_prepared(eng: Engine) -> None:
    """A read that ends (a POST's, a page's) leaves the connection's prepared statements in place: the
    agreement page's statement is planned once, not on every request between two others' POSTs."""
    from sqlalchemy import text

    if eng.db.dialect != "postgresql":
        pytest.skip("the prepared statements are psycopg's and PostgreSQL's")
    eng.db.engine.pool.dispose()  # one connection, used by every read below
    for _ in range(7):
        with eng.db.shared_reads():  # a page
            assert agreement_status(eng, eng.now(), viewer="chair", shown=10) is not None
        with eng.db.read() as session:  # a POST's read, which used to end in ROLLBACK
            session.execute(text("SELECT 1"))
    with eng.db.read() as session:
        plans = session.execute(text("SELECT generic_plans FROM pg_prepared_statements "
                                     "WHERE statement LIKE '%anon_1.ob, anon_1.kind%'")).scalars().all()
    assert plans, "the agreement statement is not prepared"
    assert plans[0] >= 1  # and runs on the plan made once (`generic_plan`)


def test_the_driver_converts_the_agreement_statement_once_per_process(
        eng: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """psycopg rewrites a statement's placeholders on every execution unless it keeps the result, which it
    does only up to a length (engine.store.db.PSYCOPG_CACHED_LENGTH raises it): the agreement page's 27 KB
    statement is converted once, not on every request. Fails if psycopg stops reading the setting."""
    from psycopg import _queries

    if eng.db.dialect != "postgresql":
        pytest.skip("the placeholders are psycopg's")
    uncached: list[int] = []
    convert = _queries._query2pg_nocache  # what psycopg calls, by its module's name, for a statement it does not keep

    def counted(query: bytes, *args: object) -> object:
        uncached.append(len(query))
        return convert(query, *args)
    monkeypatch.setattr(_queries, "_query2pg_nocache", counted)
    monkeypatch.setattr(_queries, "MAX_CACHED_STATEMENT_LENGTH", 4096)  # psycopg's own
    with eng.db.shared_reads():
        assert agreement_status(eng, eng.now(), viewer="chair", shown=10) is not None
    assert max(uncached) > 4096, "the agreement statement is no longer past psycopg's own bound"
    monkeypatch.undo()
    monkeypatch.setattr(_queries, "_query2pg_nocache", counted)
    uncached.clear()
    for _ in range(2):
        with eng.db.shared_reads():
            assert agreement_status(eng, eng.now(), viewer="chair", shown=10) is not None
    assert uncached == []
