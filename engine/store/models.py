"""Tables. Every date-time is stored in UTC (see `engine.store.db.UTCDateTime`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import DDL, JSON, BigInteger, Column, Index, UniqueConstraint, event
from sqlmodel import Field, SQLModel

from engine.store.db import UTCDateTime

__all__ = [
    "Agreement",
    "ApiToken",
    "Attachment",
    "CalendarToken",
    "CaseComment",
    "CaseLink",
    "CaseRow",
    "CaseWaiting",
    "CaseWatcher",
    "CitizenText",
    "Deadline",
    "Group",
    "LoginAttempt",
    "Membership",
    "Notice",
    "NoticePreference",
    "Period",
    "SEARCH_TABLE",
    "SEARCH_TERMS",
    "ScheduleMark",
    "SchedulerHeartbeat",
    "TransitionLog",
    "User",
    "WorkflowDefinitionRow",
    "metadata",
]

metadata = SQLModel.metadata


def _one_of(*choices: str) -> dict[str, Any]:
    """Column arguments saying which values the column holds (checked on import, not in the schema)."""
    return {"info": {"choices": choices}}


def _ts(nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


class Agreement(SQLModel, table=True):
    __tablename__ = "agreements"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=64)
    title: str
    parties: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    start_on: dt.date
    period_months: int


class Period(SQLModel, table=True):
    """One period of an agreement: [starts_on, ends_on), the end day not included."""

    __tablename__ = "periods"
    __table_args__ = (UniqueConstraint("agreement_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int = Field(foreign_key="agreements.id", index=True)
    number: int
    starts_on: dt.date
    ends_on: dt.date
    status: str = Field(default="active", max_length=16,
                        sa_column_kwargs=_one_of("active", "extended", "revised", "terminated", "lapsed"))


class Group(SQLModel, table=True):
    """A group of one agreement (keys are unique across the deployment)."""

    __tablename__ = "groups"
    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int | None = Field(default=None, foreign_key="agreements.id", index=True)
    key: str = Field(unique=True, max_length=64)
    name_sv: str
    name_en: str


class User(SQLModel, table=True):
    __tablename__ = "users"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, max_length=64)
    name: str
    email: str
    password_hash: str | None = None
    language: str = Field(default="sv", max_length=2, sa_column_kwargs=_one_of("sv", "en"))
    disabled: bool = False
    # Changed on log-out and password change so that copied session cookies die.
    session_nonce: str = Field(default="", max_length=64)
    created_at: dt.datetime = _ts()


class Membership(SQLModel, table=True):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "group_id", "role"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    group_id: int = Field(foreign_key="groups.id", index=True)
    role: str = Field(max_length=32)


class WorkflowDefinitionRow(SQLModel, table=True):
    """Every version of a definition a case started on, so it keeps firing under it."""

    __tablename__ = "workflow_definitions"
    __table_args__ = (UniqueConstraint("key", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64)
    version: str = Field(max_length=64)
    source: str
    loaded_at: dt.datetime = _ts()


class CaseRow(SQLModel, table=True):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_assignee_due", "assignee_id", "due_at"),
        # A group's open cases by due time: the group queue, read group by group for a person in several
        # groups, and its count; the access condition's columns after due_at, so read from the index alone.
        Index("ix_cases_group_open_due", "group_id", "is_open", "due_at", "id", "confidential", "assignee_id"),
        Index("ix_cases_open_due", "is_open", "due_at"),
        # The unassigned queue and its count: one group's open cases without an assignee, by due time.
        Index("ix_cases_group_unassigned", "group_id", "assignee_id", "is_open", "due_at"),
        # One agreement's open cases by due time: the overview, the overdue queue and the counts of a
        # person who sees one agreement of the 290 a deployment may follow. The columns after due_at are
        # those the access condition and the overview's count per group read: counted from the index alone.
        Index("ix_cases_agreement_open_due", "agreement_id", "is_open", "due_at", "group_id", "confidential",
              "assignee_id"),
        # One agreement's cases of one workflow, open ones apart, by id: the agreement page's obligations
        # (the first cases counted or that would count, and how many) read the index, and a case's row only
        # when it is confidential and the access condition asks for its group or holder.
        Index("ix_cases_agreement_workflow_open", "agreement_id", "workflow", "is_open", "id", "confidential"),
        # The agreement page's count of the cases that entered a state in the period: those changed since it began.
        Index("ix_cases_agreement_workflow_updated", "agreement_id", "workflow", "updated_at", "id", "confidential"),
    )
    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int = Field(foreign_key="agreements.id", index=True)
    period_id: int | None = Field(default=None, foreign_key="periods.id")
    workflow: str = Field(max_length=64, index=True)
    definition_version: str = Field(max_length=64)
    title: str = Field(max_length=200)
    description: str = ""
    state: str = Field(max_length=64)
    is_open: bool = True
    version: int = 1
    assignee_id: int | None = Field(default=None, foreign_key="users.id")
    group_id: int = Field(foreign_key="groups.id")
    focus_area: str | None = Field(default=None, max_length=32)
    priority: str = Field(default="normal", max_length=8, sa_column_kwargs=_one_of("low", "normal", "high"))
    confidential: bool = False
    parent_id: int | None = Field(default=None, foreign_key="cases.id", index=True)
    opened_by: str = Field(max_length=64)
    opened_at: dt.datetime = _ts()
    updated_at: dt.datetime = _ts()
    closed_at: dt.datetime | None = _ts(nullable=True)
    # The due time of the current state's deadline, kept here for the queues.
    due_at: dt.datetime | None = _ts(nullable=True)
    # A due date the opener gave; deadlines anchored at "opened" use it.
    requested_due_at: dt.datetime | None = _ts(nullable=True)
    # The time of the thing the case is about (a meeting, a review), if any.
    event_at: dt.datetime | None = _ts(nullable=True)
    # Key of a recurring occurrence (e.g. "monthly_review:2027-03"): opened once.
    occurrence_key: str | None = Field(default=None, unique=True, max_length=128)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class TransitionLog(SQLModel, table=True):
    """Append-only; each row's HMAC covers its content and the previous row's hash (engine.store.audit)."""

    __tablename__ = "transition_log"
    # (case_id, to_state, at): whether a case entered a state, and when, without reading its log rows
    # (the agreement page asks it of every case of an obligation).
    __table_args__ = (UniqueConstraint("case_id", "seq"),
                      Index("ix_transition_log_case_state_at", "case_id", "to_state", "at"))
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id")
    seq: int
    trigger: str = Field(max_length=64)
    from_state: str | None = Field(default=None, max_length=64)
    to_state: str = Field(max_length=64)
    actor: str = Field(max_length=64)
    at: dt.datetime = _ts()
    comment: str | None = None
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    # The key that signed the row (engine.store.audit_keys); none on rows from before the log was keyed.
    key_id: str | None = Field(default=None, max_length=16)
    # The case as this row left it; with `to_state` and `seq` (= the case's version) it is what
    # `audit verify` holds the case row to. None on rows from before these were logged.
    assignee_id: int | None = None
    group_id: int | None = None
    confidential: bool | None = None
    # An edit (trigger "@edit"): the field it changed, its value before and after (as
    # engine.store.audit.logged_value writes them); None on every other row.
    field: str | None = Field(default=None, max_length=32)
    old_value: str | None = None
    new_value: str | None = None


class CaseComment(SQLModel, table=True):
    __tablename__ = "comments"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    author: str = Field(max_length=64)
    at: dt.datetime = _ts()
    body: str


class Attachment(SQLModel, table=True):
    """A file attached to a case; its bytes are kept by their SHA-256 in the files folder (engine.store.files).

    The `@attach` log row at `log_seq` names the file and its hash, signed in the case's chain;
    a removed file keeps its row (and its bytes) and gains `removed_*`, logged by `@detach`.
    """

    __tablename__ = "attachments"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    name: str = Field(max_length=255)
    size: int = Field(sa_type=BigInteger)
    sha256: str = Field(max_length=64, index=True)
    media_type: str = Field(max_length=128)
    uploaded_by: str = Field(max_length=64)
    uploaded_at: dt.datetime = _ts()
    log_seq: int
    removed_by: str | None = Field(default=None, max_length=64)
    removed_at: dt.datetime | None = _ts(nullable=True)


class Deadline(SQLModel, table=True):
    """A row that falls due: the state's deadline, a reminder before it, an escalation after."""

    __tablename__ = "deadlines"
    __table_args__ = (Index("ix_deadlines_status_due", "status", "due_at"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    state: str = Field(max_length=64)
    # The case's version when the row was made; a case that moved on retires it.
    case_version: int
    kind: str = Field(max_length=16, sa_column_kwargs=_one_of("reminder", "due", "escalation"))
    offset_days: int = 0
    due_at: dt.datetime = _ts()
    trigger: str | None = Field(default=None, max_length=64)
    status: str = Field(default="pending", max_length=16,
                        sa_column_kwargs=_one_of("pending", "done", "retired", "skipped", "failed"))
    claimed_until: dt.datetime | None = _ts(nullable=True)
    fired_at: dt.datetime | None = _ts(nullable=True)
    attempts: int = 0
    last_error: str | None = None


class Notice(SQLModel, table=True):
    """Something a person must be told; delivered by notifications/ through the outbox."""

    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_status_next", "status", "next_attempt_at"),
                      Index("ix_notices_recipient_read", "recipient_id", "read_at"))
    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(unique=True, max_length=200)
    kind: str = Field(max_length=32)
    case_id: int | None = Field(default=None, foreign_key="cases.id", index=True)
    recipient_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    created_at: dt.datetime = _ts()
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=16, index=True)
    attempts: int = 0
    next_attempt_at: dt.datetime | None = _ts(nullable=True)
    sent_at: dt.datetime | None = _ts(nullable=True)
    read_at: dt.datetime | None = _ts(nullable=True)
    last_error: str | None = None
    # A deliverer that claimed the row holds it until then; a crashed one's claim expires.
    claimed_until: dt.datetime | None = _ts(nullable=True)


