"""attachments: files attached to cases, kept by their SHA-256 in the files folder

Revision ID: 0006_attachments
Revises: 0004_people
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

from engine.store.db import UTCDateTime

revision = "0006_attachments"
down_revision = "0004_people"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.AutoString(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sqlmodel.AutoString(length=64), nullable=False),
        sa.Column("media_type", sqlmodel.AutoString(length=128), nullable=False),
        sa.Column("uploaded_by", sqlmodel.AutoString(length=64), nullable=False),
        sa.Column("uploaded_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("log_seq", sa.Integer(), nullable=False),
        sa.Column("removed_by", sqlmodel.AutoString(length=64), nullable=True),
        sa.Column("removed_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_attachments_case_id"), "attachments", ["case_id"], unique=False)
    op.create_index(op.f("ix_attachments_sha256"), "attachments", ["sha256"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_attachments_sha256"), table_name="attachments")
    op.drop_index(op.f("ix_attachments_case_id"), table_name="attachments")
    op.drop_table("attachments")
