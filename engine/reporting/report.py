"""The follow-up report to the steering group: what was opened, closed, still open and overdue,
per focus area and per workflow, and whether each obligation of the agreement was met.

Everything is read from the transition log (when a case entered a state), so a report on
an imported copy of the data equals the report on the original. The figures are taken as
of the end of the range, or as of `now` while the range is still running.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from engine.cases.periods import period_bounds
from engine.config.settings import AgreementConfig, ObligationConfig
from engine.kernel.errors import ValidationError
from engine.runtime.engine import Engine
from engine.store.models import CaseRow, Deadline, Period, TransitionLog

__all__ = ["CaseFacts", "Counts", "Obligation", "Report", "ReportRange", "build_report", "report_range"]

NO_FOCUS_AREA = ""


@dataclass(frozen=True)
class ReportRange:
    """[starts_on, ends_on) in local dates; `kind` is "year" or "period"."""

    kind: str
    number: int  # the year, or the period's number
    starts_on: dt.date
    ends_on: dt.date

    @property
    def months(self) -> int:
        """Whole months the range spans (12 for a year)."""
        return (self.ends_on.year - self.starts_on.year) * 12 + self.ends_on.month - self.starts_on.month


@dataclass(frozen=True)
class Counts:
    key: str
    sv: str
    en: str
    opened: int
    closed: int
    open: int
    overdue: int
    median_days_to_close: float | None

    def label(self, language: str) -> str:
        """The label in `language`."""
        return self.en if language == "en" else self.sv


@dataclass(frozen=True)
class Obligation:
    key: str
    sv: str
    en: str
    required: int
    achieved: int
    status: str  # met | not_met | pending (the range is still running)

    def label(self, language: str) -> str:
        """The label in `language`."""
        return self.en if language == "en" else self.sv


@dataclass(frozen=True)
class Report:
    range: ReportRange
    agreement_title: str
    as_of: dt.datetime
    by_focus_area: tuple[Counts, ...]
    by_workflow: tuple[Counts, ...]
    obligations: tuple[Obligation, ...]


@dataclass
class CaseFacts:
    """One case as the log tells it: (seq, state entered, when) for every change of state."""

    id: int
    workflow: str
    focus_area: str
    period_id: int | None
    is_open: bool
    entries: list[tuple[int, str, dt.datetime]] = field(default_factory=list)
    due: dict[int, dt.datetime] = field(default_factory=dict)  # entering seq -> due time

    @property
    def opened_at(self) -> dt.datetime:
        """When the case was opened (its first log row)."""
        return self.entries[0][2]

    @property
    def closed_at(self) -> dt.datetime | None:
        """When it entered its final state, if it is closed."""
        return None if self.is_open else self.entries[-1][2]

    def entry_at(self, point: dt.datetime) -> tuple[int, str, dt.datetime] | None:
        """The last change of state before `point`."""
        before = [e for e in self.entries if e[2] < point]
        return before[-1] if before else None

    def is_open_at(self, point: dt.datetime) -> bool:
        """Opened before `point` and not closed by then."""
        closed = self.closed_at
        return self.opened_at < point and (closed is None or closed >= point)

    def is_overdue_at(self, point: dt.datetime) -> bool:
        """Open at `point` and past the due time of the state it was in."""
        entry = self.entry_at(point)
        due = self.due.get(entry[0]) if entry else None
        return self.is_open_at(point) and due is not None and due < point

    def first_entry(self, states: tuple[str, ...]) -> dt.datetime | None:
        """When the case first entered one of `states`."""
        return next((at for _, state, at in self.entries if state in states), None)


def _period_number_at(a: AgreementConfig, today: dt.date) -> int:
    number = 1
    while period_bounds(a.start, a.period_months, number)[1] <= today:
        number += 1
    return number


def report_range(eng: Engine, *, year: int | None = None, period: str | None = None,
                 now: dt.datetime | None = None, agreement: str | None = None) -> ReportRange:
    """The range of a calendar year, or of the current or previous period of `agreement` (default one)."""
    if (year is None) == (period is None):
        raise ValidationError("range", "Give either a year or a period (current or previous).")
    if year is not None:
        if not 1900 < year < 3000:
            raise ValidationError("year", f"{year} is not a year to report on; give e.g. 2027.")
        return ReportRange("year", year, dt.date(year, 1, 1), dt.date(year + 1, 1, 1))
    if period not in ("current", "previous"):
        raise ValidationError("period", f"Period is 'current' or 'previous', not {period!r}.")
    a = _agreement(eng, agreement)
    today = (now or eng.now()).astimezone(eng.tz).date()
    number = _period_number_at(a, today) - (1 if period == "previous" else 0)
    if number < 1:
        raise ValidationError("period", "The agreement has no previous period yet; report on the current one.")
    starts, ends = period_bounds(a.start, a.period_months, number)
    return ReportRange("period", number, starts, ends)


def _agreement(eng: Engine, key: str | None) -> AgreementConfig:
    if key is None:
        return eng.config.agreement
    try:
        return eng.config.agreement_by_key(key)
    except KeyError:
        keys = ", ".join(a.key for a in eng.config.agreements)
        raise ValidationError("agreement", f"No agreement {key!r} in config.toml; choose one of: {keys}.") from None


def load_facts(session: Session, agreement_id: int, before: dt.datetime) -> list[CaseFacts]:
    """Every case opened before `before`, with its changes of state and due times."""
    cases = session.execute(sa_select(col(CaseRow.id), col(CaseRow.workflow), col(CaseRow.focus_area),
                                col(CaseRow.period_id), col(CaseRow.is_open))
                         .where(col(CaseRow.agreement_id) == agreement_id, col(CaseRow.opened_at) < before)
                         .order_by(col(CaseRow.id))).all()
    facts = {c[0]: CaseFacts(c[0], c[1], c[2] or NO_FOCUS_AREA, c[3], c[4]) for c in cases if c[0] is not None}
    if not facts:
        return []
    ids = list(facts)
    rows = session.execute(sa_select(col(TransitionLog.case_id), col(TransitionLog.seq), col(TransitionLog.from_state),
                               col(TransitionLog.to_state), col(TransitionLog.at))
                        .where(col(TransitionLog.case_id).in_(ids))
                        .order_by(col(TransitionLog.case_id), col(TransitionLog.seq))).all()
    for case_id, seq, from_state, to_state, at in rows:
        if from_state != to_state:  # assignments keep the state; they are not changes
            facts[case_id].entries.append((seq, to_state, at))
    dues = session.exec(select(col(Deadline.case_id), col(Deadline.case_version), col(Deadline.due_at))
                        .where(col(Deadline.kind) == "due", col(Deadline.case_id).in_(ids))).all()
    for case_id, version, due_at in dues:
        # A case's version equals the seq of its log row, so the row entering a state finds its deadline.
        facts[case_id].due[version] = due_at
    return [f for f in facts.values() if f.entries]


def _counts(key: str, sv: str, en: str, cases: list[CaseFacts], start: dt.datetime, end: dt.datetime,
            point: dt.datetime) -> Counts:
    opened = [c for c in cases if start <= c.opened_at < end]
    closed = [c for c in cases if c.closed_at is not None and start <= c.closed_at < end]
    days = [(c.closed_at - c.opened_at).total_seconds() / 86400 for c in closed if c.closed_at]
    return Counts(key, sv, en, len(opened), len(closed), sum(c.is_open_at(point) for c in cases),
                  sum(c.is_overdue_at(point) for c in cases),
                  round(statistics.median(days), 1) if days else None)


@dataclass(frozen=True)
class _Window:
    """The range as UTC times, the point the figures are taken at, and the agreement it is about."""

    rng: ReportRange
    start: dt.datetime
    end: dt.datetime
    point: dt.datetime
    agreement: AgreementConfig
    tz: object

    def local_midnight(self, day: dt.date) -> dt.datetime:
        """Midnight starting `day` in the deployment's zone, as UTC."""
        return dt.datetime.combine(day, dt.time(0), tzinfo=self.tz).astimezone(dt.UTC)  # type: ignore[arg-type]


