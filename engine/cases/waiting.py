"""Whose turn it is: who an open case waits for, from its state's `next` in the workflow file.

`entries` reads the state's declared next actors and makes them concrete for the case: the
assignee by name (the owning group while nobody holds it), the group by name, a role in the owning
group or, for the roles that span an agreement, the role in the case's agreement (`r:police#3`: the
Police of that municipality, not of all 290 a deployment may serve), minus those who already did their
part (a party that signed; the person who completed an action does not approve it). A role that
nobody holds is left out; when nobody is left, the chair is waited for.

The engine keeps them in `case_waiting` on every change of state, holder or group (`refresh`), so a
queue can ask "what waits for me" with one indexed condition (`waiting_for_me`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypedDict

from sqlalchemy import bindparam, delete, exists, insert, or_, select, update
from sqlmodel import Session

from engine.cases.loaded import LoadedCase
from engine.kernel.actors import Actor
from engine.policy.access import AGREEMENT_WIDE, CHAIR, USER
from engine.runtime.engine import Engine
from engine.store.models import CaseRow, CaseWaiting, Group, Membership, User
from engine.store.prepared import Prepared, run_of
from engine.workflow.definition import Definition, Labels, NextActor
from engine.workflow.rules import done_their_part, left_out

__all__ = ["SLOTS", "Entry", "WaitingView", "backfill", "entries", "follow_due", "mentioned", "people", "refresh",
           "slots_of", "views_of", "waiting_for_me", "waits_for"]

_W, _M, _U, _C, _G = (CaseWaiting.__table__, Membership.__table__, User.__table__,  # type: ignore[attr-defined]
                      CaseRow.__table__, Group.__table__)  # type: ignore[attr-defined]


_Case = CaseRow | LoadedCase  # a mapped row, or the case as firing reads it


class WaitingView(TypedDict):
    """One party a case waits for: `kind` user, group or role; `key` its user name, group key or role key."""

    kind: str
    key: str
    group: str | None  # a role held in the owning group: that group's key
    label: dict[str, str]  # {"sv": ..., "en": ...}


@dataclass(frozen=True)
class Entry:
    slot: str
    kind: str
    key: str
    group_key: str | None
    label: Labels
    except_user_id: int | None = None

    def view(self) -> WaitingView:
        return {"kind": self.kind, "key": self.key, "group": self.group_key,
                "label": {"sv": self.label.sv, "en": self.label.en}}


def _fill(what: Labels | None, default: Labels, name: Labels, group: Labels) -> Labels:
    text = what or default
    return Labels(*(t.replace("{name}", n).replace("{group}", g)
                    for t, n, g in ((text.sv, name.sv, group.sv), (text.en, name.en, group.en))))


# Who holds a role slot: `r:{role}@{group id}` held in that group, `r:{role}#{agreement id}` held in a
# group of that agreement. Asked on every change of state (`_held`) and of every notice (`_holders`).
_ROLE_IN_GROUP = Prepared(select(_M.c.user_id).select_from(_M.join(_U, _U.c.id == _M.c.user_id))
                          .where(_M.c.role == bindparam("b_role"), _U.c.disabled.is_(False),
                                 _M.c.group_id == bindparam("b_place")).distinct())
_ROLE_IN_AGREEMENT = Prepared(select(_M.c.user_id).select_from(_M.join(_G, _G.c.id == _M.c.group_id)
                                                               .join(_U, _U.c.id == _M.c.user_id))
                              .where(_M.c.role == bindparam("b_role"), _U.c.disabled.is_(False),
                                     _G.c.agreement_id == bindparam("b_place")).distinct())
_NAMES = Prepared(select(_U.c.username, _U.c.name).where(_U.c.id == bindparam("b_id")))
_USER_ID = Prepared(select(_U.c.id).where(_U.c.username == bindparam("b_username")))
_GROUP_KEY = Prepared(select(_G.c.key).where(_G.c.id == bindparam("b_id")))
_UNWAIT = Prepared(delete(_W).where(_W.c.case_id == bindparam("b_case")))
_WAIT = Prepared(insert(_W), ("case_id", "slot", "kind", "key", "group_key", "label_sv", "label_en", "except_user_id",
                              "due_at"))
_REDUE = Prepared(update(_W).where(_W.c.case_id == bindparam("b_case")), ("due_at",))


def _known(session: Session) -> dict[tuple[str, Any], Any]:
    """What this transaction already knows of group keys (by id), names (by user id) and user ids (by name).

    None of these changes under a transaction that works out whom cases wait for, so each is read
    once per transaction, and not at all when firing read it with the case (engine.cases.loaded).
    """
    known: dict[tuple[str, Any], Any] = session.info.setdefault("samverkan_waiting_known", {})
    return known


# What `people` and `mentioned` read of a case: the notice rules ask on every change of a case.
_FACTS = Prepared(select(_C.c.id, _C.c.agreement_id, _C.c.group_id, _C.c.assignee_id, _C.c.confidential)
                  .where(_C.c.id == bindparam("b_id")))
_SLOTS_OF = Prepared(select(_W.c.slot, _W.c.except_user_id).where(_W.c.case_id == bindparam("b_case")))


def _slot(role: str, case: _Case) -> str:
    """The slot of `role` on `case`: in its group, or in its agreement for a role spanning the agreement."""
    return f"r:{role}#{case.agreement_id}" if role in AGREEMENT_WIDE else f"r:{role}@{case.group_id}"


def _role_holders(session: Session, slot: str) -> set[int]:
    """The active people who fill role slot `slot` (`r:…`, as `_slot` writes it)."""
    role, rest = re.split(r"(?=[@#])", slot[2:], maxsplit=1)
    stmt = _ROLE_IN_GROUP if rest.startswith("@") else _ROLE_IN_AGREEMENT
    return {row[0] for row in run_of(session).rows(stmt, {"b_role": role, "b_place": int(rest[1:])})}


def _held(session: Session, slot: str) -> bool:
    """Whether an active person fills role slot `slot`."""
    return bool(_role_holders(session, slot))


def _user(session: Session, user_id: int) -> tuple[str, str]:
    known = _known(session)
    found: tuple[str, str] | None = known.get(("user", user_id))
    if found is None:
        row = run_of(session).first(_NAMES, {"b_id": user_id})
        assert row is not None, f"no user {user_id}"  # a case's assignee is a user (foreign key)
        found = known["user", user_id] = (row[0], row[1] or row[0])
    return found


def _user_id(session: Session, username: str) -> int | None:
    known = _known(session)
    if ("uid", username) not in known:
        row = run_of(session).first(_USER_ID, {"b_username": username})
        known["uid", username] = row[0] if row is not None else None
    found: int | None = known["uid", username]
    return found


def _seed(session: Session, case: _Case) -> None:
    """What firing read with the case: its group's key, its assignee's names."""
    if isinstance(case, LoadedCase):
        known = _known(session)
        known["group_key", case.group_id] = case.group_key
        if case.assignee_id is not None and case.assignee_username is not None:
            known["user", case.assignee_id] = (case.assignee_username, case.assignee_name or case.assignee_username)
            known["uid", case.assignee_username] = case.assignee_id


def _entry(eng: Engine, session: Session, case: _Case, n: NextActor, group: tuple[str, Labels]) -> Entry | None:
    gkey, glabel = group
    roles = {r.key: Labels(r.sv, r.en) for r in eng.config.roles}
    if n.who == "assignee" and case.assignee_id is not None:
        username, name = _user(session, case.assignee_id)
        return Entry(f"u:{case.assignee_id}", "user", username, None,
                     _fill(n.what, Labels("{name}", "{name}"), Labels(name, name), glabel))
    if n.who in ("assignee", "group_member"):
        # `q:` while nobody holds the case: the group's queue of untaken cases shows it, and it is nobody's
        # turn in person; `g:` once someone holds it (approval by the group's other members).
        prefix = "q" if case.assignee_id is None else "g"
        return Entry(f"{prefix}:{case.group_id}", "group", gkey, None,
                     _fill(n.what if n.who == "group_member" else None, Labels("{group}", "{group}"), glabel, glabel))
    wide, slot = n.who in AGREEMENT_WIDE, _slot(n.who, case)
    if not _held(session, slot):
        return None  # nobody holds the role there: nobody to wait for
    role = roles.get(n.who, Labels(n.who, n.who))
    default = role if wide else Labels(f"{role.sv} i {{group}}", f"{role.en} in {{group}}")
    return Entry(slot, "role", n.who, None if wide else gkey, _fill(n.what, default, role, glabel))


def _group(eng: Engine, session: Session, group_id: int) -> tuple[str, Labels]:
    known = _known(session)
    key: str | None = known.get(("group_key", group_id))
    if key is None:
        key = known["group_key", group_id] = run_of(session).first(_GROUP_KEY, {"b_id": group_id})[0]
    found = next((g for g in eng.config.groups if g.key == key), None)
    return key, (Labels(found.sv, found.en) if found else Labels(key, key))


def entries(eng: Engine, session: Session, case: _Case, definition: Definition) -> list[Entry]:
    """Who `case` waits for in its state now, in the order the workflow file names them."""
    state = definition.states.get(case.state)
    if state is None or state.terminal or not case.is_open:
        return []
    ruled = [t for t in definition.transitions if case.state in t.sources]
    guards = {g for t in ruled for g in (*t.guards, *t.unless)}
    _seed(session, case)
    group = _group(eng, session, case.group_id)
    found: dict[str, Entry] = {}
    for n in state.next:
        if n.who not in ("assignee", "group_member") and done_their_part(n.who, case.data, guards):
            continue
        entry = _entry(eng, session, case, n, group)
        if entry is not None and entry.slot not in found:
            found[entry.slot] = entry
    if not found:  # the agreement's chair, held or not yet: whoever is made chair there finds it waiting
        chair = next((Labels(r.sv, r.en) for r in eng.config.roles if r.key == CHAIR), Labels(CHAIR, CHAIR))
        slot = _slot(CHAIR, case)
        found[slot] = Entry(slot, "role", CHAIR, None, chair)
    person = left_out(case.data, guards)
    if person is not None:
        uid = _user_id(session, person)
        found = {k: Entry(e.slot, e.kind, e.key, e.group_key, e.label, uid) if e.kind != "user" else e
                 for k, e in found.items()}
    return list(found.values())


def refresh(eng: Engine, session: Session, case: _Case, definition: Definition) -> list[Entry]:
    """Rewrite the case's `case_waiting` rows from its state now; the entries written."""
    assert case.id is not None
    now = entries(eng, session, case, definition)
    run = run_of(session)
    run.execute(_UNWAIT, {"b_case": case.id})
    if now:
        run.many(_WAIT, [{"case_id": case.id, "slot": e.slot, "kind": e.kind, "key": e.key,
                          "group_key": e.group_key, "label_sv": e.label.sv, "label_en": e.label.en,
                          "except_user_id": e.except_user_id, "due_at": case.due_at} for e in now])
    return now


