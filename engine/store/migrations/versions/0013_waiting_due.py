"""case_waiting: a copy of its case's due time, and the slot index in due order

"Att göra" lists what waits for a person, soonest due first. With only (slot, case_id) in the
index the database read every case waiting in the person's slots and sorted them: a police
officer spanning ten agreements has thousands at a million cases. With the case's due time in
case_waiting and the index on (slot, due_at, case_id, except_user_id), the page reads each slot's
first rows in due order and stops. The engine keeps the copy with the case wherever its due time
changes; here it is filled from the cases once.

Revision ID: 0013_waiting_due
Revises: 0012_agreement_page
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.store.db

revision = "0013_waiting_due"
down_revision = "0012_agreement_page"
branch_labels = None
depends_on = None

_CASES = sa.table("cases", sa.column("id", sa.Integer), sa.column("due_at", engine.store.db.UTCDateTime()))
_WAITING = sa.table("case_waiting", sa.column("case_id", sa.Integer), sa.column("due_at", engine.store.db.UTCDateTime()))


def upgrade() -> None:
    op.add_column("case_waiting", sa.Column("due_at", engine.store.db.UTCDateTime(timezone=True), nullable=True))
    op.execute(_WAITING.update().values(
        due_at=sa.select(_CASES.c.due_at).where(_CASES.c.id == _WAITING.c.case_id).scalar_subquery()))
    op.drop_index("ix_case_waiting_slot", table_name="case_waiting")
    op.create_index("ix_case_waiting_slot", "case_waiting", ["slot", "due_at", "case_id", "except_user_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_case_waiting_slot", table_name="case_waiting")
    op.create_index("ix_case_waiting_slot", "case_waiting", ["slot", "case_id"], unique=False)
    with op.batch_alter_table("case_waiting", schema=None) as batch_op:
        batch_op.drop_column("due_at")
