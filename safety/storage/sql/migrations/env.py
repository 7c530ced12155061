"""Alembic environment: runs migrations on the connection `safety.storage.sql.database` hands over."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import safety.storage.sql.idempotency
import safety.storage.sql.tables  # noqa: F401  (registers the tables on SQLModel.metadata)

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through safety.storage.sql.database.migrate")
context.configure(connection=connection, target_metadata=SQLModel.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
