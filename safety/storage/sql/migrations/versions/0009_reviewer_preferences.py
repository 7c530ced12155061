"""Reviewers keep their wellness preferences (grayscale by default, how strongly media is blurred); protected
people keep a face crop per photo for reviewers; reports are found by reporter.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('reviewers') as batch:
        batch.add_column(sa.Column('grayscale', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('blur_px', sa.Integer(), nullable=False, server_default='24'))
    op.create_index('ix_reports_reporter', 'reports', ['reporter'])
    with op.batch_alter_table('protected_persons') as batch:
        batch.add_column(sa.Column('photo_paths', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('protected_persons') as batch:
        batch.drop_column('photo_paths')
    op.drop_index('ix_reports_reporter', 'reports')
    with op.batch_alter_table('reviewers') as batch:
        batch.drop_column('blur_px')
        batch.drop_column('grayscale')