def follow_due(session: Session, case_id: int, due_at: dt.datetime | None) -> None:
    """Copy the case's new due time to its `case_waiting` rows, where a change does not `refresh` them
    (an edit of the due date): "Att göra" reads them in that order."""
    run_of(session).execute(_REDUE, {"b_case": case_id, "due_at": due_at})


def backfill(eng: Engine, session: Session) -> int:
    """Work out whom every open case without waiting rows waits for (cases from before 0004); how many."""
    stmt = select(CaseRow).where(CaseRow.is_open.is_(True),  # type: ignore[attr-defined]
                                 ~exists().where(_W.c.case_id == _C.c.id))
    n = 0
    for case in session.execute(stmt).scalars():
        refresh(eng, session, case, eng.registry.machine(session, case.workflow, case.definition_version).definition)
        n += 1
    return n


def slots_of(actor: Actor, agreement_id: int | None = None) -> list[str]:
    """Every slot `actor` fills: themself, their groups, their roles in those groups, and the roles spanning an
    agreement in each agreement they span; with `agreement_id`, only those a case of that agreement can wait in.

    Only slots that `entries` writes: a role spanning an agreement is waited for there (`_slot`), never in the
    group it is held in, so a police officer for ten municipalities fills 21 slots rather than 31, and
    "Att göra" reads each of them.
    """
    slots = {f"u:{actor.user_id}"} if actor.user_id is not None else set()
    # Where the actor's groups belong, as far as the actor knows (the agreements its spanning roles span).
    elsewhere = {g for a, g, _ in actor.spans if agreement_id is not None and a != agreement_id}
    for group_id, role in actor.memberships:
        if group_id not in elsewhere:
            slots |= {f"g:{group_id}"} if role in AGREEMENT_WIDE else {f"g:{group_id}", f"r:{role}@{group_id}"}
    slots |= {f"r:{role}#{a}" for a, _, role in actor.spans if agreement_id in (None, a)}
    return sorted(slots) or ["-"]


