"""transition_log: the key id of each row's HMAC, and the case's assignee, group and confidentiality after it

Rows written before this migration keep NULL in the new columns: they were hashed without a
key, and `samverkan audit re-sign` checks their old chain and signs them once.

Revision ID: 0003_audit_keys
Revises: 0002_web
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003_audit_keys"
down_revision = "0002_web"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("transition_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key_id", sqlmodel.AutoString(length=16), nullable=True))
        batch_op.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("group_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("confidential", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("transition_log", schema=None) as batch_op:
        batch_op.drop_column("confidential")
        batch_op.drop_column("group_id")
        batch_op.drop_column("assignee_id")
        batch_op.drop_column("key_id")