def _entered_in(c: CaseFacts, states: tuple[str, ...], w: _Window) -> bool:
    return any(state in states and w.start <= at < w.end for _, state, at in c.entries)


def _obligation(ob: ObligationConfig, cases: list[CaseFacts], w: _Window, period_numbers: dict[int, int]) -> Obligation:
    mine = [c for c in cases if c.workflow == ob.workflow]
    if ob.count == "of_period":
        # The periods that end inside the range: each needs its own cases in one of the states.
        a = w.agreement
        ending = [n for n in range(1, _period_number_at(a, w.rng.ends_on) + 1)
                  if w.rng.starts_on < period_bounds(a.start, a.period_months, n)[1] <= w.rng.ends_on]
        belongs = [c for c in mine if period_numbers.get(c.period_id or 0) in ending]
        achieved = sum(1 for c in belongs if (at := c.first_entry(ob.states)) is not None and at < w.point)
        requiring = [c for c in cases if c.workflow == ob.requiring_workflow
                     and period_numbers.get(c.period_id or 0) in ending]
        per_period = ob.required if ob.required is not None else sum(
            1 for c in requiring if (at := c.first_entry((ob.required_state or "",))) is not None and at < w.point)
        required = per_period * len(ending) if ob.required is not None else per_period
        last_end = period_bounds(a.start, a.period_months, max(ending))[1] if ending else w.rng.ends_on
        running = w.point < w.local_midnight(last_end)
    else:
        achieved = sum(1 for c in mine if _entered_in(c, ob.states, w))
        if ob.required is not None:
            # `required` is per agreement period; a range of another length asks proportionally.
            required = math.ceil(ob.required * w.rng.months / w.agreement.period_months)
        else:
            required = sum(1 for c in cases if c.workflow == ob.requiring_workflow
                           and _entered_in(c, (ob.required_state or "",), w))
        running = w.point < w.end
    status = "met" if achieved >= required else ("pending" if running else "not_met")
    return Obligation(ob.key, ob.sv, ob.en, required, achieved, status)


