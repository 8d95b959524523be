"""The hash chain over each case's transition log, and its verification."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from itertools import groupby

from sqlmodel import Session, col, select

from engine.store.models import CaseRow, TransitionLog

__all__ = ["GENESIS", "AuditResult", "row_hash", "verify_chain"]

GENESIS = "0" * 64


def row_hash(row: TransitionLog) -> str:
    """SHA-256 over the row's content and the previous row's hash."""
    body = json.dumps(
        [row.case_id, row.seq, row.trigger, row.from_state, row.to_state, row.actor,
         row.at.isoformat(), row.comment, row.prev_hash],
        ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True)
class AuditResult:
    ok: bool
    cases: int
    rows: int
    case_id: int | None = None
    seq: int | None = None
    problem: str | None = None


def _check_case(case_id: int, state: str | None, rows: list[TransitionLog]) -> tuple[int, str] | None:
    prev = GENESIS
    for expected_seq, row in enumerate(rows, start=1):
        if row.seq != expected_seq:
            return row.seq, f"sequence jumps to {row.seq} where {expected_seq} was expected"
        if row.prev_hash != prev:
            return row.seq, "does not chain to the previous row"
        if row_hash(row) != row.hash:
            return row.seq, "content does not match its hash (changed after it was written)"
        prev = row.hash
    if state is None:
        return rows[0].seq, f"log rows for case {case_id}, which does not exist"
    if rows[-1].to_state != state:
        return rows[-1].seq, f"case state {state!r} differs from the log's {rows[-1].to_state!r}"
    return None


def verify_chain(session: Session) -> AuditResult:
    """Check every case's chain in one pass over the log; the first broken case and seq if any."""
    states: dict[int, str] = {i: s for i, s in session.exec(select(CaseRow.id, CaseRow.state)) if i is not None}
    rows = session.exec(select(TransitionLog).order_by(col(TransitionLog.case_id), col(TransitionLog.seq))
                        .execution_options(yield_per=2000))
    total, seen = 0, set()
    # Closed on an early return too: PostgreSQL streams through a server-side cursor.
    with rows:
        for case_id, group in groupby(rows, key=lambda r: r.case_id):
            chain = list(group)
            total += len(chain)
            seen.add(case_id)
            broken = _check_case(case_id, states.get(case_id), chain)
            if broken:
                return AuditResult(False, len(states), total, case_id, broken[0], broken[1])
    for case_id in sorted(set(states) - seen):
        return AuditResult(False, len(states), total, case_id, 0, "has no log rows")
    return AuditResult(True, len(states), total)
