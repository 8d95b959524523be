"""The one access policy: which roles an actor holds on a case, and what those roles allow.

Roles (keys from config.toml's `[[roles]]`; a person holds a role in a group). A role counts
on the cases of the group it is held in, except the three that span the agreement of that group
(`AGREEMENT_WIDE`): they count on the cases of every group of that agreement, and of no other.
One deployment may serve many municipalities' agreements (a police region runs one for all of
them): the chair of Höör's safety group chairs Höör's agreement, not Malmö's; a police officer
working for ten municipalities holds the role in a group of each of the ten.

- `chair` (ordförande): counts on every case of the agreement. Sees them all, confidential ones
  too; oversees every group of it (their unassigned queue spans them all); assigns, hands over
  and reminds on its cases; opens cases for its groups; sees the overview; acts as `chair` wherever
  a workflow lets the chair act (closing, verifying, signing the renewal).
- `admin` (administratör): manages accounts and API tokens; assigns, hands over and reminds on
  any case they may see and sees the overview, but sees another group's confidential cases
  only when assigned to them, and opens cases only where a workflow's `open_roles` lets them.
- `police` (polis): the Police are a party to the agreement, not a municipal group, so the
  role counts on the agreement's cases wherever a workflow gives the Police a step: signing the renewal, the annual
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
    "AGREEMENT_WIDE",
    "CHAIR",
    "POLICE",
    "USER",
    "CaseFacts",
    "Reach",
    "assigned",
    "binds",
    "claims",
    "edits",
    "gives_back",
    "in_own_groups",
    "manages",
    "may_act",
    "may_administer",
    "may_claim",
    "may_edit",
    "may_manage",
    "may_open",
    "may_remove_attachment",
    "may_see",
    "may_see_overview",
    "may_unassign",
    "overseen",
    "oversees",
    "reach",
    "roles_on",
    "seen",
    "spans",
    "visible",
]

CHAIR, ADMIN = "chair", "admin"
POLICE = "police"
AGREEMENT_WIDE = frozenset({CHAIR, ADMIN, POLICE})  # roles that count on every group's cases of their agreement
_CONFIDANTS = frozenset({CHAIR, "group_member", "assignee"})  # who sees a confidential case
_OVERSEERS = frozenset({CHAIR, "group_member"})  # who answers for a case being taken care of
_MANAGERS = _OVERSEERS | {ADMIN}  # who may assign, hand over and remind
_REVIEWERS = frozenset({CHAIR, ADMIN})  # who sees the overview of what is overdue


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


def spans(memberships: Iterable[tuple[int, str]], groups: Iterable[tuple[int, int]]) -> frozenset[tuple[int, int, str]]:
    """Where the `AGREEMENT_WIDE` roles among `memberships` count: (agreement id, group id, role) for every
    group of each agreement one is held in (`Actor.spans`). `groups` are the (agreement id, group id) of
    every group of those agreements; a group outside any agreement spans only itself.

    The one place that decides whether a role held in one group counts in another.
    """
    agreement_of: dict[int, int] = {}
    members: dict[int, list[int]] = {}
    for agreement_id, group_id in groups:
        agreement_of[group_id] = agreement_id
        members.setdefault(agreement_id, []).append(group_id)
    return frozenset((agreement, group, role) for held, role in memberships if role in AGREEMENT_WIDE
                     and (agreement := agreement_of.get(held)) is not None for group in members[agreement])


def _held_in(actor: Actor, group_id: int) -> frozenset[str]:
    """The roles of `actor` that count on a case of `group_id`: those held in that group, and those spanning
    its agreement (`spans`)."""
    return actor.roles_in(group_id)


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
    """Whether `actor` answers for the case being taken care of: its group's members; the chair for every group of
    the agreement."""
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
    """The overview of what is overdue (in the groups each may see): the chair, administrators and the system."""
    return actor.is_system or not _REVIEWERS.isdisjoint(actor.roles)


def may_administer(actor: Actor) -> bool:
    """Manage user accounts and anyone's API tokens: administrators and the system."""
    return actor.is_system or ADMIN in actor.roles


# What the one who holds a case may correct in it themselves; moving its due date or its group
# is its managers' (the owning group's members, the chair, an administrator).
_HOLDER_EDITS = frozenset({"title", "description", "priority", "focus_area"})


def edits(roles_on_case: Iterable[str], field: str) -> bool:
    """Whether roles held on a case (`roles_on`, a view's `your_roles`) allow changing `field` of it."""
    roles = frozenset(roles_on_case)
    return manages(roles) or (field in _HOLDER_EDITS and "assignee" in roles)


