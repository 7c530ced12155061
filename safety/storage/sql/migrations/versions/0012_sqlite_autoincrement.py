"""Ids of face templates, frame hashes and bank hashes are never reused on SQLite (AUTOINCREMENT).

The cached face gallery, fingerprint index and bank index are stamped with (count, highest id). Without
AUTOINCREMENT SQLite hands the highest id out again once its row is deleted, so a replacement (delete + insert)
could leave the stamp unchanged and the stale index in use: a removed protected person still matched, a new one
missed. SQLite cannot add AUTOINCREMENT to an existing table, so the three tables are rebuilt (rows, ids and indexes
kept; copying the rows sets the table's counter in `sqlite_sequence` to the highest id). PostgreSQL sequences never
reuse ids: nothing to do there.

Revision ID: 0012
Revises: 0011
Create Date: 2027-01-17 12:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TABLES = ("face_templates", "frame_hashes", "bank_hashes")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": True}):
            pass


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # The rebuilt table is copied from its reflection, which has no AUTOINCREMENT: the plain integer key comes back.
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always"):
            pass
