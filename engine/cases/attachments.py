"""Files attached to a case: attach, list, fetch and remove, each change a row in the case's signed log.

Anyone who may see a case may attach files to it (open or closed: the minutes come after
the meeting) and fetch them; whoever attached a file, and whoever manages the case, may
remove it. A file is accepted by what its content is (`engine.kernel.filetypes`), within the
size and kinds `[files]` allows; each file gets an `@attach` log row naming it and its
SHA-256, so `audit verify` can tell the kept bytes from the attached ones. Removing writes a
`@detach` row and hides the file; its bytes stay in the folder.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypedDict

from sqlalchemy import Integer, bindparam, update
from sqlalchemy import select as core_select
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from engine.accounts.users import as_actor
from engine.cases.firing import append_log, load_visible
from engine.kernel.actors import Actor
from engine.kernel.errors import Conflict, Forbidden, NotFound, ValidationError
from engine.kernel.filetypes import sniff
from engine.policy.access import may_remove_attachment
from engine.runtime.engine import Engine
from engine.store import search_index
from engine.store.files import FileStore, Staged, TooLarge, note
from engine.store.models import Attachment, CaseRow
from engine.store.thumbnails import thumbnail

__all__ = ["MAX_FILES", "AttachmentView", "Download", "Upload", "attach", "attachments_of", "clean_name",
           "fetch", "list_files", "preview", "remove", "store_of"]

MAX_FILES = 20  # at once
_NAME_LIMIT = 255
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
# What a refused file is, in words (the web says the same in Swedish, by the refusal's `what`).
_WHAT = {"pdf": "a PDF", "image": "an image", "office": "an Office document", "text": "text",
         "zip": "a zip archive", "damaged_zip": "a damaged zip archive", "program": "a program",
         "unknown": "of a kind not recognised"}


@dataclass(frozen=True)
class Upload:
    """A file a person sends: the name their computer gave it and its content."""

    name: str
    stream: IO[bytes]


class AttachmentView(TypedDict):
    """A file on a case, as the case page, the API and `case show --json` list it."""

    id: int
    name: str
    size: int
    sha256: str
    media_type: str
    uploaded_by: str
    uploaded_at: str
    removable: bool  # by the reader


@dataclass(frozen=True)
class Download:
    """A file to send: its name, type and where its bytes are."""

    id: int
    name: str
    media_type: str
    size: int
    sha256: str
    path: Path


def store_of(eng: Engine) -> FileStore:
    """The deployment's files folder."""
    return FileStore(eng.config.files.dir)


def clean_name(raw: str) -> str:
    """The file's own name without any folder a browser sent, control characters or broken characters."""
    name = _CONTROL.sub("", re.split(r"[\\/]", raw)[-1]).strip().lstrip(".") or "file"
    if len(name) > _NAME_LIMIT:
        stem, dot, ext = name.rpartition(".")
        ext = ext if dot and len(ext) <= 16 else ""
        name = name[:_NAME_LIMIT - len(ext) - 1].rstrip() + ("." + ext if ext else "")
    return name


