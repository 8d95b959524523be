"""A case as firing reads it: every column a transition needs, and the names whom it waits for shows, in one statement.

Firing used to load the mapped row (the ORM's identity map, attribute instrumentation, a
Pydantic model) and then ask for the owning group's key and the assignee's name separately
while working out whom the case waits for. `load_for_firing` reads all of it in one locked
statement on the driver's cursor (engine.store.prepared) into a plain object. The group key
and the names come from scalar subqueries, not joins, so PostgreSQL's `FOR UPDATE` locks the
case row alone and a row re-read after waiting for that lock still finds its assignee's name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlmodel import Session

from engine.kernel.actors import Actor
from engine.kernel.errors import NotFound
from engine.policy.access import may_see
from engine.store.models import CaseRow, Group, User
from engine.store.prepared import Prepared, run_of

__all__ = ["LoadedCase", "load_for_firing"]


@dataclass(slots=True, eq=False)
class LoadedCase:
    """The columns of a case row that firing reads and writes, with its group's key and its assignee's names."""

    id: int
    agreement_id: int
    period_id: int | None
    workflow: str
    definition_version: str
    state: str
    is_open: bool
    version: int
    assignee_id: int | None
    group_id: int
    confidential: bool
    opened_at: dt.datetime
    updated_at: dt.datetime
    closed_at: dt.datetime | None
    due_at: dt.datetime | None
    requested_due_at: dt.datetime | None
    event_at: dt.datetime | None
    data: dict[str, Any]
    group_key: str
    assignee_username: str | None
    assignee_name: str | None


_C, _G, _U = (CaseRow.__table__, Group.__table__, User.__table__)  # type: ignore[attr-defined]
_COLUMNS = ("id", "agreement_id", "period_id", "workflow", "definition_version", "state", "is_open", "version",
            "assignee_id", "group_id", "confidential", "opened_at", "updated_at", "closed_at", "due_at",
            "requested_due_at", "event_at", "data")
_LOAD = Prepared(
    select(*(_C.c[k] for k in _COLUMNS),
           select(_G.c.key).where(_G.c.id == _C.c.group_id).scalar_subquery().label("group_key"),
           select(_U.c.username).where(_U.c.id == _C.c.assignee_id).scalar_subquery().label("assignee_username"),
           select(_U.c.name).where(_U.c.id == _C.c.assignee_id).scalar_subquery().label("assignee_name"))
    .where(_C.c.id == bindparam("b_id")).with_for_update())


def load_for_firing(session: Session, case_id: int, actor: Actor) -> LoadedCase:
    """Case `case_id`, locked for this transaction, if `actor` may see it; else NotFound (never a hint it exists)."""
    if not 0 < case_id < 2**31:  # ids are 32-bit; a larger number would overflow the database driver
        raise NotFound(f"No case {case_id} that you may see.")
    row = run_of(session).first(_LOAD, {"b_id": case_id})
    case = LoadedCase(*row) if row is not None else None
    if case is None or not may_see(actor, case):
        raise NotFound(f"No case {case_id} that you may see.")
    return case