def build_report(eng: Engine, rng: ReportRange, *, now: dt.datetime | None = None,
                 agreement: str | None = None) -> Report:
    """The follow-up report on `agreement` (default one) for `rng`, as of its end or `now` if sooner."""
    now = now or eng.now()
    a = _agreement(eng, agreement)
    start = dt.datetime.combine(rng.starts_on, dt.time(0), tzinfo=eng.tz).astimezone(dt.UTC)
    end = dt.datetime.combine(rng.ends_on, dt.time(0), tzinfo=eng.tz).astimezone(dt.UTC)
    # While the range runs, what happened at `now` itself has happened.
    point = end if now >= end else now + dt.timedelta(microseconds=1)
    with eng.db.read() as session:
        agreement_id = eng.agreement_id(session, a.key)
        cases = load_facts(session, agreement_id, point)
        period_numbers = {i: n for i, n in session.exec(select(Period.id, Period.number)
                                                        .where(Period.agreement_id == agreement_id)).all()
                          if i is not None}
    by_focus: dict[str, list[CaseFacts]] = defaultdict(list)
    by_workflow: dict[str, list[CaseFacts]] = defaultdict(list)
    for c in cases:
        by_focus[c.focus_area].append(c)
        by_workflow[c.workflow].append(c)
    w = _Window(rng, start, end, point, a, eng.tz)
    areas = [(f.key, f.sv, f.en) for f in eng.config.focus_areas]
    if by_focus.get(NO_FOCUS_AREA):
        areas.append((NO_FOCUS_AREA, "Inget fokusområde", "No focus area"))
    flows = [(d.key, d.label.get("sv"), d.label.get("en")) for d in eng.registry.current.values()]
    return Report(
        range=rng,
        agreement_title=a.title,
        as_of=min(end, now),
        by_focus_area=tuple(_counts(k, sv, en, by_focus[k], start, end, point) for k, sv, en in areas),
        by_workflow=tuple(_counts(k, sv, en, by_workflow[k], start, end, point)
                          for k, sv, en in sorted(flows)),
        obligations=tuple(_obligation(ob, cases, w, period_numbers) for ob in a.obligations),
    )
