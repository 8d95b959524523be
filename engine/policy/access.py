"""The one access policy: which roles an actor holds on a case, and what those roles allow.

Roles (keys from config.toml's `[[roles]]`; a person holds a role in a group). A role counts
on the cases of the group it is held in, except the three that count everywhere (`EVERYWHERE`):

- `chair` (ordförande): counts on every group's cases. Sees every case, confidential ones
  too; oversees every group (their unassigned queue spans them all); assigns, hands over and
  reminds on any case; opens cases for any group; sees the overview; acts as `chair` wherever
  a workflow lets the chair act (closing, verifying, signing the renewal).
- `admin` (administratör): manages accounts and API tokens; assigns, hands over and reminds on
  any case they may see and sees the overview, but sees another group's confidential cases
  only when assigned to them, and opens cases only where a workflow's `open_roles` lets them.
- `police` (polis): the Police are a party to the agreement, not a municipal group, so the
  role counts wherever a workflow gives the Police a step: signing the renewal, the annual
  report to the steering group, the joint monthly review, acute matters followed up together
  with the municipality. It gives no sight of confidential cases beyond the Police's own group.
- `official`, `member`, `security`: count only on cases of the group they are held in: an
  official of Barn- och utbildningsnämnden acts on that committee's cases, not on the Police's.
- Held on a case rather than in a group: `group_member` (the actor belongs to the case's
  owning group: sees it when confidential, assigns, hands over, reminds, claims it, opens cases
  for the group) and `assignee` (the case is given to the actor: sees it when confidential).
- The system (the scheduler) sees everything, fires only transitions marked `system` (or
  open to every role), and alone opens the workflows marked `system_only`.

Every per-case rule below is read off `roles_on`, so the roles a person holds on a case are
decided in one place. Each rule a query needs has its SQL form next to its Python form, built
from the shape of the actor (`Reach`, hashable, so statements can be cached by it) and bind
parameters (`binds`); tests/integration/test_policy.py holds the two forms against each other
for every demo persona and case, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Integer, bindparam, false, or_, true

from engine.kernel.actors import Actor
from engine.store.models import CaseRow

__all__ = [
    "ADMIN",
    "CHAIR",
    "POLICE",
    "USER",
    "EVERYWHERE",
    "CaseFacts",
    "Reach",
    "assigned",
    "binds",
    "claims",
    "in_own_groups",
    "manages",
    "may_act",
    "may_administer",
    "may_claim",
    "may_manage",
    "may_open",
    "may_remove_attachment",
    "may_see",
    "may_see_overview",
    "overseen",
    "oversees",
    "reach",
    "roles_on",
    "seen",
    "visible",
]

CHAIR, ADMIN = "chair", "admin"
POLICE = "police"
EVERYWHERE = frozenset({CHAIR, ADMIN, POLICE})  # roles that count on every group's cases, wherever they are held
_CONFIDANTS = frozenset({CHAIR, "group_member", "assignee"})  # who sees a confidential case
_OVERSEERS = frozenset({CHAIR, "group_member"})  # who answers for a case being taken care of
_MANAGERS = _OVERSEERS | {ADMIN}  # who may assign, hand over and remind
_REVIEWERS = frozenset({CHAIR, ADMIN})  # who sees the overview of every group


class CaseFacts(Protocol):
    """What the policy reads of a case: a row, an adapter or a view all have these."""

    @property
    def group_id(self) -> int: ...
    @property
    def assignee_id(self) -> int | None: ...


class SeenFacts(CaseFacts, Protocol):
    """A case whose confidentiality matters (`may_see`)."""

    @property
    def confidential(self) -> bool: ...


@dataclass(frozen=True)
class _Draft:
    """A case about to be opened for `group_id`."""

    group_id: int
    assignee_id: int | None = None


def _held_in(actor: Actor, group_id: int) -> frozenset[str]:
    """The roles of `actor` that count on a case of `group_id`: those held in that group, and `EVERYWHERE`.

    The one place that decides whether a role held in one group counts in another.
    """
    return frozenset(r for g, r in actor.memberships if g == group_id or r in EVERYWHERE)


def roles_on(actor: Actor, case: CaseFacts) -> frozenset[str]:
    """The roles `actor` holds on `case`: those that count in its group, plus `assignee` and `group_member`."""
    extra = set()
    if actor.user_id is not None and actor.user_id == case.assignee_id:
        extra.add("assignee")
    if case.group_id in actor.group_ids:
        extra.add("group_member")
    return _held_in(actor, case.group_id) | extra


def may_act(actor: Actor, case: CaseFacts, roles: AbstractSet[str], *, system: bool = False) -> bool:
    """Fire a transition that `roles` may fire on `case` (`system`: one the scheduler fires, and no person)."""
    if actor.is_system:
        return system or not roles
    return not system and not roles.isdisjoint(roles_on(actor, case))


def may_see(actor: Actor, case: SeenFacts) -> bool:
    """Confidential cases: only the owning group, the assignee, the chair and the system see them."""
    return not case.confidential or actor.is_system or bool(_CONFIDANTS & roles_on(actor, case))


def oversees(actor: Actor, case: CaseFacts) -> bool:
    """Whether `actor` answers for the case being taken care of: its group's members; the chair for every group."""
    return bool(_OVERSEERS & roles_on(actor, case))


