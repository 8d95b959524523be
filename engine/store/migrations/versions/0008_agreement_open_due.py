"""cases: an index of one agreement's open cases by due time

A deployment may follow 290 agreements; a person sees the one their groups belong to, and
its overview, overdue queue and header counts ask for that agreement's open cases by due
time. Without the index they walked every open case of the deployment.

Revision ID: 0008_agreement_open_due
Revises: 0007_agreement_roles
"""
from __future__ import annotations

from alembic import op

revision = "0008_agreement_open_due"
down_revision = "0007_agreement_roles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cases_agreement_open_due", "cases", ["agreement_id", "is_open", "due_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_cases_agreement_open_due", table_name="cases")
