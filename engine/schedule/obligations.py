"""The agreement page's truth: the period in force and whether each obligation is met."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    distinct,
    func,
    literal_column,
    or_,
    true,
    union_all,
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
from engine.store.db import UTCDateTime, generic_plan
from engine.store.models import Agreement, CaseRow, Period, TransitionLog
from engine.workflow.rules import PARTIES

__all__ = ["AgreementStatus", "ObligationStatus", "agreement_status", "expected_by", "missing_signatures",
           "obligation_status", "obligation_statuses", "pace_of"]


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


# The one statement the agreement page runs for all of an agreement's obligations: a UNION ALL of each
# obligation's parts, every row tagged with the obligation's index. Built once per shape (each obligation's way
# of counting, whether it is counted from another state and how many states count; the reader's access; whether
# the lists are limited), since building it cost more than running it; the values go in as bind parameters, each
# obligation's under its own prefix (o0_workflow, o0_state_0, ...), one per state rather than an expanding list,
# so that only the reader's access lists make SQLAlchemy rewrite the text (once per page, not once per
# obligation). Each part reads one agreement's cases of one workflow through ix_cases_agreement_workflow_open
# and asks the log, through ix_transition_log_case_state_at, whether a case entered a counted state. One
# statement instead of one per obligation: each costs ~0.3 ms of SQLAlchemy and driver.
_TL, _CASES = TransitionLog.__table__, CaseRow.__table__  # type: ignore[attr-defined]
_AGREEMENT: BindParameter[int] = bindparam("o_agreement", type_=Integer)
_PERIOD: BindParameter[int] = bindparam("o_period", type_=Integer)
_START: BindParameter[dt.datetime] = bindparam("o_start", type_=UTCDateTime)
_END: BindParameter[dt.datetime] = bindparam("o_end", type_=UTCDateTime)
_SHOWN: BindParameter[int] = bindparam("o_shown", type_=Integer)
# The rows of the statement: the counted cases, the open ones that would count, how many cases require it.
_COUNTED, _OPEN, _REQUIRED = 0, 1, 2
# What the statement's shape depends on of one obligation: its way of counting, whether it is counted from
# another state (`required_state`), how many states count.
_Shape = tuple[str, bool, int]


def _shape(ob: ObligationConfig) -> _Shape:
    return ob.count, ob.required_state is not None, len(ob.states)


def _of_obligation(count: str, prefix: str, states: int) -> tuple[list[ColumnElement[bool]],
                                                                 list[ColumnElement[bool]], ColumnElement[bool]]:
    """One agreement's cases of the workflow (bound as `{prefix}_workflow`); those of them that may have entered
    a state in the period; and the join of their log rows that entered one of the `states` states (bound as
    `{prefix}_state_0`, ...; in the period: by the case's period, or by the time it did)."""
    workflow = bindparam(f"{prefix}_workflow", type_=String)
    cases = [_CASES.c.agreement_id == _AGREEMENT, _CASES.c.workflow == workflow]
    entered = [_TL.c.case_id == _CASES.c.id,
               _TL.c.to_state.in_([bindparam(f"{prefix}_state_{j}", type_=String) for j in range(states)]),
               # A state is entered by a change of state or by opening (no state before).
               or_(_TL.c.from_state.is_(None), _TL.c.from_state != _TL.c.to_state)]
    if count == "of_period":
        cases.append(_CASES.c.period_id == _PERIOD)
        return cases, cases, and_(*entered)
    entered += [_TL.c.at >= _START, _TL.c.at < _END]
    # A case that entered a state at a time in the period was changed at that time, and `updated_at` is its
    # latest change: only the cases changed since the period began are asked (ix_cases_agreement_workflow_updated),
    # not every case of the agreement's years.
    return cases, [*cases, _CASES.c.updated_at >= _START], and_(*entered)


def _constant(value: int) -> ColumnElement[int]:
    return literal_column(str(value), Integer)


def _parts(index: int, shape: _Shape, reader: Reach | None, limited: bool) -> list[Select[Any]]:
    """The rows of obligation `index` (its values bound under the prefixes o{index} and r{index}), each
    starting with `index`."""
    # Every case that counts is counted (what is met does not depend on who looks); those the reader may
    # see come first, and only they are listed (the rest of the rows the limit lets through are dropped).
    # The open cases that would count when they get there are those not counted yet that the reader may see.
    # Joins, not EXISTS: SQLite ran a correlated subquery per case at three times the cost of the join.
    count, requiring, states = shape
    ob = _constant(index).label("ob")
    of_workflow, changed, entered = _of_obligation(count, f"o{index}", states)
    may_see = when((seen(reader), _constant(1)), else_=_constant(0)) if reader is not None else _constant(1)
    listed = may_see.label("listed")
    counted = (sa_select(ob, _constant(_COUNTED).label("kind"), _CASES.c.id, listed,
                         func.count().over().label("n"), func.sum(listed).over().label("listed_n"))
               .select_from(_CASES.join(_TL, entered)).where(*changed)
               .group_by(_CASES.c.id).order_by(listed.desc(), _CASES.c.id))
    waiting = (sa_select(ob, _constant(_OPEN).label("kind"), _CASES.c.id, _constant(1).label("listed"),
                         func.count().over().label("n"), _constant(0).label("listed_n"))
               .select_from(_CASES.outerjoin(_TL, entered))
               .where(*of_workflow, _CASES.c.is_open == true(), _TL.c.id.is_(None),
                      *([seen(reader)] if reader is not None else []))
               .order_by(_CASES.c.id))
    if limited:
        counted, waiting = counted.limit(_SHOWN), waiting.limit(_SHOWN)
    parts = [sa_select(counted.subquery()), sa_select(waiting.subquery())]
    if requiring:
        _all, requiring_changed, entered_required = _of_obligation(count, f"r{index}", 1)
        parts.append(sa_select(ob, _constant(_REQUIRED), _constant(0), _constant(0),
                               func.count(distinct(_CASES.c.id)), _constant(0))
                     .select_from(_CASES.join(_TL, entered_required)).where(*requiring_changed))
    return parts


@cache
def _statement(shapes: tuple[_Shape, ...], reader: Reach | None, limited: bool) -> CompoundSelect[Any]:
    return union_all(*(part for i, shape in enumerate(shapes) for part in _parts(i, shape, reader, limited)))


def _params(eng: Engine, period: Period, obligations: Sequence[ObligationConfig]) -> dict[str, Any]:
    start, end = _bounds(eng, period)
    params: dict[str, Any] = {"o_agreement": period.agreement_id, "o_period": period.id, "o_start": start,
                              "o_end": end}
    for i, ob in enumerate(obligations):
        params[f"o{i}_workflow"] = ob.workflow
        params |= {f"o{i}_state_{j}": state for j, state in enumerate(ob.states)}
        if ob.required_state is not None:
            params |= {f"r{i}_workflow": ob.requiring_workflow, f"r{i}_state_0": ob.required_state}
    return params


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
    """How far one obligation is met in `period`, and whether that is behind the pace `today` asks for
    (`obligation_statuses` for one)."""
    [status] = obligation_statuses(session, eng, period, (ob,), today, viewer, shown)
    return status


def obligation_statuses(session: Session, eng: Engine, period: Period, obligations: Sequence[ObligationConfig],
                        today: dt.date | None = None, viewer: Actor | None = None,
                        shown: int | None = None) -> list[ObligationStatus]:
    """How far each of `obligations` is met in `period`, and whether that is behind the pace `today` asks
    for, read in one statement.

    A fixed number is expected evenly over the period (12 reviews a year: 2 by the end of
    February); one counted from another state (information after each review held) is
    expected in full at once. Every counted case counts; the cases listed are those `viewer`
    may see (all without one), the first `shown` of them (all when None), with their totals.
    """
    if not obligations:
        return []
    params = _params(eng, period, obligations) | ({"o_shown": shown} if shown is not None else {})
    if viewer is not None:
        params |= binds(viewer)
    statement = _statement(tuple(_shape(ob) for ob in obligations),
                           reach(viewer) if viewer is not None else None, shown is not None)
    rows: list[list[Any]] = [[] for _ob in obligations]
    with generic_plan(session):  # its plan is the same for every agreement and reader; planning it cost more
        found = session.execute(statement, params).all()
    for row in found:
        rows[row[0]].append(row[1:])
    return [_status(ob, of_ob, period, today) for ob, of_ob in zip(obligations, rows, strict=True)]


def _status(ob: ObligationConfig, rows: list[Any], period: Period, today: dt.date | None) -> ObligationStatus:
    """`ob`'s status from its rows of the statement (kind, case id, listed, n, listed_n)."""
    counted = sorted((r for r in rows if r[0] == _COUNTED), key=lambda r: r[1])
    done, case_total = (counted[0][3], int(counted[0][4])) if counted else (0, 0)
    case_ids = [r[1] for r in counted if r[2]]
    waiting = sorted((r for r in rows if r[0] == _OPEN), key=lambda r: r[1])
    open_ids, open_total = [r[1] for r in waiting], (waiting[0][3] if waiting else 0)
    if ob.required_state is not None:
        required = next(r[3] for r in rows if r[0] == _REQUIRED)
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
        obligations = obligation_statuses(session, eng, period, a.obligations, today, who, shown)
        return AgreementStatus(
            title=agreement.title, parties=list(agreement.parties), period_number=period.number,
            starts_on=period.starts_on, ends_on=period.ends_on, days_left=(period.ends_on - today).days,
            status=period.status, renewal_case_id=case.id if case else None,
            renewal_state=case.state if case else None, obligations=obligations,
            missing_signatures=missing_signatures(eng, session, case),
        )


