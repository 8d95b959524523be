"""The agreement's renewal season played day by day with an injected clock.

The period in force at T0 runs 2026-10-15 .. 2027-10-15 (the end day not included), so
the renewal is due by the end of 2027-10-14. It opens `renewal_lead_days` (120) before
the end; reminders go at 08:00 on the working day 90, 30 and 7 days before the due day;
escalations 1 and 7 days after it; the period lapses at midnight when it ends unsigned.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from engine.cases.firing import fire
from engine.kernel.events import CaseOpened, DeadlineEvent, Event, PeriodLapsed
from engine.runtime.engine import Engine
from engine.schedule.due import run_due
from engine.schedule.forecast import forecast
from engine.store.models import CaseRow, Period
from tests.doubles import FixedClock

STHLM = ZoneInfo("Europe/Stockholm")
END = dt.date(2027, 10, 15)


def local(y: int, m: int, d: int, h: int = 9) -> dt.datetime:
    return dt.datetime(y, m, d, h, tzinfo=STHLM).astimezone(dt.UTC)


def _record(eng: Engine) -> list[Event]:
    seen: list[Event] = []
    for event_type in (DeadlineEvent, PeriodLapsed, CaseOpened):
        eng.listeners.subscribe(event_type, lambda _s, e: seen.append(e))
    return seen


def _play(eng: Engine, clock: FixedClock, start: dt.datetime, days: int, on_day=None) -> None:
    for i in range(days):
        clock.at = start + dt.timedelta(days=i)
        if on_day:
            on_day(clock.at)
        run_due(eng, clock.at)


def _renewal(eng: Engine) -> CaseRow | None:
    with eng.db.read() as s:
        return s.exec(select(CaseRow).where(CaseRow.workflow == "agreement_renewal")).first()


def _occurrences(eng: Engine) -> list[str]:
    with eng.db.read() as s:
        keys = s.exec(select(CaseRow.occurrence_key).where(CaseRow.workflow != "agreement_renewal")).all()
    return sorted(k for k in keys if k)


def _periods(eng: Engine) -> list[Period]:
    with eng.db.read() as s:
        return list(s.exec(select(Period).order_by(Period.number)).all())


def _sign_on(eng: Engine, day: dt.date) -> Callable[[dt.datetime], None]:
    """A day's action for `_play`: on `day`, discuss the renewal and both parties sign it."""
    def act(now: dt.datetime) -> None:
        case = _renewal(eng)
        if case and now.astimezone(STHLM).date() == day:
            fire(eng, case.id, "schedule_discussion", "chair", now=now)
            fire(eng, case.id, "hold_discussion", "police", comment="Förlängning utan ändringar.", now=now)
            fire(eng, case.id, "sign", "chair", now=now)
            fire(eng, case.id, "sign", "police", now=now)
    return act


def test_unsigned_renewal_reminds_escalates_and_lapses(eng: Engine, clock: FixedClock) -> None:
    events = _record(eng)
    start = local(2027, 6, 7)  # 130 days before the end, at 09:00 local
    _play(eng, clock, start, 141)  # through 2027-10-25

    case = _renewal(eng)
    assert case is not None
    assert case.state == "opened"
    assert case.occurrence_key == "agreement_renewal:hoor:18"
    opened = [e for e in events if isinstance(e, CaseOpened) and e.case_id == case.id]
    assert [e.at.astimezone(STHLM).date() for e in opened] == [dt.date(2027, 6, 17)]  # 120 days before the end

    mine = [e for e in events if isinstance(e, DeadlineEvent) and e.case_id == case.id]
    fired = [(e.kind, e.offset_days, e.at.astimezone(STHLM).date()) for e in mine]
    assert fired == [
        ("reminder", 90, dt.date(2027, 7, 16)),
        ("reminder", 30, dt.date(2027, 9, 14)),
        ("reminder", 7, dt.date(2027, 10, 7)),
        ("due", 0, dt.date(2027, 10, 15)),
        ("escalation", 1, dt.date(2027, 10, 15)),
        ("escalation", 7, dt.date(2027, 10, 21)),
    ]
    lapsed = [e for e in events if isinstance(e, PeriodLapsed)]
    assert len(lapsed) == 1
    assert lapsed[0].case_id == case.id
    assert lapsed[0].at.astimezone(STHLM).date() == END
    assert [(p.number, p.status) for p in _periods(eng)] == [(18, "lapsed")]
    # Lapsed is not ended: it may still be signed late, so the recurring work goes on.
    assert "monthly_review:2027-11-01" in _occurrences(eng)


