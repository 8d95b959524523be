"""The agreement page's truth: the period in force and whether each obligation is met."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Exists,
    Integer,
    Select,
    String,
    bindparam,
    exists,
    func,
    literal_column,
    or_,
    true,
)
from sqlalchemy import case as when
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from engine.accounts.users import as_actor
from engine.cases.periods import current_period
from engine.config.settings import ObligationConfig
from engine.kernel.actors import Actor
from engine.policy.access import Reach, binds, reach, seen
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
    # How many cases the two lists would hold in all: a page shows the first few of a national agreement's hundreds.
    case_total: int = 0
    open_total: int = 0


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


# The statements the agreement page runs for each obligation, built once per way of counting and shape of
# the reader's access (building them per obligation and page cost more than running them); the values go
# in as bind parameters. Each reads one agreement's cases of one workflow through ix_cases_agreement_workflow_open
# and asks the log, through ix_transition_log_case_state_at, whether the case entered a counted state.
_TL, _CASES = TransitionLog.__table__, CaseRow.__table__  # type: ignore[attr-defined]
_WORKFLOW: BindParameter[str] = bindparam("o_workflow", type_=String)
_STATES: BindParameter[str] = bindparam("o_states", expanding=True, type_=String)
_AGREEMENT: BindParameter[int] = bindparam("o_agreement", type_=Integer)
_PERIOD: BindParameter[int] = bindparam("o_period", type_=Integer)
_START: BindParameter[dt.datetime] = bindparam("o_start", type_=UTCDateTime)
_END: BindParameter[dt.datetime] = bindparam("o_end", type_=UTCDateTime)
_SHOWN: BindParameter[int] = bindparam("o_shown", type_=Integer)


def _entered(count: str) -> Exists:
    """The case entered one of the states (in the period: by its period or by the time it did)."""
    entered = [_TL.c.case_id == _CASES.c.id, _TL.c.to_state.in_(_STATES),
               # A state is entered by a change of state or by opening (no state before).
               or_(_TL.c.from_state.is_(None), _TL.c.from_state != _TL.c.to_state)]
    if count != "of_period":
        entered += [_TL.c.at >= _START, _TL.c.at < _END]
    return exists().where(*entered)


def _of_obligation(count: str) -> list[ColumnElement[bool]]:
    where = [_CASES.c.agreement_id == _AGREEMENT, _CASES.c.workflow == _WORKFLOW]
    if count == "of_period":
        where.append(_CASES.c.period_id == _PERIOD)
    return where


@cache
def _count_statement(count: str) -> Select[int]:
    return sa_select(func.count()).select_from(_CASES).where(*_of_obligation(count), _entered(count))


@cache
def _counted_statement(count: str, shape: Reach | None, limited: bool) -> Select[int, int, int, int]:
    # Every case that counts is counted (what is met does not depend on who looks); those the reader may
    # see come first, and only they are listed (the rest of the rows the limit lets through are dropped).
    listed = (when((seen(shape), 1), else_=0) if shape is not None else literal_column("1")).label("listed")
    stmt = (sa_select(_CASES.c.id, listed, func.count().over(), func.sum(listed).over())
            .where(*_of_obligation(count), _entered(count)).order_by(listed.desc(), _CASES.c.id))
    return stmt.limit(_SHOWN) if limited else stmt


@cache
def _open_statement(count: str, shape: Reach | None, limited: bool) -> Select[int, int]:
    # Open cases that would count when they get there: those not counted yet, that the reader may see.
    stmt = (sa_select(_CASES.c.id, func.count().over())
            .where(*_of_obligation(count), _CASES.c.is_open == true(), ~_entered(count),
                   *([seen(shape)] if shape is not None else []))
            .order_by(_CASES.c.id))
    return stmt.limit(_SHOWN) if limited else stmt


def _params(eng: Engine, period: Period, workflow: str, states: tuple[str, ...]) -> dict[str, Any]:
    start, end = _bounds(eng, period)
    return {"o_workflow": workflow, "o_states": list(states), "o_agreement": period.agreement_id,
            "o_period": period.id, "o_start": start, "o_end": end}


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


def obligation_status(session: Session, eng: Engine, period: Period, ob: ObligationConfig,
                      today: dt.date | None = None, viewer: Actor | None = None,
                      shown: int | None = None) -> ObligationStatus:
    """How far one obligation is met in `period`, and whether that is behind the pace `today` asks for.

    A fixed number is expected evenly over the period (12 reviews a year: 2 by the end of
    February); one counted from another state (information after each review held) is
    expected in full at once. Every counted case counts; the cases listed are those `viewer`
    may see (all without one), the first `shown` of them (all when None), with their totals.
    """
    params = _params(eng, period, ob.workflow, ob.states)
    if shown is not None:
        params["o_shown"] = shown
    shape, limited = (reach(viewer) if viewer is not None else None), shown is not None
    if viewer is not None:
        params |= binds(viewer)
    rows = session.execute(_counted_statement(ob.count, shape, limited), params).all()
    done, case_total = (rows[0][2], int(rows[0][3])) if rows else (0, 0)
    case_ids = [i for i, listed, _, _ in rows if listed]
    open_rows = session.execute(_open_statement(ob.count, shape, limited), params).all()
    open_ids, open_total = [i for i, _ in open_rows], (open_rows[0][1] if open_rows else 0)
    if ob.required_state is not None:
        requiring = _params(eng, period, ob.requiring_workflow, (ob.required_state,))
        required = session.execute(_count_statement(ob.count), requiring).scalar_one()
        expected = required
    else:
        required = ob.required or 0
        expected = expected_by(required, period.starts_on, period.ends_on, today or period.starts_on)
    return ObligationStatus(ob.key, ob.sv, ob.en, required, done, done >= required, case_ids,
                            expected, pace_of(done, required, expected), open_ids, case_total, open_total)


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


def agreement_status(eng: Engine, now: dt.datetime, key: str | None = None,
                     viewer: Actor | str | None = None, shown: int | None = None) -> AgreementStatus | None:
    """The period of agreement `key` (default: the default one) in force today, and its obligations
    (with the first `shown` cases of each that `viewer` may see, and how many there are; all when None).

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
        obligations = [obligation_status(session, eng, period, ob, today, who, shown) for ob in a.obligations]
        return AgreementStatus(
            title=agreement.title, parties=list(agreement.parties), period_number=period.number,
            starts_on=period.starts_on, ends_on=period.ends_on, days_left=(period.ends_on - today).days,
            status=period.status, renewal_case_id=case.id if case else None,
            renewal_state=case.state if case else None, obligations=obligations,
            missing_signatures=missing_signatures(eng, session, case),
        )