def may_edit(actor: Actor, case: CaseFacts, field: str) -> bool:
    """Change `field` of a case: its managers any field; its assignee the title, description, priority, focus area."""
    return actor.is_system or edits(roles_on(actor, case), field)


def gives_back(roles_on_case: Iterable[str]) -> bool:
    """Whether roles held on a case allow giving it back (leaving it without a holder)."""
    roles = frozenset(roles_on_case)
    return manages(roles) or "assignee" in roles


def may_unassign(actor: Actor, case: CaseFacts) -> bool:
    """Give the case back so that nobody holds it: the one who holds it, or whoever may manage it."""
    return actor.is_system or gives_back(roles_on(actor, case))


# The SQL forms. A statement's shape depends on the actor only through `Reach`; the values
# go in as these bind parameters, so the queue statements are built once per shape.
USER = bindparam("b_user", type_=Integer)
GROUPS = bindparam("b_groups", expanding=True, type_=Integer)
CHAIRED = bindparam("b_chaired", expanding=True, type_=Integer)  # the groups of the agreements the actor chairs
# GROUPS and CHAIRED together: one IN list, so that the (group_id, …) indexes serve it (an OR of two lists
# made SQLite walk every unassigned case of the deployment for a chair's queue).
OVERSEEN = bindparam("b_overseen", expanding=True, type_=Integer)
_C = CaseRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Reach:
    """What of an actor the shape of an access condition depends on (hashable: a statement cache key)."""

    sees_all: bool  # every case, confidential ones too: the system
    chairs: bool  # chairs an agreement: sees and answers for every case of its groups (CHAIRED)


def reach(actor: Actor) -> Reach:
    """The shape of `actor`'s access conditions."""
    return Reach(sees_all=actor.is_system, chairs=CHAIR in actor.roles)


def _values(actor: Actor) -> tuple[int, list[int], list[int]]:
    # -1 is never an id: an actor without a user or groups matches nothing through them.
    return ((actor.user_id if actor.user_id is not None else -1), (sorted(actor.group_ids) or [-1]),
            (sorted(actor.spanned(CHAIR)) or [-1]))


def binds(actor: Actor) -> dict[str, Any]:
    """The values of USER, GROUPS, CHAIRED and OVERSEEN for `actor`."""
    user, groups, chaired = _values(actor)
    return {USER.key: user, GROUPS.key: groups, CHAIRED.key: chaired,
            OVERSEEN.key: sorted(actor.group_ids | actor.spanned(CHAIR)) or [-1]}


def _seen(shape: Reach, user: Any, groups: Any, chaired: Any) -> ColumnElement[bool]:
    if shape.sees_all:
        return true()
    chair = [_C.c.group_id.in_(chaired)] if shape.chairs else []
    return or_(_C.c.confidential == false(), _C.c.group_id.in_(groups), _C.c.assignee_id == user, *chair)


def assigned() -> ColumnElement[bool]:
    """`"assignee" in roles_on(actor, case)` in SQL."""
    return _C.c.assignee_id == USER  # type: ignore[no-any-return]


def in_own_groups() -> ColumnElement[bool]:
    """`"group_member" in roles_on(actor, case)` in SQL."""
    return _C.c.group_id.in_(GROUPS)  # type: ignore[no-any-return]


def seen(shape: Reach, groups: Any = GROUPS, chaired: Any = CHAIRED) -> ColumnElement[bool]:
    """`may_see` in SQL; `groups` and `chaired` (the lists GROUPS and CHAIRED bind) may come from other SQL,
    for a statement that repeats the condition and would otherwise bind the lists once per repetition."""
    return _seen(shape, USER, groups, chaired)


def overseen(shape: Reach) -> ColumnElement[bool]:
    """`oversees` in SQL."""
    return _C.c.group_id.in_(OVERSEEN) if shape.chairs else in_own_groups()


def visible(actor: Actor) -> ColumnElement[bool]:
    """`may_see` in SQL with `actor`'s values in it, for a query that is not cached by shape."""
    return _seen(reach(actor), *_values(actor))


def may_remove_attachment(actor: Actor, case: CaseFacts, uploaded_by: str) -> bool:
    """Remove a file from a case (anyone who sees the case may attach one): whoever attached it, and
    whoever may manage the case."""
    return actor.username == uploaded_by or may_manage(actor, case)