class NoticePreference(SQLModel, table=True):
    """How a person wants their email: every notice at once, or one digest a day."""

    __tablename__ = "notice_preferences"
    user_id: int = Field(foreign_key="users.id", primary_key=True)
    mode: str = Field(default="immediate", max_length=16, sa_column_kwargs=_one_of("immediate", "daily"))
    updated_at: dt.datetime = _ts()


class CalendarToken(SQLModel, table=True):
    """A secret in a person's calendar feed URL; only its SHA-256 is stored."""

    __tablename__ = "calendar_tokens"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    token_hash: str = Field(unique=True, max_length=64)
    created_at: dt.datetime = _ts()
    revoked_at: dt.datetime | None = _ts(nullable=True)


class LoginAttempt(SQLModel, table=True):
    """A failed log-in, kept for a while so the throttle holds across processes."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_key_at", "key", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    # "login:ADDRESS:NAME" (engine.accounts.throttle) or "token-addr:ADDRESS" (engine.accounts.tokens)
    key: str = Field(max_length=200)
    at: dt.datetime = _ts()


class ScheduleMark(SQLModel, table=True):
    """How far a recurring schedule (or the agreement's cycle) has been processed."""

    __tablename__ = "schedule_marks"
    key: str = Field(primary_key=True, max_length=128)
    last_at: dt.datetime = _ts()


class SchedulerHeartbeat(SQLModel, table=True):
    """The last time each scheduler process ran; health checks read its age."""

    __tablename__ = "scheduler_heartbeats"
    name: str = Field(primary_key=True, max_length=128)
    beat_at: dt.datetime = _ts()
    runs: int = 0


class ApiToken(SQLModel, table=True):
    """A personal API token: only its SHA-256 is stored; the token itself is shown once."""

    __tablename__ = "api_tokens"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    name: str = Field(max_length=100)
    token_hash: str = Field(unique=True, max_length=64)
    # The first characters, so a person can tell their tokens apart without the secret.
    prefix: str = Field(max_length=16)
    created_at: dt.datetime = _ts()
    last_used_at: dt.datetime | None = _ts(nullable=True)
    revoked_at: dt.datetime | None = _ts(nullable=True)


class CaseWaiting(SQLModel, table=True):
    """Whom an open case waits for now: one row per slot, rewritten by the engine on every change.

    A slot is `u:USER_ID` (a person), `g:GROUP_ID` (anyone of a group; `q:GROUP_ID` while nobody holds
    the case, which is then the group's queue's and nobody's turn in person), `r:ROLE` (a role that counts
    everywhere) or `r:ROLE@GROUP_ID` (a role held in the owning group); `except_user_id` is someone the
    slot leaves out (the person who completed an action does not approve it). Derived from the case's
    state, assignee, data and the workflow's `next`, so it is not in the signed log.

    `due_at` is a copy of the case's, kept with it wherever it changes, so that "Att göra" reads each of
    a person's slots in due order from the index alone and stops after a page's rows, instead of
    reading every case that waits for them to sort them (engine/cases/todo.py).
    """

    __tablename__ = "case_waiting"
    # (slot, due_at, case_id): a slot's cases in queue order; except_user_id lets the index answer
    # "not the one left out" without reading the row. Also serves a plain `slot IN (...)`.
    __table_args__ = (UniqueConstraint("case_id", "slot"),
                      Index("ix_case_waiting_slot", "slot", "due_at", "case_id", "except_user_id"))
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    slot: str = Field(max_length=80)
    kind: str = Field(max_length=8, sa_column_kwargs=_one_of("user", "group", "role"))
    key: str = Field(max_length=64)
    group_key: str | None = Field(default=None, max_length=64)
    label_sv: str = Field(max_length=200)
    label_en: str = Field(max_length=200)
    except_user_id: int | None = Field(default=None, foreign_key="users.id")
    due_at: dt.datetime | None = _ts(nullable=True)


class CaseWatcher(SQLModel, table=True):
    """Who follows a case: told when it changes state or gets a comment. `following` false: stopped,
    and not added again by commenting or being assigned."""

    __tablename__ = "case_watchers"
    __table_args__ = (UniqueConstraint("case_id", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    following: bool = True
    since: dt.datetime = _ts()


class CaseLink(SQLModel, table=True):
    """A case linked to another as its material (a lägesbild's sources: statistics, the safety survey,
    the monthly reviews, the last follow-up). Measures and follow-ups hang under their plan by `parent_id`."""

    __tablename__ = "case_links"
    __table_args__ = (UniqueConstraint("case_id", "linked_id"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    linked_id: int = Field(foreign_key="cases.id", index=True)
    added_by: str = Field(max_length=64)
    added_at: dt.datetime = _ts()


class CitizenText(SQLModel, table=True):
    """Information to the citizens, written by a person in Markdown and published from a case (the
    monthly review); public on /information and in the Atom feed once published."""

    __tablename__ = "citizen_texts"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", unique=True)
    agreement_id: int = Field(foreign_key="agreements.id", index=True)
    title: str = Field(max_length=200)
    body: str
    published_by: str = Field(max_length=64)
    published_at: dt.datetime = _ts(index=True)
# The full-text index of cases (engine.store.search_index): derived from the tables above, so
# outside the metadata (on SQLite it is an FTS5 virtual table, which no model can declare), yet
# made and dropped with them, so a schema made by `create_all` has it as a migrated one does.
SEARCH_TABLE = "case_search"
# The words in the index, so that a prefix is searched as the few words it begins (search_index.prepare):
# on PostgreSQL a table the engine keeps, on SQLite a view of the FTS5 index's own vocabulary.
SEARCH_TERMS = f"{SEARCH_TABLE}_terms"
_SEARCH_DDL = {
    "postgresql": (f"CREATE TABLE IF NOT EXISTS {SEARCH_TABLE} (case_id integer PRIMARY KEY REFERENCES cases (id), "
                   "document tsvector NOT NULL)",
                   # Without fastupdate's pending list, which every search would read through (search_index).
                   f"CREATE INDEX IF NOT EXISTS ix_{SEARCH_TABLE}_document ON {SEARCH_TABLE} USING gin (document) "
                   "WITH (fastupdate = off)",
                   f'CREATE TABLE IF NOT EXISTS {SEARCH_TERMS} (term text COLLATE "C" PRIMARY KEY)'),
    # The words as written (å, ä and ö kept apart from a and o); a query's words are stemmed.
    "sqlite": (f"CREATE VIRTUAL TABLE IF NOT EXISTS {SEARCH_TABLE} USING fts5(title, body, "
               "tokenize = 'unicode61 remove_diacritics 0')",
               f"CREATE VIRTUAL TABLE IF NOT EXISTS {SEARCH_TERMS} USING fts5vocab({SEARCH_TABLE}, 'instance')"),
}
for _dialect, _statements in _SEARCH_DDL.items():
    for _statement in _statements:
        event.listen(metadata, "after_create", DDL(_statement).execute_if(dialect=_dialect))  # type: ignore[no-untyped-call]
for _table in (SEARCH_TERMS, SEARCH_TABLE):
    event.listen(metadata, "before_drop", DDL(f"DROP TABLE IF EXISTS {_table}"))  # type: ignore[no-untyped-call]
# PostgreSQL's planner takes a case's columns as independent, so it read "group 10's cases of agreement 2" as a
# 290th of group 10's and walked the agreement's index for the official's untaken cards (366 rows sorted,
# 1.75 ms at 1,000,000 cases) where the group's index gives them in order (0.11 ms). A group belongs to one
# agreement: these statistics tell the planner so (ANALYZE fills them; migration 0014 makes them on upgrade).
CASE_STATISTICS = "st_cases_group_agreement"
event.listen(CaseRow.__table__, "after_create", DDL(  # type: ignore[attr-defined, no-untyped-call]
    f"CREATE STATISTICS IF NOT EXISTS {CASE_STATISTICS} (dependencies) ON group_id, agreement_id FROM cases")
             .execute_if(dialect="postgresql"))
