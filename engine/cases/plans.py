"""The crime-prevention cycle on cases: sources linked to a situation picture, a plan or follow-up
opened from the case before it, measures opened from a plan, and a judgement per measure.

Which workflow plays which part is data in the workflow files (`engine.workflow.linking`), so
nothing here names a workflow.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from engine.accounts.users import as_actor
from engine.cases.commands import OpenRequest, bump, open_in
from engine.cases.firing import append_log, load_visible
from engine.kernel.actors import Actor
from engine.kernel.errors import Forbidden, NotFound, ValidationError
from engine.kernel.text import check_storable
from engine.policy.access import may_manage
from engine.runtime.engine import Engine
from engine.store.models import CaseLink, CaseRow, Group
from engine.store.sql import insert_ignore
from engine.workflow.definition import Definition

__all__ = ["JUDGEMENTS", "MeasureRequest", "add_source", "definition_of_case", "judge", "measures_of", "open_from",
           "open_measure"]

# How a measure turned out, as the follow-up judges it.
JUDGEMENTS = ("achieved", "partly", "not_achieved")
NOT_YOURS = "Only the owning group's members or the chair may change this case."


def definition_of_case(eng: Engine, session: Session, case: CaseRow) -> Definition:
    """The definition version `case` runs on."""
    return eng.registry.machine(session, case.workflow, case.definition_version).definition


def _managed(eng: Engine, session: Session, case_id: int, who: Actor) -> tuple[CaseRow, Definition]:
    case = load_visible(session, case_id, who, lock=True)
    if not may_manage(who, case):
        raise Forbidden(NOT_YOURS)
    return case, definition_of_case(eng, session, case)


def add_source(eng: Engine, case_id: int, source_id: int, actor: Actor | str, *,
               now: dt.datetime | None = None) -> None:
    """Link case `source_id` to `case_id` as its material (statistics, the safety survey, a review)."""
    now = now or eng.now()
    with eng.db.write() as session:
        who = as_actor(session, actor)
        case, d = _managed(eng, session, case_id, who)
        if case.state not in d.linking.source_states:
            raise ValidationError("source", "Sources are linked while the material is gathered and analysed; "
                                            "this case is past that.", code="sources_closed")
        if source_id == case_id:
            raise ValidationError("source", "A case cannot be its own source; give another case's number.",
                                  code="own_source")
        try:
            load_visible(session, source_id, who)
        except NotFound:  # said in the form, without a hint whether it exists
            raise ValidationError("source", f"No case {source_id} that you may see; check the number.",
                                  code="no_source", params={"id": str(source_id)}) from None
        insert_ignore(session, CaseLink, ["case_id", "linked_id"], case_id=case_id, linked_id=source_id,
                      added_by=who.username, added_at=now)


@dataclass(frozen=True)
class MeasureRequest:
    """One measure of a plan, opened as a case of the plan's measure workflow."""

    title: str
    group: str
    focus_area: str | None
    due: dt.date | None
    description: str = ""


def open_measure(eng: Engine, plan_id: int, req: MeasureRequest, actor: Actor | str, *,
                 now: dt.datetime | None = None) -> CaseRow:
    """Open a measure under plan `plan_id`, for its group, focus area and due date."""
    now = now or eng.now()
    with eng.db.write() as session:
        who = as_actor(session, actor)
        plan, d = _managed(eng, session, plan_id, who)
        workflow = d.linking.measures_workflow
        if workflow is None or plan.state not in d.linking.measure_states:
            raise ValidationError("measure", "Measures are added while the plan is drafted or in force; "
                                             "this plan takes none now.", code="no_measures")
        if req.focus_area is None:
            raise ValidationError("focus_area", "Choose the focus area the measure belongs to.", code="focus_needed")
        return open_in(eng, session, OpenRequest(workflow, req.title, group=req.group, focus_area=req.focus_area,
                                                 due=req.due, description=req.description, parent_id=plan_id,
                                                 confidential=False), who, now)


def open_from(eng: Engine, parent_id: int, workflow: str, title: str, actor: Actor | str, *,
              now: dt.datetime | None = None) -> CaseRow:
    """Open a case of `workflow` from case `parent_id` (a plan from a situation picture, a follow-up from
    a plan), owned by the parent's group; the workflow's `opened_from` says which parents it takes."""
    now = now or eng.now()
    with eng.db.write() as session:
        who = as_actor(session, actor)
        parent = load_visible(session, parent_id, who)
        group = session.exec(select(Group.key).where(Group.id == parent.group_id)).one()
        return open_in(eng, session, OpenRequest(workflow, title, group=group, parent_id=parent_id), who, now)


def measures_of(eng: Engine, session: Session, plan: CaseRow) -> list[CaseRow]:
    """The measures of `plan` (its children of its measure workflow), oldest first."""
    workflow = definition_of_case(eng, session, plan).linking.measures_workflow
    if workflow is None:
        return []
    return list(session.exec(select(CaseRow).where(CaseRow.parent_id == plan.id, CaseRow.workflow == workflow)
                             .order_by(col(CaseRow.id))).all())


def judge(eng: Engine, case_id: int, measure_id: int, judgement: str, note: str, actor: Actor | str, *,
          expected_version: int | None = None, now: dt.datetime | None = None) -> CaseRow:
    """Record the follow-up's judgement of one measure of the plan it follows up (logged, signed)."""
    check_storable(judgement=judgement, note=note)
    if judgement not in JUDGEMENTS:
        raise ValidationError("judgement", f"Judge the measure as one of: {', '.join(JUDGEMENTS)}.",
                              code="bad_judgement")
    if len(note) > 2000:
        raise ValidationError("note", "A judgement's note is at most 2000 characters.", code="long_note")
    now = now or eng.now()
    with eng.db.write() as session:
        who = as_actor(session, actor)
        case, d = _managed(eng, session, case_id, who)
        if case.state not in d.linking.judging_states:
            raise ValidationError("judgement", "The measures are judged before the follow-up is submitted; "
                                               "this one is past that.", code="judging_closed")
        plan = session.exec(select(CaseRow).where(CaseRow.id == case.parent_id)).first()
        measures = measures_of(eng, session, plan) if plan is not None else []
        if measure_id not in {m.id for m in measures}:
            raise ValidationError("measure", f"Case {measure_id} is not a measure of the plan followed up.",
                                  code="not_a_measure", params={"id": str(measure_id)})
        judgements = dict(case.data.get("judgements", {}))
        judgements[str(measure_id)] = {"judgement": judgement, "note": note.strip(), "by": who.username,
                                       "at": now.isoformat()}
        data = {**case.data, "judgements": judgements, "measure_ids": [m.id for m in measures]}
        bump(session, case, expected_version, now, data=data)
        append_log(eng, session, case, "@judge", case.state, who.username, now,
                   f"#{measure_id}: {judgement}" + (f" – {note.strip()}" if note.strip() else ""))
    return case
