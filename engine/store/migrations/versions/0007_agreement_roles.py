"""case_waiting: a role that spans an agreement is waited for in the case's agreement

The chair, the Police and the administrator used to count on every case of the deployment, so a
case waiting for "the Police" waited for every police officer of every municipality the deployment
serves. They now count in the agreement of the group they are held in (engine/policy/access.py),
and their slot names the agreement: `r:police` becomes `r:police#<the case's agreement id>`.

Revision ID: 0007_agreement_roles
Revises: 0005_edit_search
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_agreement_roles"
down_revision = "0005_edit_search"
branch_labels = None
depends_on = None

_ROLES = ("chair", "police", "admin")
_WAITING = sa.table("case_waiting", sa.column("case_id", sa.Integer), sa.column("slot", sa.String))
_CASES = sa.table("cases", sa.column("id", sa.Integer), sa.column("agreement_id", sa.Integer))


def _rewrite(to_slot: sa.ColumnElement[str], where: sa.ColumnElement[bool]) -> None:
    op.get_bind().execute(sa.update(_WAITING).values(slot=to_slot).where(where))


def upgrade() -> None:
    agreement = (sa.select(sa.cast(_CASES.c.agreement_id, sa.String)).where(_CASES.c.id == _WAITING.c.case_id)
                 .scalar_subquery())
    _rewrite(_WAITING.c.slot + "#" + agreement, _WAITING.c.slot.in_([f"r:{r}" for r in _ROLES]))


def downgrade() -> None:
    for role in _ROLES:
        _rewrite(sa.literal(f"r:{role}"), _WAITING.c.slot.like(f"r:{role}#%"))