def test_a_terminated_agreement_opens_nothing_after_its_last_period(eng: Engine, clock: FixedClock) -> None:
    def act(now: dt.datetime) -> None:
        case = _renewal(eng)
        if case and now.astimezone(STHLM).date() == dt.date(2027, 8, 20):
            fire(eng, case.id, "schedule_discussion", "chair", now=now)
            fire(eng, case.id, "hold_discussion", "police", comment="Avtalet upphör.", now=now)
            fire(eng, case.id, "terminate", "chair", comment="Kommunen säger upp avtalet.", now=now)

    _play(eng, clock, local(2027, 8, 18), 120, act)  # through 2027-12-15
    assert [(p.number, p.status) for p in _periods(eng)] == [(18, "terminated")]
    # What falls before the end (2027-10-15) still opens; nothing after it does.
    assert _occurrences(eng) == ["monthly_review:2027-09-06", "monthly_review:2027-10-04",
                                 "safety_group_meeting:2027-10-12", "safety_survey:2027-09-01"]
    assert not [i for i in forecast(eng, clock.at, 400) if i["kind"] in ("open", "renewal_open")]


def test_signing_late_extends_the_lapsed_agreement_from_where_it_ended(eng: Engine, clock: FixedClock) -> None:
    _play(eng, clock, local(2027, 10, 10), 8)  # opens late (the first tick), lapses on the 15th
    case = _renewal(eng)
    assert case is not None
    assert _periods(eng)[-1].status == "lapsed"
    for trigger, who, comment in [("schedule_discussion", "chair", None), ("hold_discussion", "chair", "Protokoll"),
                                  ("sign", "police", None), ("sign", "chair", None)]:
        fire(eng, case.id, trigger, who, comment=comment, now=clock.at)
    periods = _periods(eng)
    assert [(p.number, p.status, p.starts_on, p.ends_on) for p in periods] == [
        (18, "extended", dt.date(2026, 10, 15), END),
        (19, "active", END, dt.date(2028, 10, 15)),
    ]


def test_signed_renewal_stops_reminders_and_plans_the_next(eng: Engine, clock: FixedClock) -> None:
    events = _record(eng)
    # 100 days before the end .. 10 days after; signed on 20 August.
    _play(eng, clock, local(2027, 7, 7), 111, _sign_on(eng, dt.date(2027, 8, 20)))
    case = _renewal(eng)
    assert case is not None
    assert case.state == "extended"
    assert not case.is_open
    kinds = [(e.kind, e.offset_days) for e in events if isinstance(e, DeadlineEvent) and e.case_id == case.id]
    assert kinds == [("reminder", 90)]  # 30 and 7 days before came after signing: retired, never sent
    assert not [e for e in events if isinstance(e, PeriodLapsed)]
    assert [(p.number, p.status) for p in _periods(eng)] == [(18, "extended"), (19, "active")]
    signatures = case.data["signatures"]
    assert signatures["municipality"]["by"] == "chair"
    assert signatures["police"]["by"] == "police"
    upcoming = forecast(eng, clock.at, 400)
    nxt = [i for i in upcoming if i["kind"] == "renewal_open"]
    assert len(nxt) == 1
    assert nxt[0]["period"] == 19
    assert nxt[0]["at"].astimezone(STHLM).date() == dt.date(2028, 10, 15) - dt.timedelta(days=120)


