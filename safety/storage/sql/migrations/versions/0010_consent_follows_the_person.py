"""Guardians of teen accounts (their controls: a cap on the cameo level, a teen pack); owners who approve each use
of their likeness, and the requests they answer; embeddings of checked videos' face tracks and speech, and the
retroactive scans that search them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('policy_pack', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch.add_column(sa.Column('cameo_level_cap', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
    op.create_table('guardianships',
    sa.Column('teen', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('guardian', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['teen'], ['users.handle'], ),
    sa.ForeignKeyConstraint(['guardian'], ['users.handle'], ),
    sa.PrimaryKeyConstraint('teen', 'guardian')
    )
    op.create_index('ix_guardianships_guardian', 'guardianships', ['guardian'])
    with op.batch_alter_table('cameos') as batch:
        batch.add_column(sa.Column('approve_each_use', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table('use_requests',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('video_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('creator', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['video_id'], ['videos.id'], ),
    sa.ForeignKeyConstraint(['owner'], ['users.handle'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_use_requests_video_id', 'use_requests', ['video_id'])
    op.create_index('ix_use_requests_owner_state', 'use_requests', ['owner', 'state'])
    op.create_table('track_embeddings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('video_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('track', sa.Integer(), nullable=False),
    sa.Column('t', sa.Float(), nullable=False),
    sa.Column('model_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('vector', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['video_id'], ['videos.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_track_embeddings_model_video', 'track_embeddings', ['model_id', 'video_id'])
    op.create_table('retro_scans',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('subject_kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('cursor', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('videos_searched', sa.Integer(), nullable=False),
    sa.Column('found', sa.JSON(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_retro_scans_state', 'retro_scans', ['state'])


def downgrade() -> None:
    op.drop_index('ix_retro_scans_state', 'retro_scans')
    op.drop_table('retro_scans')
    op.drop_index('ix_track_embeddings_model_video', 'track_embeddings')
    op.drop_table('track_embeddings')
    op.drop_index('ix_use_requests_owner_state', 'use_requests')
    op.drop_index('ix_use_requests_video_id', 'use_requests')
    op.drop_table('use_requests')
    with op.batch_alter_table('cameos') as batch:
        batch.drop_column('approve_each_use')
    op.drop_index('ix_guardianships_guardian', 'guardianships')
    op.drop_table('guardianships')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('cameo_level_cap')
        batch.drop_column('policy_pack')
