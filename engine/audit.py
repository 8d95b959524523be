"""The hash chain over each case's transition log, and its verification."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlmodel import Session, select

from engine.models import CaseRow, TransitionLog

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


def _check_case(case: CaseRow, rows: list[TransitionLog]) -> tuple[int, str] | None:
    prev = GENESIS
    for expected_seq, row in enumerate(rows, start=1):
        if row.seq != expected_seq:
            return row.seq, f"sequence jumps to {row.seq} where {expected_seq} was expected"
        if row.prev_hash != prev:
            return row.seq, "does not chain to the previous row"
        if row_hash(row) != row.hash:
            return row.seq, "content does not match its hash (changed after it was written)"
        prev = row.hash
    if not rows:
        return 0, "has no log rows"
    if rows[-1].to_state != case.state:
        return rows[-1].seq, f"case state {case.state!r} differs from the log's {rows[-1].to_state!r}"
    return None


def verify_chain(session: Session) -> AuditResult:
    """Check every case's chain; the first broken case and seq if any."""
    cases = session.exec(select(CaseRow).order_by(CaseRow.id)).all()
    total = 0
    for case in cases:
        rows = list(session.exec(
            select(TransitionLog).where(TransitionLog.case_id == case.id).order_by(TransitionLog.seq)
        ).all())
        total += len(rows)
        broken = _check_case(case, rows)
        if broken:
            return AuditResult(False, len(cases), total, case.id, broken[0], broken[1])
    return AuditResult(True, len(cases), total)
