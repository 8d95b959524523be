""""Att göra" in SQL: the cases that wait for a person, read slot by slot in due order.

A person fills several slots (`waiting.slots_of`: themself, their groups, their roles there and in
each agreement they span); a police officer working for ten municipalities fills 21. Finding every
case that waits in any of them and sorting them cost what the person has waiting: 1,400 cases for
that officer at a million cases, for a page of 25. Each slot's rows are in the index (slot, due_at,
case_id, except_user_id) in the queue's order, so each slot is read here only for its first
`b_take` rows that the case's conditions let through, and the page is the first of their merge
(a case waiting in two of the person's slots once); the few cases without a due time come after
(`undated`). On PostgreSQL one LATERAL join over the slot
list; on SQLite, which has no LATERAL, a UNION of one LIMITed select per slot.

The plans: SQLite walks each slot's index range in order (a covering index, no sort) and looks up
the case of each row it takes. PostgreSQL walks it the same way (Index Only Scan under a Limit)
where the visibility map is current, as autovacuum keeps it; on a table just bulk-loaded and never
vacuumed it reads each slot by bitmap and sorts it, which still costs the slot's rows, not the data's.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import ARRAY, Integer, String, bindparam, func, literal_column, or_, select, true, union
from sqlalchemy.sql.elements import ColumnElement

from engine.cases.waiting import SLOTS
from engine.policy import access
from engine.policy.access import USER, Reach
from engine.store.models import CaseRow, CaseWaiting

__all__ = ["TAKE", "binds", "capped_count", "found", "seen", "undated"]

_W, _C = CaseWaiting.__table__, CaseRow.__table__  # type: ignore[attr-defined]
TAKE = bindparam("b_take", type_=Integer)  # rows read per slot: the page's offset and limit, or the count's cap
_SLOT_LIST = bindparam("b_slot_list", type_=ARRAY(String))
_JSON_LISTS = (bindparam("b_groups_json", type_=String), bindparam("b_chaired_json", type_=String))
# `waiting_for_me`'s rule: a slot that leaves the actor out (who completed an action) does not wait for them.
_EXCEPT = or_(_W.c.except_user_id.is_(None), _W.c.except_user_id != USER)


def _slot_bind(i: int) -> Any:
    return bindparam(f"b_slot_{i}", type_=String)


def _arm(conds: tuple[Any, ...], slot: Any) -> Any:
    """The first TAKE cases with a due time waiting in `slot` for the actor, by due time, that meet `conds`
    (conditions on the case)."""
    return (select(_W.c.case_id.label("id"), _W.c.due_at.label("due_at"))
            .select_from(_W.join(_C, _C.c.id == _W.c.case_id))
            .where(_W.c.slot == slot, _W.c.due_at.is_not(None), _EXCEPT, *conds)
            .order_by(_W.c.due_at, _W.c.case_id).limit(TAKE))


def found(conds: tuple[Any, ...], n: int, dialect: str) -> Any:
    """A subquery (id, due_at) of each case found in the first TAKE rows of one of the actor's `n` slots."""
    if dialect == "postgresql":
        slots = func.unnest(_SLOT_LIST).table_valued("slot").render_derived(name="slots")
        arm = _arm(conds, slots.c.slot).lateral("arm")
        return select(arm.c.id, arm.c.due_at).select_from(slots.join(arm, true())).distinct().subquery()
    return union(*(_arm(conds, _slot_bind(i)).subquery().select() for i in range(n))).subquery()


def undated(conds: tuple[Any, ...]) -> Any:
    """A subquery (id, due_at) of the cases without a due time that wait for the actor (their slots bound as
    `waiting.SLOTS`) and meet `conds`.

    Not read slot by slot: they have no due order to stop in, they are few (a state without a deadline),
    and each slot's are one range of the index, (slot, NULL), so this reads them and no others. Asked
    only when the cases with a due time do not fill the page.
    """
    return (select(_W.c.case_id.label("id"), _W.c.due_at.label("due_at"))
            .select_from(_W.join(_C, _C.c.id == _W.c.case_id))
            .where(_W.c.slot.in_(SLOTS), _W.c.due_at.is_(None), _EXCEPT, *conds).distinct().subquery())


def capped_count(conds: tuple[Any, ...], cap: Any) -> ColumnElement[int]:
    """How many cases wait for the actor (their slots bound as `waiting.SLOTS`) that meet `conds`, up to `cap`.

    The waiting rows joined to their cases, each case once, and no more than `cap` of them: the
    database stops there (SQLite keeps the cases seen in a temporary b-tree and stops at the limit),
    so the header's count costs about `cap` rows however many wait for the person. Counting the
    cases found through `slot IN (...)` first read every one of them (5 ms for a police officer at
    a million cases); a first `cap` per slot read up to `cap` rows of each slot.
    """
    found_ = (select(_W.c.case_id).select_from(_W.join(_C, _C.c.id == _W.c.case_id))
              .where(_W.c.slot.in_(SLOTS), _EXCEPT, *conds).distinct().limit(cap).subquery())
    return select(func.count()).select_from(found_).scalar_subquery()


def seen(shape: Reach, dialect: str) -> ColumnElement[bool]:
    """`access.seen` for `found`'s conditions. On SQLite, whose statement repeats it for every slot, the
    actor's groups are bound once, as JSON: bound as lists (expanding parameters) they made SQLAlchemy
    rewrite the statement's text and parameters on every run, a police officer's 23 lists of 11 groups
    costing more than the query."""
    if dialect == "postgresql":
        return access.seen(shape)
    groups, chaired = (_json_list(b) for b in _JSON_LISTS)
    return access.seen(shape, groups, chaired)


def _json_list(bind: Any) -> Any:
    return select(literal_column("value")).select_from(func.json_each(bind))


def binds(slots: list[str], params: dict[str, Any], dialect: str) -> dict[str, Any]:
    """The values of `found`'s parameters for the actor's `slots` (`waiting.slots_of`) and access `params`
    (`access.binds`)."""
    if dialect == "postgresql":
        return {_SLOT_LIST.key: slots}
    lists = {b.key: json.dumps(params[p.key]) for b, p in zip(_JSON_LISTS, (access.GROUPS, access.CHAIRED),
                                                              strict=True)}
    return {**lists, **{f"b_slot_{i}": slot for i, slot in enumerate(slots)}}