def manages(roles_on_case: Iterable[str]) -> bool:
    """Whether roles held on a case (`roles_on`, a view's `your_roles`) allow assigning, handing over, reminding."""
    return not _MANAGERS.isdisjoint(roles_on_case)


def may_manage(actor: Actor, case: CaseFacts) -> bool:
    """Assign, hand over or remind: the owning group's members, the chair, an administrator, the system."""
    return actor.is_system or manages(roles_on(actor, case))


def may_open(actor: Actor, group_id: int, roles: AbstractSet[str], *, system_only: bool = False) -> bool:
    """Open a case for group `group_id` of a workflow that `roles` may open (`system_only`: the engine alone).

    `roles` are a definition's `open_roles`, held on the case about to be opened, so
    `group_member` means a member of `group_id`.
    """
    if actor.is_system:
        return True
    return not system_only and not roles.isdisjoint(roles_on(actor, _Draft(group_id)))


def claims(roles_on_case: Iterable[str]) -> bool:
    """Whether these roles on a case allow taking it oneself: only the owning group's members may."""
    return "group_member" in roles_on_case


def may_claim(actor: Actor, case: CaseFacts) -> bool:
    """Take the case oneself (when nobody else holds it): the owning group's members."""
    return claims(roles_on(actor, case))


def may_see_overview(actor: Actor) -> bool:
    """The overview of what is overdue in every group: the chair, administrators and the system."""
    return actor.is_system or not _REVIEWERS.isdisjoint(actor.roles)


def may_administer(actor: Actor) -> bool:
    """Manage user accounts and anyone's API tokens: administrators and the system."""
    return actor.is_system or ADMIN in actor.roles


# The SQL forms. A statement's shape depends on the actor only through `Reach`; the values
# go in as these bind parameters, so the queue statements are built once per shape.
USER = bindparam("b_user", type_=Integer)
GROUPS = bindparam("b_groups", expanding=True, type_=Integer)
_C = CaseRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Reach:
    """What of an actor the shape of an access condition depends on (hashable: a statement cache key)."""

    sees_all: bool  # every case, confidential ones too: the system and the chair
    every_group: bool  # answers for every group's cases: the chair


def reach(actor: Actor) -> Reach:
    """The shape of `actor`'s access conditions."""
    chair = CHAIR in actor.roles  # held anywhere, counts everywhere (EVERYWHERE)
    return Reach(sees_all=actor.is_system or chair, every_group=chair)


def _values(actor: Actor) -> tuple[int, list[int]]:
    # -1 is never an id: an actor without a user or groups matches nothing through them.
    return (actor.user_id if actor.user_id is not None else -1), (sorted(actor.group_ids) or [-1])


def binds(actor: Actor) -> dict[str, Any]:
    """The values of USER and GROUPS for `actor`."""
    user, groups = _values(actor)
    return {USER.key: user, GROUPS.key: groups}


def _seen(shape: Reach, user: Any, groups: Any) -> ColumnElement[bool]:
    if shape.sees_all:
        return true()
    return or_(_C.c.confidential == false(), _C.c.group_id.in_(groups), _C.c.assignee_id == user)


def assigned() -> ColumnElement[bool]:
    """`"assignee" in roles_on(actor, case)` in SQL."""
    return _C.c.assignee_id == USER  # type: ignore[no-any-return]


def in_own_groups() -> ColumnElement[bool]:
    """`"group_member" in roles_on(actor, case)` in SQL."""
    return _C.c.group_id.in_(GROUPS)  # type: ignore[no-any-return]


def seen(shape: Reach) -> ColumnElement[bool]:
    """`may_see` in SQL."""
    return _seen(shape, USER, GROUPS)


def overseen(shape: Reach) -> ColumnElement[bool]:
    """`oversees` in SQL."""
    return true() if shape.every_group else in_own_groups()


def visible(actor: Actor) -> ColumnElement[bool]:
    """`may_see` in SQL with `actor`'s values in it, for a query that is not cached by shape."""
    return _seen(reach(actor), *_values(actor))


def may_remove_attachment(actor: Actor, case: CaseFacts, uploaded_by: str) -> bool:
    """Remove a file from a case (anyone who sees the case may attach one): whoever attached it, and
    whoever may manage the case."""
    return actor.username == uploaded_by or may_manage(actor, case)
