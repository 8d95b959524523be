"""The signed chain over each case's transition log: signing a row, verifying every chain, re-signing.

Each row's hash is an HMAC-SHA256 under a key kept outside the database
(engine.store.audit_keys), over the row's content, the case as the row left it (assignee,
group, confidentiality), what an edit changed (field, old and new value) and the previous
row's hash. Without the key nobody can change, remove or insert a row, nor recompute the chain
after doing so; and the case row must agree with its log's last row (state, version = seq,
assignee, group, confidentiality) and with the last edit of each edited field (title,
description, priority, focus area, due date, event time), so a case edited behind its log is
caught too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any, NamedTuple

from sqlalchemy import bindparam, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from engine.store.audit_keys import AuditKeys
from engine.store.models import CaseRow, TransitionLog

__all__ = ["EDITED_COLUMNS", "GENESIS", "AuditResult", "logged_value", "re_sign", "sign", "signature",
           "verify_chain"]

GENESIS = "0" * 64
_CHANGED = "content does not match its hash (changed after it was written)"
_CASE_FIELDS = ("assignee_id", "group_id", "confidential")
_LOG = TransitionLog.__table__  # type: ignore[attr-defined]
_CASES = CaseRow.__table__  # type: ignore[attr-defined]
_RESIGN = (update(_LOG).where(_LOG.c.id == bindparam("b_id"))
           .values(prev_hash=bindparam("b_prev"), hash=bindparam("b_hash"), key_id=bindparam("b_key"),
                   assignee_id=bindparam("b_assignee"), group_id=bindparam("b_group"),
                   confidential=bindparam("b_confidential")))


# What a row's signature covers, in this order; rows from before the keys covered only the first nine.
_SIGNED = ("case_id", "seq", "trigger", "from_state", "to_state", "actor", "at", "comment", "prev_hash",
           "key_id", "assignee_id", "group_id", "confidential")
# An edit's row covers these too (appended only when `field` is set, so every other row, and
# every row written before edits existed, keeps the signature it has).
_EDIT = ("field", "old_value", "new_value")
# The case column each edited field is, for the fields `audit verify` holds the case row to
# (the group is held by every row's `group_id` already).
EDITED_COLUMNS = {"title": "title", "description": "description", "priority": "priority",
                  "focus_area": "focus_area", "due": "requested_due_at", "event_at": "event_at"}


def logged_value(value: Any) -> str | None:
    """A case field's value as an edit's log row records it (times in UTC, ISO 8601)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return str(value)


def _body(v: Mapping[str, Any], keyed: bool = True) -> bytes:
    fields = [v[name] for name in (_SIGNED if keyed else _SIGNED[:9])]
    fields[6] = fields[6].isoformat()
    if keyed and v.get("field") is not None:
        fields += [v[name] for name in _EDIT]
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()


def _values(row: TransitionLog) -> dict[str, Any]:
    return {name: getattr(row, name) for name in (*_SIGNED, *_EDIT)}


def signature(values: Mapping[str, Any], keys: AuditKeys) -> str:
    """The hash of a log row given as column values (its key_id set): HMAC-SHA256 under that key.

    On the path of every transition: a mapping, not the mapped row, as attribute access on
    the row costs more than the HMAC.
    """
    return keys.sign(values["key_id"], _body(values))


def sign(row: TransitionLog, keys: AuditKeys) -> None:
    """Sign `row` (content, case fields and prev_hash set) with the current key: sets key_id and hash."""
    row.key_id = keys.current
    row.hash = signature(_values(row), keys)


class _Case(NamedTuple):
    state: str
    version: int
    assignee_id: int | None
    group_id: int
    confidential: bool


@dataclass(frozen=True)
class AuditResult:
    ok: bool
    cases: int
    rows: int
    case_id: int | None = None
    seq: int | None = None
    problem: str | None = None
    # The case row, not its log, is what disagrees: it was changed behind the log.
    in_case_row: bool = False
    # Key ids (or "none" for rows from before the log was keyed) whose signatures a lenient
    # check could not verify here.
    unchecked: frozenset[str] = field(default_factory=frozenset)


