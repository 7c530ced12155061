"""Scoped API clients with webhook secrets; asynchronous submissions and their callback deliveries; deleted
accounts.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('deleted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    with op.batch_alter_table('hook_clients') as batch:
        # Clients made before scopes existed could only submit: they keep exactly that.
        batch.add_column(sa.Column('scopes', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False,
                                   server_default='generate'))
        batch.add_column(sa.Column('webhook_secret', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True))
    op.create_table('submissions',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('client', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('video_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('creator', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('prompt', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('cameos', sa.JSON(), nullable=False),
    sa.Column('remix_of', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('video_path', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('input_image_path', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('callback_url', sqlmodel.sql.sqltypes.AutoString(length=2048), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('worker', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('claimed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('video_id')
    )
    op.create_index('ix_submissions_client', 'submissions', ['client'])
    op.create_index('ix_submissions_state', 'submissions', ['state'])
    op.create_table('callback_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id']),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_callback_deliveries_submission_id', 'callback_deliveries', ['submission_id'])


def downgrade() -> None:
    op.drop_index('ix_callback_deliveries_submission_id', table_name='callback_deliveries')
    op.drop_table('callback_deliveries')
    op.drop_index('ix_submissions_state', table_name='submissions')
    op.drop_index('ix_submissions_client', table_name='submissions')
    op.drop_table('submissions')
    with op.batch_alter_table('hook_clients') as batch:
        batch.drop_column('webhook_secret')
        batch.drop_column('scopes')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('deleted_at')
