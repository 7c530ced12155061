"""Idempotency keys in memory (`safety.storage.idempotency`), with the SQL store's primary key checked by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from safety.errors import ConflictError
from safety.storage.idempotency import IdempotentAnswer
from safety.storage.memory.state import MemoryContext


class MemoryIdempotencyStore:
    """`IdempotencyStore` in memory."""

    def __init__(self, ctx: MemoryContext) -> None:
        self._ctx = ctx

    def find(self, client: str, key: str) -> IdempotentAnswer | None:
        return self._ctx.state.idempotency.get((client, key))

    def start(self, client: str, key: str) -> None:
        keys = self._ctx.state.idempotency
        if (client, key) in keys:
            raise ConflictError(f"conflicting write: idempotency key `{key}` exists")
        keys[(client, key)] = IdempotentAnswer(client, key, "", None, "", "", self._ctx.now())

    def complete(self, client: str, key: str, fingerprint: str, status_code: int, content_type: str, body: str) -> None:
        keys = self._ctx.state.idempotency
        if (client, key) in keys:
            keys[(client, key)] = replace(
                keys[(client, key)],
                fingerprint=fingerprint,
                status_code=status_code,
                content_type=content_type,
                body=body,
            )

    def abandon(self, client: str, key: str) -> None:
        keys = self._ctx.state.idempotency
        if (found := keys.get((client, key))) is not None and not found.answered:
            del keys[(client, key)]

    def expire(self, before: datetime) -> int:
        keys = self._ctx.state.idempotency
        old = [k for k, answer in keys.items() if answer.created_at < before]
        for k in old:
            del keys[k]
        return len(old)
