"""The one access policy: which roles an actor holds on a case, who may see it, who may manage it.

Each rule that a query also needs has its SQL form next to its Python form, so a list
never shows what the case page would refuse (tests/integration/test_policy.py holds the
two against each other for every demo persona and case).
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import ColumnElement, false, or_, true
from sqlmodel import col

from engine.kernel.actors import Actor
from engine.store.models import CaseRow

__all__ = ["CaseFacts", "may_manage", "may_see", "roles_on", "visible"]


class CaseFacts(Protocol):
    """What the policy reads of a case: a row, an adapter or a view all have these."""

    @property
    def group_id(self) -> int: ...
    @property
    def assignee_id(self) -> int | None: ...


def roles_on(actor: Actor, case: CaseFacts) -> frozenset[str]:
    """The actor's roles plus those they hold on this case (`assignee`, `group_member`)."""
    extra = set()
    if actor.user_id is not None and actor.user_id == case.assignee_id:
        extra.add("assignee")
    if case.group_id in actor.group_ids:
        extra.add("group_member")
    return actor.roles | extra


def may_see(actor: Actor, case: Any) -> bool:
    """Confidential cases: only the owning group, the assignee and the chair see them."""
    return (not case.confidential or actor.is_system or "chair" in actor.roles
            or case.group_id in actor.group_ids
            or (actor.user_id is not None and case.assignee_id == actor.user_id))


def visible(actor: Actor) -> ColumnElement[bool]:
    """`may_see` as an SQL condition on the cases table."""
    if actor.is_system or "chair" in actor.roles:
        return true()
    return or_(col(CaseRow.confidential) == false(),
               col(CaseRow.group_id).in_(actor.group_ids or {-1}),
               col(CaseRow.assignee_id) == actor.user_id)


def may_manage(actor: Actor, case: CaseFacts) -> bool:
    """Assign, hand over or remind: the owning group's members, the chair, an administrator, the system."""
    return actor.is_system or bool(actor.roles & {"chair", "admin"}) or case.group_id in actor.group_ids