SLOTS: Any = bindparam("b_slots", expanding=True)


def waiting_for_me() -> Any:
    """SQL: the case waits for the actor (their `slots_of` bound as b_slots, their id as access.USER) in
    person: their signature, their approval, the case given to them. A group's untaken case (`q:`) is not
    counted here: the group's queue of unassigned cases shows it. Driven by ix_case_waiting_slot, so the
    count costs the rows that wait for the actor, not a walk over every open case."""
    return _C.c.id.in_(select(_W.c.case_id).where(
        _W.c.slot.in_(SLOTS), or_(_W.c.except_user_id.is_(None), _W.c.except_user_id != USER)))


def waits_for(session: Session, case: Any, actor: Actor) -> bool:
    """`waiting_for_me` in Python, for one case (a row with `id` and `assignee_id`)."""
    slots = set(slots_of(actor))
    rows = session.execute(select(_W.c.slot, _W.c.except_user_id).where(_W.c.case_id == case.id)).all()
    return any(slot in slots and except_id != actor.user_id for slot, except_id in rows)


def views_of(session: Session, case_ids: Iterable[int]) -> dict[int, list[WaitingView]]:
    """The waiting-for of each case, as the read models show it."""
    ids = list(case_ids)
    out: dict[int, list[WaitingView]] = {i: [] for i in ids}
    if not ids:
        return out
    rows = session.execute(select(_W.c.case_id, _W.c.kind, _W.c.key, _W.c.group_key, _W.c.label_sv, _W.c.label_en)
                           .where(_W.c.case_id.in_(ids)).order_by(_W.c.case_id, _W.c.id)).all()
    for r in rows:
        out[r.case_id].append({"kind": r.kind, "key": r.key, "group": r.group_key,
                               "label": {"sv": r.label_sv, "en": r.label_en}})
    return out


