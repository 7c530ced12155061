"""Idempotency keys in SQL (`safety.storage.idempotency`): one row per (client, key), so of two requests racing to
claim a key the primary key lets exactly one through."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Field, SQLModel, col

from safety.storage.idempotency import IdempotentAnswer
from safety.storage.sql.base import SqlContext


class IdempotencyKeyRow(SQLModel, table=True):
    """A client's idempotency key and the first answer given for it."""

    __tablename__ = "idempotency_keys"

    client: str = Field(primary_key=True, max_length=64)
    key: str = Field(primary_key=True, max_length=255)
    fingerprint: str = Field(max_length=64)
    status_code: int | None = None
    content_type: str = Field(default="", max_length=128)
    body: str = ""
    created_at: datetime = Field(index=True)


def _answer(row: IdempotencyKeyRow) -> IdempotentAnswer:
    return IdempotentAnswer(
        row.client, row.key, row.fingerprint, row.status_code, row.content_type, row.body, row.created_at
    )


class SqlIdempotencyStore:
    """`IdempotencyStore` in SQL."""

    def __init__(self, ctx: SqlContext) -> None:
        self._ctx = ctx
        self._s = ctx.session

    def find(self, client: str, key: str) -> IdempotentAnswer | None:
        row = self._s.get(IdempotencyKeyRow, (client, key))
        if row is None:
            return None
        self._s.refresh(row)
        return _answer(row)

    def start(self, client: str, key: str) -> None:
        # Flushed at once: a key another request holds is a unique-key clash now (`ConflictError` at the unit of
        # work), not at a commit after the work was done.
        self._s.add(IdempotencyKeyRow(client=client, key=key, fingerprint="", created_at=self._ctx.now()))
        self._s.flush()

    def complete(self, client: str, key: str, fingerprint: str, status_code: int, content_type: str, body: str) -> None:
        row = self._s.get(IdempotencyKeyRow, (client, key))
        if row is None:
            return
        row.fingerprint, row.status_code, row.content_type, row.body = fingerprint, status_code, content_type, body
        self._s.add(row)
        self._s.flush()

    def abandon(self, client: str, key: str) -> None:
        self._s.exec(
            delete(IdempotencyKeyRow).where(
                col(IdempotencyKeyRow.client) == client,
                col(IdempotencyKeyRow.key) == key,
                col(IdempotencyKeyRow.status_code).is_(None),
            )
        )

    def expire(self, before: datetime) -> int:
        gone = self._s.exec(delete(IdempotencyKeyRow).where(col(IdempotencyKeyRow.created_at) < before))
        return int(gone.rowcount or 0)
