"""Provenance registry: published videos with their watermark token, file digest, status and frame hashes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 22:33:51.512407
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('frame_hashes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('video_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('t', sa.Float(), nullable=False),
    sa.Column('digest', sa.LargeBinary(), nullable=False),
    sa.Column('quality', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['video_id'], ['videos.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('frame_hashes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_frame_hashes_video_id'), ['video_id'], unique=False)

    op.create_table('published_records',
    sa.Column('video_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('watermark_token', sa.BigInteger(), nullable=False),
    sa.Column('manifest_signed', sa.Boolean(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('purged_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['video_id'], ['videos.id'], ),
    sa.PrimaryKeyConstraint('video_id'),
    sa.UniqueConstraint('watermark_token')
    )
    with op.batch_alter_table('published_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_published_records_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_published_records_status'), ['status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('published_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_published_records_status'))
        batch_op.drop_index(batch_op.f('ix_published_records_sha256'))

    op.drop_table('published_records')
    with op.batch_alter_table('frame_hashes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_frame_hashes_video_id'))

    op.drop_table('frame_hashes')
