"""Bank hashes keep the time of their frame, so copies are matched by segment.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('bank_hashes') as batch:
        batch.add_column(sa.Column('t', sa.Float(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('bank_hashes') as batch:
        batch.drop_column('t')
