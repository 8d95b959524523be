"""The read model of a case in the crime-prevention cycle: its sources, its measures with their state,
whom each waits for and when it is due, what a follow-up judged, and what may be opened from it."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypedDict

from sqlmodel import Session, col, select

from engine.accounts.users import as_actor
from engine.cases import waiting
from engine.cases.firing import load_visible
from engine.cases.plans import JUDGEMENTS, definition_of_case, measures_of
from engine.cases.views import LabelText, get_case
from engine.cases.waiting import WaitingView
from engine.kernel.actors import Actor
from engine.policy.access import may_manage, visible
from engine.runtime.engine import Engine
from engine.store.models import CaseLink, CaseRow, Group, TransitionLog

__all__ = ["CycleView", "LinkedCase", "MeasureView", "cycle_view"]


class LinkedCase(TypedDict):
    id: int
    title: str
    workflow_label: LabelText
    state_label: LabelText
    is_open: bool


class MeasureView(LinkedCase):
    group: LabelText
    focus_area: str | None
    due_at: str | None
    overdue: bool
    waiting_for: list[WaitingView]
    outcome: str | None  # the latest comment of its log: what was done, or why it was cancelled
    judgement: dict[str, Any] | None  # in a follow-up: its judgement of the measure


class CycleView(TypedDict):
    case: Any  # engine.cases.views.CaseView
    parent: LinkedCase | None
    sources: list[LinkedCase]
    measures: list[MeasureView]
    opened_from_here: list[LinkedCase]  # plans of a situation picture, follow-ups of a plan
    may_open: list[dict[str, Any]]  # {workflow, label}: what may be opened from this case now
    may_add_source: bool
    suggested_sources: list[LinkedCase]  # the last adopted follow-up, feeding the next situation picture
    may_open_measures: bool
    may_judge: bool
    judgements: list[str]


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _label(labels: Any) -> LabelText:
    return {"sv": labels.sv, "en": labels.en}


def _linked(eng: Engine, session: Session, c: CaseRow) -> LinkedCase:
    d = definition_of_case(eng, session, c)
    assert c.id is not None
    return {"id": c.id, "title": c.title, "workflow_label": _label(d.label),
            "state_label": _label(d.states[c.state].label), "is_open": c.is_open}


def _outcomes(session: Session, ids: list[int]) -> dict[int, str]:
    rows = session.exec(select(TransitionLog.case_id, TransitionLog.comment)
                        .where(col(TransitionLog.case_id).in_(ids), col(TransitionLog.comment).is_not(None))
                        .order_by(col(TransitionLog.case_id), col(TransitionLog.seq))).all() if ids else []
    return {case_id: comment for case_id, comment in rows if comment}


def _measures(eng: Engine, session: Session, plan: CaseRow, who: Actor, now: dt.datetime,
              judged: dict[str, Any]) -> list[MeasureView]:
    rows = [m for m in measures_of(eng, session, plan) if m.id is not None]
    seen = set(session.exec(select(CaseRow.id).where(col(CaseRow.id).in_([m.id for m in rows]), visible(who))).all()) \
        if rows else set()
    rows = [m for m in rows if m.id in seen]
    ids = [m.id for m in rows if m.id is not None]
    waits, outcomes = waiting.views_of(session, ids), _outcomes(session, ids)
    groups = {g.id: g for g in session.exec(select(Group).where(col(Group.id).in_({m.group_id for m in rows}))).all()}
    out: list[MeasureView] = []
    for m in rows:
        assert m.id is not None
        g = groups[m.group_id]
        out.append({**_linked(eng, session, m), "group": {"sv": g.name_sv, "en": g.name_en},
                    "focus_area": m.focus_area, "due_at": _iso(m.due_at),
                    "overdue": bool(m.is_open and m.due_at and m.due_at < now), "waiting_for": waits.get(m.id, []),
                    "outcome": outcomes.get(m.id), "judgement": judged.get(str(m.id))})
    return out


def _suggested(eng: Engine, session: Session, case: CaseRow, who: Actor, linked: set[int | None]) -> list[CaseRow]:
    """The latest closed follow-up (a workflow that judges measures) of the agreement, if not linked yet."""
    judging = [d.key for d in eng.registry.current.values() if d.linking.judging_states]
    if not judging:
        return []
    last = session.exec(select(CaseRow).where(col(CaseRow.workflow).in_(judging), col(CaseRow.is_open).is_(False),
                                              CaseRow.agreement_id == case.agreement_id, visible(who))
                        .order_by(col(CaseRow.closed_at).desc(), col(CaseRow.id).desc())).first()
    return [last] if last is not None and last.id not in linked else []


def _openable_here(eng: Engine, case: CaseRow, manages: bool) -> list[dict[str, Any]]:
    if not manages:
        return []
    return [{"workflow": d.key, "label": _label(d.label)} for d in eng.registry.current.values()
            if d.linking.opened_from is not None and d.linking.opened_from.workflow == case.workflow
            and case.state in d.linking.opened_from.states]


def cycle_view(eng: Engine, case_id: int, actor: Actor | str, *, now: dt.datetime | None = None) -> CycleView:
    """The cycle page of one case, as `actor` may see it (NotFound if hidden)."""
    now = now or eng.now()
    view = get_case(eng, case_id, actor, now=now)
    with eng.db.read() as session:
        who = as_actor(session, actor)
        case = load_visible(session, case_id, who)
        d = definition_of_case(eng, session, case)
        manages = may_manage(who, case)
        parent = session.exec(select(CaseRow).where(CaseRow.id == case.parent_id, visible(who))).first() \
            if case.parent_id else None
        source_rows = session.exec(select(CaseRow).join(CaseLink, col(CaseLink.linked_id) == col(CaseRow.id))
                                   .where(CaseLink.case_id == case_id, visible(who))
                                   .order_by(col(CaseRow.id))).all()
        judging = bool(d.linking.judging_states)
        plan = case if d.linking.measures_workflow else (parent if judging else None)
        judged = dict(case.data.get("judgements", {})) if judging else {}
        measures = _measures(eng, session, plan, who, now, judged) if plan is not None else []
        suggested = _suggested(eng, session, case, who, {c.id for c in source_rows}) \
            if case.state in d.linking.source_states else []
        from_here = [c for c in session.exec(select(CaseRow).where(CaseRow.parent_id == case_id, visible(who))
                                             .order_by(col(CaseRow.id))).all()
                     if (cd := definition_of_case(eng, session, c).linking.opened_from) is not None
                     and cd.workflow == case.workflow]
        return {
            "case": view,
            "parent": _linked(eng, session, parent) if parent is not None else None,
            "sources": [_linked(eng, session, c) for c in source_rows],
            "measures": measures,
            "opened_from_here": [_linked(eng, session, c) for c in from_here],
            "may_open": _openable_here(eng, case, manages),
            "may_add_source": manages and case.state in d.linking.source_states,
            "suggested_sources": [_linked(eng, session, c) for c in suggested] if manages else [],
            "may_open_measures": manages and case.state in d.linking.measure_states,
            "may_judge": manages and case.state in d.linking.judging_states,
            "judgements": list(JUDGEMENTS),
        }
