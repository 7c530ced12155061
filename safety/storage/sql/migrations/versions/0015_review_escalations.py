"""An escalated review item keeps who escalated it and why, beside the decision's own note (which a decision
overwrites), so the senior's queue marks it and the case says who sent it up and why.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Additive only: processes of the previous version keep working until they are replaced.
    with op.batch_alter_table('review_items') as batch:
        batch.add_column(sa.Column('escalated_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch.add_column(
            sa.Column('escalation_note', sqlmodel.sql.sqltypes.AutoString(), server_default='', nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('review_items') as batch:
        batch.drop_column('escalation_note')
        batch.drop_column('escalated_by')