class _Check:
    def __init__(self, keys: AuditKeys, lenient: bool) -> None:
        self.keys, self.lenient = keys, lenient
        self.unchecked: set[str] = set()
        # The last edit of each edited field, per case: (seq, field) -> what the case must hold.
        self.edits: dict[int, dict[str, tuple[int, str | None]]] = {}

    def signature(self, row: TransitionLog) -> str | None:
        """What is wrong with the row's signature, if anything."""
        if row.key_id is None:
            if not self.lenient:
                return ("was written before the log was signed with a key; run `samverkan audit re-sign` once "
                        "to check the old chain and sign it")
            # The old rule (SHA-256 without a key) still holds for such rows.
            self.unchecked.add("none")
            return None if hashlib.sha256(_body(_values(row), keyed=False)).hexdigest() == row.hash else _CHANGED
        if not self.keys.knows(row.key_id):
            if self.lenient:
                self.unchecked.add(row.key_id)
                return None
            return (f"is signed with key {row.key_id}, which this deployment does not hold; add that key to "
                    f"{self.keys.source} (or import the file with --re-sign)")
        if not hmac.compare_digest(signature(_values(row), self.keys), row.hash):
            return _CHANGED
        return None

    def chain(self, case_id: int, case: _Case | None, rows: list[TransitionLog]) -> tuple[int, str, bool] | None:
        """The first broken seq of one case's chain, its problem, and whether the case row is to blame."""
        prev = GENESIS
        for expected_seq, row in enumerate(rows, start=1):
            if row.seq != expected_seq:
                return row.seq, f"sequence jumps to {row.seq} where {expected_seq} was expected", False
            if row.prev_hash != prev:
                return row.seq, "does not chain to the previous row", False
            problem = self.signature(row)
            if problem:
                return row.seq, problem, False
            if row.field in EDITED_COLUMNS:
                self.edits.setdefault(case_id, {})[row.field] = (row.seq, row.new_value)
            prev = row.hash
        if case is None:
            return rows[0].seq, f"log rows for case {case_id}, which does not exist", False
        problem = self.disagreement(case, rows[-1])
        return (rows[-1].seq, problem, True) if problem else None

    def disagreement(self, case: _Case, last: TransitionLog) -> str | None:
        """How the case row differs from what its log's last row says, if it does."""
        said = {"state": last.to_state, "version": last.seq}
        if last.group_id is not None:
            said.update({name: getattr(last, name) for name in _CASE_FIELDS})
        elif not self.lenient:
            return "the log's last row does not record the case's group; run `samverkan audit re-sign`"
        for name, value in said.items():
            if getattr(case, name) != value:
                return (f"the case row says {name} {getattr(case, name)!r} where its log says {value!r} "
                        f"(the case was changed behind its log)")
        return None


def _edited(session: Session, edits: dict[int, dict[str, tuple[int, str | None]]]) -> tuple[int, int, str] | None:
    """The first case whose row differs from the last edit of an edited field: case, seq, problem."""
    ids = sorted(edits)
    columns = [_CASES.c[name] for name in EDITED_COLUMNS.values()]
    for start in range(0, len(ids), 500):
        rows = session.execute(sa_select(_CASES.c.id, *columns).where(_CASES.c.id.in_(ids[start:start + 500])))
        for case_id, *values in sorted(rows, key=lambda r: r[0]):
            held = dict(zip(EDITED_COLUMNS, values, strict=True))
            for name, (seq, said) in sorted(edits[case_id].items()):
                if logged_value(held[name]) != said:
                    return case_id, seq, (f"the case row says {name} {logged_value(held[name])!r} where its last "
                                          f"edit says {said!r} (the case was changed behind its log)")
    return None


def _cases(session: Session) -> dict[int, _Case]:
    stmt = sa_select(_CASES.c.id, _CASES.c.state, _CASES.c.version, _CASES.c.assignee_id, _CASES.c.group_id,
                     _CASES.c.confidential)
    return {r[0]: _Case(*r[1:]) for r in session.execute(stmt)}


def verify_chain(session: Session, keys: AuditKeys, *, lenient: bool = False) -> AuditResult:
    """Check every case's chain and case row in one pass over the log; the first broken case and seq if any.

    `lenient` accepts signatures this deployment cannot check (a key it does not hold; rows
    from before the log was keyed are held to their old unkeyed hash), for `re_sign`.
    """
    cases = _cases(session)
    check = _Check(keys, lenient)
    rows = session.exec(select(TransitionLog).order_by(col(TransitionLog.case_id), col(TransitionLog.seq))
                        .execution_options(yield_per=2000))
    total, seen = 0, set()
    # Closed on an early return too: PostgreSQL streams through a server-side cursor.
    with rows:
        for case_id, group in groupby(rows, key=lambda r: r.case_id):
            chain = list(group)
            total += len(chain)
            seen.add(case_id)
            broken = check.chain(case_id, cases.get(case_id), chain)
            if broken:
                return AuditResult(False, len(cases), total, case_id, broken[0], broken[1], broken[2])
    for case_id in sorted(set(cases) - seen):
        return AuditResult(False, len(cases), total, case_id, 0, "has no log rows", True)
    behind = _edited(session, check.edits)
    if behind:
        return AuditResult(False, len(cases), total, *behind, True)
    return AuditResult(True, len(cases), total, unchecked=frozenset(check.unchecked))


def re_sign(session: Session, keys: AuditKeys) -> AuditResult:
    """Check every chain as far as this deployment can (`lenient`), then sign every row with the current key.

    A row from before the log was keyed records no case fields; the last row of each chain
    takes them from the case row, which is trusted once, here.
    """
    result = verify_chain(session, keys, lenient=True)
    if not result.ok:
        return result
    cases = _cases(session)
    ids = sorted(cases)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        rows = session.exec(select(TransitionLog).where(col(TransitionLog.case_id).in_(chunk))
                            .order_by(col(TransitionLog.case_id), col(TransitionLog.seq))).all()
        for row in rows:
            session.expunge(row)  # changed below only to compute; the UPDATE writes them
        changes = []
        for case_id, group in groupby(rows, key=lambda r: r.case_id):
            chain, prev = list(group), GENESIS
            if chain[-1].group_id is None:
                for name in _CASE_FIELDS:
                    setattr(chain[-1], name, getattr(cases[case_id], name))
            for row in chain:
                row.prev_hash = prev
                sign(row, keys)
                prev = row.hash
                changes.append({"b_id": row.id, "b_prev": row.prev_hash, "b_hash": row.hash, "b_key": row.key_id,
                                "b_assignee": row.assignee_id, "b_group": row.group_id,
                                "b_confidential": row.confidential})
        if changes:
            session.execute(_RESIGN, changes)
    return result
