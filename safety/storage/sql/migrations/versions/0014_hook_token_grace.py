"""A hook client's previous token, honoured until a grace period ends (`cameoguard hook rotate --grace`).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Additive only (nullable columns): processes of the previous version keep working until they are replaced.
    with op.batch_alter_table('hook_clients') as batch:
        batch.add_column(sa.Column('previous_token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch.add_column(sa.Column('previous_valid_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('hook_clients') as batch:
        batch.drop_column('previous_valid_until')
        batch.drop_column('previous_token_hash')