def _iso(value: dt.datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _view(row: Any, removable: bool) -> AttachmentView:
    assert row.id is not None
    return {"id": row.id, "name": row.name, "size": row.size, "sha256": row.sha256, "media_type": row.media_type,
            "uploaded_by": row.uploaded_by, "uploaded_at": _iso(row.uploaded_at), "removable": removable}


_A = Attachment.__table__  # type: ignore[attr-defined]
_ATTACHED = (core_select(_A.c.id, _A.c.name, _A.c.size, _A.c.sha256, _A.c.media_type, _A.c.uploaded_by,
                         _A.c.uploaded_at)
             .where(_A.c.case_id == bindparam("b_case", type_=Integer), _A.c.removed_at.is_(None))
             .order_by(_A.c.id))  # built once: every case page asks it


def attachments_of(session: Session, case: Any, actor: Actor) -> list[AttachmentView]:
    """The files on case `case` (its row: `id` and what the policy reads) that are not removed, in the order
    they were attached, as `actor` reads them."""
    rows = session.execute(_ATTACHED, {"b_case": case.id}).all()
    return [_view(r, may_remove_attachment(actor, case, r.uploaded_by)) for r in rows]


def list_files(eng: Engine, case_id: int, actor: Actor | str) -> list[AttachmentView]:
    """The files on a case the actor may see; NotFound otherwise."""
    with eng.db.read() as session:
        who = as_actor(session, actor)
        return attachments_of(session, load_visible(session, case_id, who), who)


def _refuse(name: str, what: str, eng: Engine) -> ValidationError:
    allowed = ", ".join(eng.config.files.allowed)
    return ValidationError("file", f"“{name}” is {_WHAT[what]}, which cannot be attached here; attach a file of "
                                   f"one of these kinds: {allowed}.",
                           code="file_type", params={"name": name, "what": what, "allowed": allowed})


def _stage(eng: Engine, store: FileStore, upload: Upload) -> tuple[Staged, str, str]:
    """The file received into the folder's tmp/, its clean name and media type; a refusal says why."""
    name, limit = clean_name(upload.name), eng.config.files.max_bytes
    mb = f"{limit / 1024 / 1024:g}"
    try:
        staged = store.stage(upload.stream, limit)
    except TooLarge:
        raise ValidationError("file", f"“{name}” is larger than {mb} MB, the most a file may be; make it smaller "
                                      "(a PDF or a smaller picture) or split it.",
                              code="file_too_large", params={"name": name, "limit": mb}) from None
    if staged.size == 0:
        store.discard(staged)
        raise ValidationError("file", f"“{name}” is empty; choose the file again.", code="file_empty",
                              params={"name": name})
    found = sniff(staged.path, name)
    if found.kind not in eng.config.files.allowed:
        store.discard(staged)
        raise _refuse(name, found.what, eng)
    return staged, name, found.media_type


def _bump(session: Session, case: CaseRow, steps: int, now: dt.datetime) -> None:
    """The case's version moves with its log (one per row), under the lock `load_visible` took."""
    assert case.id is not None
    values = {"version": case.version + steps, "updated_at": now}
    done = session.execute(update(CaseRow).where(col(CaseRow.id) == case.id, col(CaseRow.version) == case.version)
                           .values(**values))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(case.id, case.version, case.version + steps)
    for key, value in values.items():
        set_committed_value(case, key, value)


def attach(eng: Engine, case_id: int, actor: Actor | str, uploads: Sequence[Upload], *,
           now: dt.datetime | None = None) -> list[AttachmentView]:
    """Attach files to a case, all or none: each checked, kept by its hash and logged in the case's chain."""
    now = now or eng.now()
    if not uploads:
        raise ValidationError("file", "Choose a file to attach.")
    if len(uploads) > MAX_FILES:
        raise ValidationError("file", f"Attach at most {MAX_FILES} files at a time.", code="too_many_files",
                              params={"limit": str(MAX_FILES)})
    with eng.db.read() as session:  # a case the actor may not see says nothing about its files
        load_visible(session, case_id, as_actor(session, actor))
    store, staged = store_of(eng), []
    try:
        for upload in uploads:
            staged.append(_stage(eng, store, upload))
        with eng.db.write() as session:
            who = as_actor(session, actor)
            case = load_visible(session, case_id, who, lock=True)
            first_seq = case.version + 1
            _bump(session, case, len(staged), now)
            rows = []
            for offset, (file, name, media_type) in enumerate(staged):
                store.keep(file)  # in place before the rows that name it are committed
                row = Attachment(case_id=case_id, name=name, size=file.size, sha256=file.sha256,
                                 media_type=media_type, uploaded_by=who.username, uploaded_at=now,
                                 log_seq=first_seq + offset)
                session.add(row)
                rows.append(row)
                # append_log numbers rows after the last one; the version already counts them all.
                append_log(eng, session, case, "@attach", case.state, who.username, now,
                           note(name, file.size, file.sha256))
            session.flush()
            search_index.refresh(session, [case_id])  # a file is found by its name
            return [_view(r, True) for r in rows]
    finally:
        for file, _name, _type in staged:
            store.discard(file)  # a no-op for the kept ones: their staged copy was moved


def _attachment(session: Session, case_id: int, attachment_id: int) -> Attachment:
    row = session.get(Attachment, attachment_id) if 0 < attachment_id < 2**31 else None
    if row is None or row.case_id != case_id or row.removed_at is not None:
        raise NotFound(f"No file {attachment_id} on case {case_id}.")
    return row


def remove(eng: Engine, case_id: int, attachment_id: int, actor: Actor | str, *,
           now: dt.datetime | None = None) -> AttachmentView:
    """Take a file off a case (logged as `@detach`); its bytes stay in the files folder."""
    now = now or eng.now()
    with eng.db.write() as session:
        who = as_actor(session, actor)
        case = load_visible(session, case_id, who, lock=True)
        row = _attachment(session, case_id, attachment_id)
        if not may_remove_attachment(who, case, row.uploaded_by):
            raise Forbidden("Only whoever attached the file, the owning group's members or the chair may remove it.")
        row.removed_by, row.removed_at = who.username, now
        session.add(row)
        _bump(session, case, 1, now)
        append_log(eng, session, case, "@detach", case.state, who.username, now, note(row.name, row.size, row.sha256))
        session.flush()
        search_index.refresh(session, [case_id])
        return _view(row, False)


def fetch(eng: Engine, case_id: int, attachment_id: int, actor: Actor | str) -> Download:
    """A file of a case the actor may see, to send; NotFound if the case is hidden or the file gone."""
    with eng.db.read() as session:
        load_visible(session, case_id, as_actor(session, actor))
        row = _attachment(session, case_id, attachment_id)
    assert row.id is not None
    path = store_of(eng).path(row.sha256)
    if not os.path.isfile(path):
        raise NotFound(f"The file of {row.name!r} is missing from the files folder; tell an administrator "
                       "(`samverkan audit verify` names every missing file).")
    return Download(row.id, row.name, row.media_type, row.size, row.sha256, path)


def preview(eng: Engine, case_id: int, attachment_id: int, actor: Actor | str) -> bytes | None:
    """A small JPEG of an attached image (None for other files, or an image that cannot be read)."""
    file = fetch(eng, case_id, attachment_id, actor)
    return thumbnail(store_of(eng), file.sha256) if file.media_type.startswith("image/") else None
