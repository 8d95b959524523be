"""cases and transition_log: indexes for the agreement page's obligations

For each obligation the page lists the first cases that count and the first open ones that would,
and how many there are. It asks that of one agreement's cases of one workflow, so
(agreement_id, workflow, is_open, id, confidential) gives them in the order listed, open ones
apart, and answers the access condition from the index for every case that is not confidential.
Whether a case entered a counted state in the period is (case_id, to_state, at) of its log, asked
only of the cases changed since the period began: (agreement_id, workflow, updated_at, id,
confidential), so the count reads the period's cases, not every case of the agreement's years.
Before them the page read every open case of the agreement's obligation workflows and listed
them all: 48 ms CPU for Höör's chair at a million cases against 16 at ten thousand; with them and
the first ten listed, 21 (prof.py, the same busy machine).

Revision ID: 0012_agreement_page
Revises: 0011_group_open_due
"""
from __future__ import annotations

from alembic import op

revision = "0012_agreement_page"
down_revision = "0011_group_open_due"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cases_agreement_workflow_open", "cases",
                    ["agreement_id", "workflow", "is_open", "id", "confidential"], unique=False)
    op.create_index("ix_cases_agreement_workflow_updated", "cases",
                    ["agreement_id", "workflow", "updated_at", "id", "confidential"], unique=False)
    op.create_index("ix_transition_log_case_state_at", "transition_log", ["case_id", "to_state", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_transition_log_case_state_at", table_name="transition_log")
    op.drop_index("ix_cases_agreement_workflow_updated", table_name="cases")
    op.drop_index("ix_cases_agreement_workflow_open", table_name="cases")
