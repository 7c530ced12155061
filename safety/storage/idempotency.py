"""Idempotency keys: the first answer to a request, kept so that a client's retry gets it again instead of doing the
work twice.

A client that sends `Idempotency-Key` on a POST that creates something (a submission first of all) may repeat the
request after a timeout or a dropped connection: the key, scoped to the client, names one request. The first
request claims the key (`start`) before it runs and records its answer when it is done (`complete`); a repeat with
the same body is answered from the record, one with another body is refused, and one that arrives while the first
is still running is told to wait. A request that failed on the server's side (5xx) gives its key back (`abandon`),
so a retry runs it afresh. Keys expire: the sweeper forgets answers older than a day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class IdempotentAnswer:
    """What a key holds: the request it was first used for and, once answered, the answer."""

    client: str
    """The API client the key belongs to (keys of different clients never meet)."""
    key: str
    """The client's `Idempotency-Key`."""
    fingerprint: str
    """SHA-256 of the request's method, path and body: a repeat must match it."""
    status_code: int | None
    """The answer's status; None while the first request is still running."""
    content_type: str
    """The answer's media type."""
    body: str
    """The answer's body, as sent."""
    created_at: datetime
    """When the key was first used."""

    @property
    def answered(self) -> bool:
        """The first request finished and its answer is kept."""
        return self.status_code is not None


class IdempotencyStore(Protocol):
    """Idempotency keys per client."""

    def find(self, client: str, key: str) -> IdempotentAnswer | None:
        """The key's record, or None when the client never used it (or it expired)."""
        ...

    def start(self, client: str, key: str) -> None:
        """Claim the key for a request now running; `ConflictError` when it is taken (by this client)."""
        ...

    def complete(self, client: str, key: str, fingerprint: str, status_code: int, content_type: str, body: str) -> None:
        """Keep the answer of the request that claimed the key, and the request's fingerprint (known once its body
        has been read)."""
        ...

    def abandon(self, client: str, key: str) -> None:
        """Give an unanswered key back (its request failed on the server's side, so a retry runs afresh)."""
        ...

    def expire(self, before: datetime) -> int:
        """Forget keys first used before `before`; how many."""
        ...
