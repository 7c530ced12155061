"""The manifest repository: each published video's manifest (its store kept in the media store) and the soft
binding values its manifest declares, indexed by (alg, value). Videos published before keep no manifest; their
watermark tokens become bindings without one, so tracing them still goes through the same lookup.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 09:00:00
"""

from __future__ import annotations

import base64

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

# The watermark's binding algorithm as `provenance.softbinding` names it (a migration does not import the code it
# migrates for: the code may change, the migration may not).
_WATERMARK_ALG = 'com.cameoguard.wm.v1'


def upgrade() -> None:
    op.create_table('manifests',
    sa.Column('manifest_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('video_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('store_path', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['video_id'], ['videos.id'], ),
    sa.PrimaryKeyConstraint('manifest_id')
    )
    op.create_index('ix_manifests_video_id', 'manifests', ['video_id'])
    bindings = op.create_table('soft_bindings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alg', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('value', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('video_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('manifest_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.ForeignKeyConstraint(['video_id'], ['videos.id'], ),
    sa.ForeignKeyConstraint(['manifest_id'], ['manifests.manifest_id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_soft_bindings_alg_value', 'soft_bindings', ['alg', 'value'])
    op.create_index('ix_soft_bindings_video_id', 'soft_bindings', ['video_id'])
    rows = op.get_bind().execute(sa.text('SELECT video_id, watermark_token FROM published_records')).all()
    if rows:
        op.bulk_insert(bindings, [
            {'alg': _WATERMARK_ALG, 'value': base64.b64encode(int(token).to_bytes(5, 'big')).decode('ascii'),
             'video_id': video_id, 'manifest_id': None}
            for video_id, token in rows
        ])


def downgrade() -> None:
    op.drop_index('ix_soft_bindings_video_id', 'soft_bindings')
    op.drop_index('ix_soft_bindings_alg_value', 'soft_bindings')
    op.drop_table('soft_bindings')
    op.drop_index('ix_manifests_video_id', 'manifests')
    op.drop_table('manifests')
