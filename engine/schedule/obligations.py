"""The agreement page's truth: the period in force and whether each obligation is met."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import or_
from sqlmodel import Session, col, select

from engine.accounts.users import as_actor
from engine.cases.periods import current_period
from engine.config.settings import ObligationConfig
from engine.kernel.actors import Actor
from engine.policy.access import visible
from engine.runtime.engine import Engine
from engine.schedule import renewal
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


def _entered(session: Session, eng: Engine, period: Period, workflow: str, states: tuple[str, ...],
             count: str) -> list[int]:
    stmt = (select(TransitionLog.case_id).join(CaseRow, col(CaseRow.id) == col(TransitionLog.case_id))
            .where(col(CaseRow.workflow) == workflow, col(TransitionLog.to_state).in_(states),
                   # A state is entered by a change of state or by opening (no state before).
                   or_(col(TransitionLog.from_state).is_(None),
                       col(TransitionLog.from_state) != col(TransitionLog.to_state)),
                   col(CaseRow.agreement_id) == period.agreement_id))
    if count == "of_period":
        stmt = stmt.where(col(CaseRow.period_id) == period.id)
    else:
        start, end = _bounds(eng, period)
        stmt = stmt.where(col(TransitionLog.at) >= start, col(TransitionLog.at) < end)
    return sorted(set(session.exec(stmt.group_by(col(TransitionLog.case_id))).all()))


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


def _open_cases(session: Session, period: Period, ob: ObligationConfig, done: list[int]) -> list[int]:
    stmt = select(CaseRow.id).where(col(CaseRow.workflow) == ob.workflow, col(CaseRow.is_open),
                                    col(CaseRow.agreement_id) == period.agreement_id)
    if ob.count == "of_period":
        stmt = stmt.where(col(CaseRow.period_id) == period.id)
    return sorted(i for i in session.exec(stmt).all() if i is not None and i not in done)


def obligation_status(session: Session, eng: Engine, period: Period, ob: ObligationConfig,
                      today: dt.date | None = None) -> ObligationStatus:
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
                            expected, pace_of(len(done), required, expected), _open_cases(session, period, ob, done))


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
    ids = {i for o in obligations for i in o.case_ids + o.open_case_ids}
    stmt = select(CaseRow.id).where(col(CaseRow.id).in_(ids), visible(viewer))
    seen = set(session.exec(stmt).all()) if ids else set()
    return [dataclasses.replace(o, case_ids=[i for i in o.case_ids if i in seen],
                                open_case_ids=[i for i in o.open_case_ids if i in seen]) for o in obligations]


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
        obligations = [obligation_status(session, eng, period, ob, today) for ob in a.obligations]
        if viewer is not None:
            obligations = _visible_cases(session, as_actor(session, viewer), obligations)
        return AgreementStatus(
            title=agreement.title, parties=list(agreement.parties), period_number=period.number,
            starts_on=period.starts_on, ends_on=period.ends_on, days_left=(period.ends_on - today).days,
            status=period.status, renewal_case_id=case.id if case else None,
            renewal_state=case.state if case else None, obligations=obligations,
            missing_signatures=missing_signatures(eng, session, case),
        )


