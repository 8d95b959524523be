"""case_links (a case's material, e.g. a lägesbild's sources) and citizen_texts (information to the
citizens published from a monthly review, shown on /information and in the Atom feed)

Revision ID: 0005_citizen_info
Revises: 0006_attachments (merged before it; the lead may re-chain)
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import engine.store.db

revision = "0005_citizen_info"
down_revision = "0006_attachments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("linked_id", sa.Integer(), nullable=False),
        sa.Column("added_by", sqlmodel.AutoString(length=64), nullable=False),
        sa.Column("added_at", engine.store.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["linked_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "linked_id"),
    )
    op.create_index("ix_case_links_case_id", "case_links", ["case_id"])
    op.create_index("ix_case_links_linked_id", "case_links", ["linked_id"])
    op.create_table(
        "citizen_texts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.AutoString(length=200), nullable=False),
        sa.Column("body", sqlmodel.AutoString(), nullable=False),
        sa.Column("published_by", sqlmodel.AutoString(length=64), nullable=False),
        sa.Column("published_at", engine.store.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agreement_id"], ["agreements.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id"),
    )
    op.create_index("ix_citizen_texts_agreement_id", "citizen_texts", ["agreement_id"])
    op.create_index("ix_citizen_texts_published_at", "citizen_texts", ["published_at"])


def downgrade() -> None:
    op.drop_table("citizen_texts")
    op.drop_table("case_links")