@pytest.mark.parametrize("signer", ["chair", "police"])
def test_one_party_cannot_sign_twice(eng: Engine, clock: FixedClock, signer: str) -> None:
    from engine.kernel.errors import TransitionNotAllowed

    run_due(eng, local(2027, 9, 1))
    case = _renewal(eng)
    assert case is not None
    fire(eng, case.id, "schedule_discussion", "chair", now=clock.at)
    fire(eng, case.id, "hold_discussion", "chair", comment="Protokoll", now=clock.at)
    fire(eng, case.id, "sign", signer, now=clock.at)
    with pytest.raises(TransitionNotAllowed, match="already signed"):
        fire(eng, case.id, "sign", signer, now=clock.at)


def test_the_agreement_page_stays_on_the_running_period_after_the_renewal_is_signed(
        eng: Engine, clock: FixedClock) -> None:
    from engine.schedule.obligations import agreement_status

    _play(eng, clock, local(2027, 8, 18), 4, _sign_on(eng, dt.date(2027, 8, 20)))
    assert [p.number for p in _periods(eng)] == [18, 19]
    status = agreement_status(eng, local(2027, 8, 22))
    assert status is not None
    assert (status.period_number, status.ends_on, status.renewal_state) == (18, dt.date(2027, 10, 15), "extended")
    assert status.days_left == 54
    later = agreement_status(eng, local(2027, 10, 16))
    assert later is not None
    assert (later.period_number, later.starts_on) == (19, dt.date(2027, 10, 15))


def test_a_recurring_case_opens_at_the_same_local_hour_on_both_sides_of_a_dst_change(eng: Engine) -> None:
    from engine.schedule.recurring import pending_occurrences
    [review] = [r for r in eng.config.agreement.recurring if r.key == "monthly_review"]  # 1st Monday 09:00, 14 d
    found = pending_occurrences(eng, review, local(2027, 10, 5), local(2027, 10, 31))
    # The November review (CET) opens on 18 October (summer time), at 09:00 all the same.
    assert [(o.at.astimezone(STHLM), o.opens_at.astimezone(STHLM)) for o in found] == [
        (dt.datetime(2027, 11, 1, 9, 0, tzinfo=STHLM), dt.datetime(2027, 10, 18, 9, 0, tzinfo=STHLM))]


def test_a_review_that_falls_on_a_public_holiday_happens_on_the_next_working_day(eng: Engine) -> None:
    from engine.schedule.recurring import pending_occurrences
    [review] = [r for r in eng.config.agreement.recurring if r.key == "monthly_review"]  # 1st Monday 09:00
    [may] = pending_occurrences(eng, review, local(2028, 4, 10), local(2028, 4, 30))
    assert may.at.astimezone(STHLM) == dt.datetime(2028, 5, 1, 9, 0, tzinfo=STHLM)  # Första maj
    assert may.happens_at.astimezone(STHLM) == dt.datetime(2028, 5, 2, 9, 0, tzinfo=STHLM)
    kept = dataclasses.replace(review, on_holiday="keep")
    [as_scheduled] = pending_occurrences(eng, kept, local(2028, 4, 10), local(2028, 4, 30))
    assert as_scheduled.happens_at == as_scheduled.at


def test_only_the_renewal_the_engine_opened_for_the_period_changes_it(eng: Engine, clock: FixedClock) -> None:
    """A renewal case that is not the period's own (imported, or opened by hand before opening was limited
    to the engine) may be walked to its end; the period is neither ended nor extended by it."""
    from engine.cases.commands import OpenRequest, open_case

    stray = open_case(eng, OpenRequest("agreement_renewal", "x", group="polisen"), "system", now=clock.at)
    assert stray.id is not None
    for trigger, who in (("schedule_discussion", "police"), ("hold_discussion", "police"), ("terminate", "police")):
        fire(eng, stray.id, trigger, who, comment="x", now=clock.at)
    assert [(p.number, p.status) for p in _periods(eng)] == [(18, "active")]
    # (The case the engine opens for the period does end it: the test above.)
