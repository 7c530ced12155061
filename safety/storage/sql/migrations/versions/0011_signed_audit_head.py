"""The audit head signed (its HMAC under the audit key); purged videos keep no plain hash of their prompt or owners.

The head's MAC cannot be computed here (the key is not the database's): the first start after this migration signs
the head, once, when no checkpoint exists yet. Purged videos' `sha256:` digests of prompts and handles are removed:
a plain hash of a handle is reversed by hashing a list of handles, and the original cannot be hashed again with a
key, so the old values go (new purges keep keyed digests, `hmac:`).

Revision ID: 0011
Revises: 0010
Create Date: 2027-01-10 12:00:00
"""

from __future__ import annotations

import json

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_head") as batch:
        batch.add_column(
            sa.Column("mac", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default="")
        )
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, prompt, declared_cameos FROM videos WHERE status = 'purged'")).fetchall()
    update = sa.text("UPDATE videos SET prompt = :prompt, declared_cameos = :declared WHERE id = :id").bindparams(
        sa.bindparam("declared", type_=sa.JSON())
    )
    for video_id, prompt, declared in rows:
        handles = json.loads(declared) if isinstance(declared, str) else list(declared or [])
        kept = [h for h in handles if not str(h).startswith("sha256:")]
        cleared = "" if str(prompt).startswith("sha256:") else prompt
        if kept != handles or cleared != prompt:
            conn.execute(update, {"prompt": cleared, "declared": kept, "id": video_id})


def downgrade() -> None:
    with op.batch_alter_table("audit_head") as batch:
        batch.drop_column("mac")
