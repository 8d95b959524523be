"""The agreement page's truth: the period in force and whether each obligation is met."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from functools import cache

from sqlalchemy import BindParameter, Integer, Select, String, bindparam, or_
from sqlmodel import Session, col, select

from engine.accounts.users import as_actor
from engine.cases.periods import current_period
from engine.config.settings import ObligationConfig
from engine.kernel.actors import Actor
from engine.policy.access import visible
from engine.runtime.engine import Engine
from engine.schedule import renewal
from engine.store.db import UTCDateTime
from engine.store.models import Agreement, CaseRow, Period, TransitionLog
from engine.workflow.rules import PARTIES

__all__ = ["AgreementStatus", "ObligationStatus", "agreement_status", "expected_by", "missing_signatures",
           "obligation_status", "pace_of"]


@dataclass(frozen=True)
class ObligationStatus:
    key: str
    label_sv: str
    label_en: str
    required: int
    done: int
    met: bool
    case_ids: list[int]
    # How many should be done by today, the period's days spread evenly ("förväntat hittills 2 av 12").
    expected: int = 0
    pace: str = ""  # met | on_track | behind: red only when behind, not merely unfinished
    open_case_ids: list[int] = field(default_factory=list)  # open cases that would count when they get there


@dataclass(frozen=True)
class AgreementStatus:
    title: str
    parties: list[str]
    period_number: int
    starts_on: dt.date
    ends_on: dt.date  # not included in the period
    days_left: int
    status: str  # active | lapsed | extended | revised | terminated
    renewal_case_id: int | None
    renewal_state: str | None
    obligations: list[ObligationStatus]
    # The parties (municipality, police) whose signature the open renewal lacks; empty when none is asked for.
    missing_signatures: list[str] = field(default_factory=list)


def _bounds(eng: Engine, period: Period) -> tuple[dt.datetime, dt.datetime]:
    def at(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(0, 0), tzinfo=eng.tz).astimezone(dt.UTC)
    return at(period.starts_on), at(period.ends_on)


# The statements the agreement page runs for each obligation, built once (building them per obligation
# and page cost more than running them); the values go in as bind parameters.
_TL, _CASES = TransitionLog.__table__, CaseRow.__table__  # type: ignore[attr-defined]
_WORKFLOW: BindParameter[str] = bindparam("o_workflow", type_=String)
_STATES: BindParameter[str] = bindparam("o_states", expanding=True, type_=String)
_AGREEMENT: BindParameter[int] = bindparam("o_agreement", type_=Integer)
_PERIOD: BindParameter[int] = bindparam("o_period", type_=Integer)
_START: BindParameter[dt.datetime] = bindparam("o_start", type_=UTCDateTime)
_END: BindParameter[dt.datetime] = bindparam("o_end", type_=UTCDateTime)


@cache
def _entered_statement(count: str) -> Select[tuple[int]]:
    stmt = (select(_TL.c.case_id).join(_CASES, _CASES.c.id == _TL.c.case_id)
            .where(_CASES.c.workflow == _WORKFLOW, _TL.c.to_state.in_(_STATES),
                   # A state is entered by a change of state or by opening (no state before).
                   or_(_TL.c.from_state.is_(None), _TL.c.from_state != _TL.c.to_state),
                   _CASES.c.agreement_id == _AGREEMENT))
    if count == "of_period":
        stmt = stmt.where(_CASES.c.period_id == _PERIOD)
    else:
        stmt = stmt.where(_TL.c.at >= _START, _TL.c.at < _END)
    return stmt.group_by(_TL.c.case_id)


def _entered(session: Session, eng: Engine, period: Period, workflow: str, states: tuple[str, ...],
             count: str) -> list[int]:
    start, end = _bounds(eng, period)
    params = {"o_workflow": workflow, "o_states": list(states), "o_agreement": period.agreement_id,
              "o_period": period.id, "o_start": start, "o_end": end}
    return sorted(set(session.execute(_entered_statement(count), params).scalars()))


def expected_by(required: int, starts_on: dt.date, ends_on: dt.date, today: dt.date) -> int:
    """How many of `required` should be done by `today`, spread evenly over [starts_on, ends_on)."""
    total = (ends_on - starts_on).days
    elapsed = min(max((today - starts_on).days, 0), total)
    return required * elapsed // total if total > 0 else required


def pace_of(done: int, required: int, expected: int) -> str:
    """"met" when all is done, "on_track" when as much as expected so far is done, else "behind"."""
    if done >= required:
        return "met"
    return "on_track" if done >= expected else "behind"


def _open_cases(session: Session, period: Period, workflows: set[str],
               viewer: Actor | None) -> list[tuple[int, str, int | None]]:
    """(id, workflow, period id) of the agreement's open cases of `workflows` (those `viewer` may see), in one query."""
    stmt = select(_CASES.c.id, _CASES.c.workflow, _CASES.c.period_id).where(
        _CASES.c.is_open, _CASES.c.agreement_id == period.agreement_id, _CASES.c.workflow.in_(sorted(workflows)))
    if viewer is not None:
        stmt = stmt.where(visible(viewer))
    return [(i, w, p) for i, w, p in session.execute(stmt.order_by(_CASES.c.id))]


