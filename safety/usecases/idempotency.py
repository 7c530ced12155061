"""Requests a client may repeat safely: the first answer per `Idempotency-Key`, given again to every repeat.

`claim` is asked before a request runs. A key the client has not used is claimed (the request runs and its answer
is kept with `keep`, or the key given back with `release` when it failed on the server's side); a key already
answered gives that answer back when the repeat is the same request, and is refused when it is another (a client
that reuses a key for a different body has a bug that must not go unnoticed); a key whose first request is still
running is answered "in progress", so two copies of one request never both run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import Enum

from safety.errors import ConflictError
from safety.storage import IdempotentAnswer, Store

KEEP_FOR = timedelta(hours=24)
"""How long an answer is kept for repeats (the sweeper forgets older ones)."""
MAX_KEY_LENGTH = 255


class Claim(Enum):
    """What a request with a key may do."""

    RUN = "run"
    """The key is new: run the request, then keep its answer."""
    REPLAY = "replay"
    """The key was answered: give that answer back (if the request is the same)."""
    IN_PROGRESS = "in_progress"
    """The key's first request is still running."""


@dataclass(frozen=True)
class Claimed:
    """The outcome of `claim`."""

    claim: Claim
    answer: IdempotentAnswer | None = None
    """The first answer, for `REPLAY`."""


class IdempotentRequests:
    """Idempotency keys of API clients."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def claim(self, client: str, key: str) -> Claimed:
        """Claim `key` for a request about to run, or say why it may not run."""
        with self._store.transaction() as tx:
            found = tx.idempotency.find(client, key)
        if found is None:
            try:
                with self._store.transaction() as tx:
                    tx.idempotency.start(client, key)
            except ConflictError:
                # Another request claimed it between the look and the claim: it is that one's to answer.
                with self._store.transaction() as tx:
                    found = tx.idempotency.find(client, key)
            else:
                return Claimed(Claim.RUN)
        if found is None:
            return Claimed(Claim.IN_PROGRESS)
        return Claimed(Claim.REPLAY, found) if found.answered else Claimed(Claim.IN_PROGRESS)

    def keep(self, client: str, key: str, fingerprint: str, status_code: int, content_type: str, body: str) -> None:
        """Keep the answer of the request that claimed `key`."""
        with self._store.transaction() as tx:
            tx.idempotency.complete(client, key, fingerprint, status_code, content_type, body)

    def release(self, client: str, key: str) -> None:
        """Give `key` back unanswered: its request failed on the server's side, so a retry runs afresh."""
        with self._store.transaction() as tx:
            tx.idempotency.abandon(client, key)

    def expire(self) -> int:
        """Forget answers older than `KEEP_FOR`; how many."""
        with self._store.transaction() as tx:
            return tx.idempotency.expire(self._store.clock.now() - KEEP_FOR)
