"""The unit of work as the use cases see it: a `Store` hands out `Transaction`s, each binding every narrow store to
one transaction that commits or rolls back as a whole.

These are protocols, so the gate, the use cases and the sweeper depend on what storage promises, not on SQL: the
SQL implementation (`safety.storage.sql`) satisfies them structurally, and so does the in-memory one the fast tests
use. The stores are read-only properties here because a transaction's stores are fixed when it opens (and a
property, unlike a plain attribute, lets an implementation return its own subtype).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Protocol

from safety.audit import CheckpointLog
from safety.clock import Clock
from safety.storage.content import BankStore, DecisionStore, PurgeStore, RegistryStore, TrackStore, VideoStore
from safety.storage.idempotency import IdempotencyStore
from safety.storage.operations import AuditStore, LockStore, ReviewStore, SubmissionStore
from safety.storage.people import AccountStore, ClientStore, ConsentStore, TemplateStore


class Transaction(Protocol):
    """Every store, bound to one open transaction."""

    @property
    def accounts(self) -> AccountStore: ...
    @property
    def clients(self) -> ClientStore: ...
    @property
    def consent(self) -> ConsentStore: ...
    @property
    def templates(self) -> TemplateStore: ...
    @property
    def videos(self) -> VideoStore: ...
    @property
    def decisions(self) -> DecisionStore: ...
    @property
    def review(self) -> ReviewStore: ...
    @property
    def purges(self) -> PurgeStore: ...
    @property
    def banks(self) -> BankStore: ...
    @property
    def registry(self) -> RegistryStore: ...
    @property
    def audit(self) -> AuditStore: ...
    @property
    def locks(self) -> LockStore: ...
    @property
    def submissions(self) -> SubmissionStore: ...
    @property
    def tracks(self) -> TrackStore: ...
    @property
    def idempotency(self) -> IdempotencyStore: ...


class Store(Protocol):
    """Hands out transactions; the one way the use cases reach storage."""

    @property
    def clock(self) -> Clock: ...
    @property
    def audit_key(self) -> bytes: ...
    @property
    def retired_audit_keys(self) -> tuple[bytes, ...]:
        """Audit keys the current one replaced (entries made before a rotation verify with them)."""
        ...

    def audit_checkpoints(self) -> CheckpointLog:
        """The audit chain's signed checkpoints, kept outside the database (none when it keeps none). Read them
        before the chain: every checkpoint read then names an entry that had committed."""
        ...

    def checkpoint(self) -> None:
        """Anchor the last entry this process committed outside the database, if it is not yet (at shutdown)."""
        ...

    def transaction(self) -> AbstractContextManager[Transaction]:
        """One transaction: committed when the block ends, rolled back if it raises (`StorageError` for storage
        failures, `ConflictError` for a unique-key clash; domain errors pass through)."""
        ...

    def snapshot(self) -> AbstractContextManager[Transaction]:
        """A read-only transaction that sees one consistent state of everything (for checkers)."""
        ...

    def exclusive(self, name: str, holder: str, ttl: timedelta) -> AbstractContextManager[bool]:
        """True while `holder` is the only one in the named section; the section lapses after `ttl` if the holder
        dies."""
        ...
