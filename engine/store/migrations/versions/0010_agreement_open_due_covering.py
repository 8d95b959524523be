"""cases: the index of one agreement's open cases by due time also carries group, confidentiality and holder

The chair's overview counts an agreement's overdue cases per group, under the reader's access
condition (confidential, group, holder). With only (agreement_id, is_open, due_at) in the index
the database read every overdue case's row to learn those: 5 ms for Höör's 2,000 overdue
cases at a million cases. With them in the index the count reads the index alone (0.5 ms).
The index replaces the narrower one under the same name: everything that used that one reads
the same leading columns.

Revision ID: 0010_agreement_open_due_covering
Revises: 0009_search_terms
"""
from __future__ import annotations

from alembic import op

revision = "0010_agreement_open_due_covering"
down_revision = "0009_search_terms"
branch_labels = None
depends_on = None

COLUMNS = ["agreement_id", "is_open", "due_at", "group_id", "confidential", "assignee_id"]


def upgrade() -> None:
    op.drop_index("ix_cases_agreement_open_due", table_name="cases")
    op.create_index("ix_cases_agreement_open_due", "cases", COLUMNS, unique=False)


def downgrade() -> None:
    op.drop_index("ix_cases_agreement_open_due", table_name="cases")
    op.create_index("ix_cases_agreement_open_due", "cases", COLUMNS[:3], unique=False)
