"""case_waiting (whom an open case waits for) and case_watchers (who follows a case)

Both are filled by the engine as cases change; existing open cases get their waiting rows from
`samverkan init` (which refreshes every open case that has none).

Revision ID: 0004_people
Revises: 0003_audit_keys
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import engine.store.db

revision = "0004_people"
down_revision = "0003_audit_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_waiting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("slot", sqlmodel.AutoString(length=80), nullable=False),
        sa.Column("kind", sqlmodel.AutoString(length=8), nullable=False),
        sa.Column("key", sqlmodel.AutoString(length=64), nullable=False),
        sa.Column("group_key", sqlmodel.AutoString(length=64), nullable=True),
        sa.Column("label_sv", sqlmodel.AutoString(length=200), nullable=False),
        sa.Column("label_en", sqlmodel.AutoString(length=200), nullable=False),
        sa.Column("except_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["except_user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "slot"),
    )
    op.create_index("ix_case_waiting_case_id", "case_waiting", ["case_id"])
    op.create_index("ix_case_waiting_slot", "case_waiting", ["slot", "case_id"])
    op.create_table(
        "case_watchers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("following", sa.Boolean(), nullable=False),
        sa.Column("since", engine.store.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "user_id"),
    )
    op.create_index("ix_case_watchers_case_id", "case_watchers", ["case_id"])
    op.create_index("ix_case_watchers_user_id", "case_watchers", ["user_id"])


def downgrade() -> None:
    op.drop_table("case_watchers")
    op.drop_table("case_waiting")
