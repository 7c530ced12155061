"""Webhook events not yet handed to the broker: the callbacks' outbox.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 15:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Additive only (a new table): processes of the previous version keep working until they are replaced; they
    # send events straight to the broker, as before.
    op.create_table('webhook_events',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('submission_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('message', sa.JSON(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_webhook_events_created_at', 'webhook_events', ['created_at'])
    op.create_index('ix_webhook_events_submission_id', 'webhook_events', ['submission_id'])


def downgrade() -> None:
    op.drop_index('ix_webhook_events_submission_id', table_name='webhook_events')
    op.drop_index('ix_webhook_events_created_at', table_name='webhook_events')
    op.drop_table('webhook_events')
