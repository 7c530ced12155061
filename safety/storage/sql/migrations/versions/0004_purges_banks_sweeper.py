"""Durable purge jobs, hash banks (known-bad, purged) and the sweeper lock.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 22:41:08.487065
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bank_entries',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('bank', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('source_video_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('bank_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_entries_bank'), ['bank'], unique=False)
        batch_op.create_index(batch_op.f('ix_bank_entries_source_video_id'), ['source_video_id'], unique=False)

    op.create_table('purge_jobs',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('creator', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('video_ids', sa.JSON(), nullable=False),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('purge_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_purge_jobs_owner'), ['owner'], unique=False)
        batch_op.create_index(batch_op.f('ix_purge_jobs_state'), ['state'], unique=False)

    op.create_table('sweeper_locks',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('holder', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('bank_hashes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('digest', sa.LargeBinary(), nullable=False),
    sa.Column('quality', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['bank_entries.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('bank_hashes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_hashes_entry_id'), ['entry_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('bank_hashes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bank_hashes_entry_id'))

    op.drop_table('bank_hashes')
    op.drop_table('sweeper_locks')
    with op.batch_alter_table('purge_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_purge_jobs_state'))
        batch_op.drop_index(batch_op.f('ix_purge_jobs_owner'))

    op.drop_table('purge_jobs')
    with op.batch_alter_table('bank_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bank_entries_source_video_id'))
        batch_op.drop_index(batch_op.f('ix_bank_entries_bank'))

    op.drop_table('bank_entries')
