"""Holding attached files to the case logs that record them: each file row to its signed `@attach` row,
each kept file to its hash.

The chain (`engine.store.audit`) proves the `@attach` rows are the ones written; this proves the
attachment rows say what those rows say (name, size, SHA-256), and that the bytes in the files
folder still have that hash. Removed files count too: their bytes are kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from engine.store.files import FileStore, note
from engine.store.models import Attachment, TransitionLog

__all__ = ["FilesResult", "attached_hashes", "verify_files"]


@dataclass(frozen=True)
class FilesResult:
    ok: bool
    files: int  # attachment rows checked
    case_id: int | None = None
    seq: int | None = None
    attachment_id: int | None = None
    name: str | None = None
    problem: str | None = None

    def describe(self) -> str:
        """The first problem in words: which case, log row and file, and what is wrong."""
        if self.attachment_id is None:
            return f"case {self.case_id} seq {self.seq}: {self.problem}"
        return f"case {self.case_id} seq {self.seq}: file {self.attachment_id} “{self.name}” {self.problem}"


def attached_hashes(session: Session) -> set[str]:
    """The hashes of every file ever attached (removed ones too: their bytes are kept)."""
    return set(session.exec(select(col(Attachment.sha256)).distinct()).all())


def verify_files(session: Session, store: FileStore) -> FilesResult:
    """Every attachment row against its signed log row, and every kept file against its hash; the first problem."""
    logged = {(case_id, seq): comment for case_id, seq, comment in session.exec(
        select(col(TransitionLog.case_id), col(TransitionLog.seq), col(TransitionLog.comment))
        .where(col(TransitionLog.trigger) == "@attach"))}
    rows = session.exec(select(Attachment).order_by(col(Attachment.id))).all()
    checked: dict[str, str | None] = {}
    for row in rows:
        said = logged.pop((row.case_id, row.log_seq), None)
        if said is None:
            problem: str | None = "has no @attach row at this seq in the case's log"
        elif said != note(row.name, row.size, row.sha256):
            problem = "does not match the log row that recorded it (its name, size or hash was changed after it was " \
                      "attached)"
        else:
            if row.sha256 not in checked:
                checked[row.sha256] = store.problem(row.sha256)
            problem = checked[row.sha256]
        if problem:
            return FilesResult(False, len(rows), row.case_id, row.log_seq, row.id, row.name, problem)
    for (case_id, seq), said in sorted(logged.items()):
        return FilesResult(False, len(rows), case_id, seq,
                           problem=f"the log records an attached file ({said}) whose attachment row is gone")
    return FilesResult(True, len(rows))
