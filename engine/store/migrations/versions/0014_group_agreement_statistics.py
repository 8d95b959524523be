"""cases: PostgreSQL statistics that a group's cases are all of one agreement

The planner takes columns as independent: asked for one group's cases of one agreement (a queue
filtered by the agreement shown), it estimated a 290th of the group's cases and walked the
agreement's index, reading and sorting every open case of the agreement's groups (the official's
untaken cards on "Att göra": 366 rows, 1.75 ms at 1,000,000 cases, against 0.11 ms on the group's
index in due order). Functional-dependency statistics on (group_id, agreement_id) say that the group
decides the agreement. PostgreSQL only; SQLite's planner has no such statistics and chose the
group's index already. ANALYZE fills them now rather than at autovacuum's next pass.

Revision ID: 0014_group_agreement_statistics
Revises: 0013_waiting_due
"""
from __future__ import annotations

from alembic import op

revision = "0014_group_agreement_statistics"
down_revision = "0013_waiting_due"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE STATISTICS IF NOT EXISTS st_cases_group_agreement (dependencies) "
                   "ON group_id, agreement_id FROM cases")
        op.execute("ANALYZE cases")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS st_cases_group_agreement")
