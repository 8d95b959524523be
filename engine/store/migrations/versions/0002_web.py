"""login attempts for the web log-in throttle; an index for the unassigned queue

Revision ID: 0002_web
Revises: 0002_report
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.store.db

revision = "0002_web"
down_revision = "0002_report"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("at", engine.store.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_attempts_key_at", "login_attempts", ["key", "at"], unique=False)
    op.create_index("ix_cases_group_unassigned", "cases", ["group_id", "assignee_id", "is_open", "due_at"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_cases_group_unassigned", table_name="cases")
    op.drop_index("ix_login_attempts_key_at", table_name="login_attempts")
    op.drop_table("login_attempts")
