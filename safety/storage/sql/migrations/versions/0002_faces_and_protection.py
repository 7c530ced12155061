"""Faces, protected persons, enrollment challenges, cameo reference crops and decision facts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 22:07:40.528033
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('face_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('model_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('vector', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('face_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_face_templates_model_id'), ['model_id'], unique=False)
        batch_op.create_index('ix_face_templates_subject', ['subject_kind', 'subject'], unique=False)

    op.create_table('protected_persons',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('removed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('protected_persons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_protected_persons_name'), ['name'], unique=False)

    op.create_table('cameo_challenges',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('handle', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('digits', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('turns', sa.JSON(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['handle'], ['users.handle'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('cameo_challenges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cameo_challenges_handle'), ['handle'], unique=False)

    with op.batch_alter_table('cameos', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reference_paths', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('verification_path', sqlmodel.sql.sqltypes.AutoString(), nullable=True))

    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('facts', sa.JSON(), server_default='{}', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_column('facts')

    with op.batch_alter_table('cameos', schema=None) as batch_op:
        batch_op.drop_column('verification_path')
        batch_op.drop_column('reference_paths')

    with op.batch_alter_table('cameo_challenges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cameo_challenges_handle'))

    op.drop_table('cameo_challenges')
    with op.batch_alter_table('protected_persons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_protected_persons_name'))

    op.drop_table('protected_persons')
    with op.batch_alter_table('face_templates', schema=None) as batch_op:
        batch_op.drop_index('ix_face_templates_subject')
        batch_op.drop_index(batch_op.f('ix_face_templates_model_id'))

    op.drop_table('face_templates')