def _holders(session: Session, slot: str) -> set[int]:
    kind, _, rest = slot.partition(":")
    if kind == "u":
        cond = [_U.c.id == int(rest)]
        stmt = select(_U.c.id).where(*cond, _U.c.disabled.is_(False))
        return set(session.execute(stmt).scalars())
    if kind == "r":
        return _role_holders(session, slot)
    stmt = (select(_M.c.user_id).select_from(_M.join(_U, _U.c.id == _M.c.user_id))
            .where(_M.c.group_id == int(rest), _U.c.disabled.is_(False)).distinct())
    return set(session.execute(stmt).scalars())


def _confidants(session: Session, case: Any) -> set[int]:
    """Who may see a confidential case: its group's members, its assignee, its agreement's chair
    (engine/policy/access.py)."""
    ids = _holders(session, f"g:{case.group_id}") | _holders(session, _slot(CHAIR, case))
    if case.assignee_id is not None:
        ids.add(case.assignee_id)
    return ids


def people(session: Session, case_id: int) -> list[int]:
    """The ids of the active people case `case_id` waits for in person (as `waiting_for_me`: not a group's
    unassigned case, which its queue shows), and who may see it (a confidential case names nobody outside
    its confidants)."""
    run = run_of(session)
    case = run.first(_FACTS, {"b_id": case_id})
    if case is None:
        return []
    rows = run.rows(_SLOTS_OF, {"b_case": case_id})
    ids: set[int] = set()
    for slot, except_user_id in rows:
        if not slot.startswith("q:"):
            ids |= _holders(session, slot) - {except_user_id}
    if case.confidential:
        ids &= _confidants(session, case)
    return sorted(ids)


MENTION = re.compile(r"(?<![\w@.])@([a-z0-9][a-z0-9._-]{1,63})")


def mentioned(session: Session, case_id: int, body: str) -> list[int]:
    """The ids of the active people `@named` in `body` who may see case `case_id`."""
    names = sorted({m.group(1).rstrip(".") for m in MENTION.finditer(body)})
    case = run_of(session).first(_FACTS, {"b_id": case_id})
    if not names or case is None:
        return []
    ids = set(session.execute(select(_U.c.id).where(_U.c.username.in_(names), _U.c.disabled.is_(False)))
              .scalars())
    return sorted(ids & _confidants(session, case) if case.confidential else ids)