def _would_count(open_cases: list[tuple[int, str, int | None]], period: Period, ob: ObligationConfig,
                 done: list[int]) -> list[int]:
    counted = set(done)
    return [i for i, w, p in open_cases
            if w == ob.workflow and i not in counted and (ob.count != "of_period" or p == period.id)]


def obligation_status(session: Session, eng: Engine, period: Period, ob: ObligationConfig,
                      today: dt.date | None = None,
                      open_cases: list[tuple[int, str, int | None]] | None = None) -> ObligationStatus:
    """How far one obligation is met in `period`, and whether that is behind the pace `today` asks for.

    A fixed number is expected evenly over the period (12 reviews a year: 2 by the end of
    February); one counted from another state (information after each review held) is
    expected in full at once.
    """
    done = _entered(session, eng, period, ob.workflow, ob.states, ob.count)
    if ob.required_state is not None:
        required = len(_entered(session, eng, period, ob.requiring_workflow, (ob.required_state,), ob.count))
        expected = required
    else:
        required = ob.required or 0
        expected = expected_by(required, period.starts_on, period.ends_on, today or period.starts_on)
    return ObligationStatus(ob.key, ob.sv, ob.en, required, len(done), len(done) >= required, done,
                            expected, pace_of(len(done), required, expected),
                            _would_count(_open_cases(session, period, {ob.workflow}, None) if open_cases is None
                                         else open_cases, period, ob, done))


def missing_signatures(eng: Engine, session: Session, case: CaseRow | None) -> list[str]:
    """The parties whose signature the renewal case lacks while its state asks for signatures
    (a step from it records one); else nothing."""
    if case is None or not case.is_open:
        return []
    d = eng.registry.machine(session, case.workflow, case.definition_version).definition
    if not any(case.state in t.sources and "record_signature" in t.effects for t in d.transitions):
        return []
    signed = set((case.data or {}).get("signatures", {}))
    return [p for p in PARTIES if p not in signed]


def _visible_cases(session: Session, viewer: Actor, obligations: list[ObligationStatus]) -> list[ObligationStatus]:
    # The open cases are read visible ones only; the counted ones are checked here.
    ids = {i for o in obligations for i in o.case_ids}
    stmt = select(CaseRow.id).where(col(CaseRow.id).in_(ids), visible(viewer))
    seen = set(session.exec(stmt).all()) if ids else set()
    return [dataclasses.replace(o, case_ids=[i for i in o.case_ids if i in seen],
                                open_case_ids=o.open_case_ids) for o in obligations]


def agreement_status(eng: Engine, now: dt.datetime, key: str | None = None,
                     viewer: Actor | str | None = None) -> AgreementStatus | None:
    """The period of agreement `key` (default: the default one) in force today, and its obligations.

    Once the renewal is signed the next period exists too, but the one running today is what
    the page is about; only when no period contains today (it lapsed or was terminated)
    is the latest one shown. None before `samverkan init`.
    """
    a = eng.config.agreement_by_key(key) if key else eng.config.agreement
    with eng.db.read() as session:
        agreement = session.exec(select(Agreement).where(Agreement.key == a.key)).first()
        if agreement is None or agreement.id is None:
            return None
        period = current_period(session, agreement.id, now, eng.tz) or renewal.latest_period(session, agreement.id)
        if period is None:
            return None
        case = session.exec(select(CaseRow).where(CaseRow.occurrence_key == renewal.renewal_key(a, period))).first()
        today = now.astimezone(eng.tz).date()
        who = as_actor(session, viewer) if viewer is not None else None
        open_cases = _open_cases(session, period, {ob.workflow for ob in a.obligations}, who)
        obligations = [obligation_status(session, eng, period, ob, today, open_cases) for ob in a.obligations]
        if who is not None:
            obligations = _visible_cases(session, who, obligations)
        return AgreementStatus(
            title=agreement.title, parties=list(agreement.parties), period_number=period.number,
            starts_on=period.starts_on, ends_on=period.ends_on, days_left=(period.ends_on - today).days,
            status=period.status, renewal_case_id=case.id if case else None,
            renewal_state=case.state if case else None, obligations=obligations,
            missing_signatures=missing_signatures(eng, session, case),
        )


