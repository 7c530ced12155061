"""The unit of work in memory: `MemoryStore` hands out transactions over one shared `State`.

It satisfies `safety.storage.Store` as the SQL store does, with SQLite's semantics: one writer at a time (a lock
taken when a transaction first touches storage, as SQLite's BEGIN IMMEDIATE runs on a session's first statement),
every change of a transaction committed together with its audit entries or, when the block raises, none of them.
A transaction works on a deep copy of the state and the copy replaces the state at commit, so a committed state is
never changed again: `snapshot()` reads one without any lock. For fast tests and tools that need no database; a
process that dies loses everything, which is why nothing in production uses it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from safety.audit import CheckpointLog
from safety.clock import SYSTEM_CLOCK, Clock
from safety.errors import StorageError
from safety.storage.memory.accounts import MemoryAccountStore, MemoryClientStore
from safety.storage.memory.consent import MemoryConsentStore
from safety.storage.memory.idempotency import MemoryIdempotencyStore
from safety.storage.memory.operations import MemoryAuditStore, MemoryLockStore, MemorySubmissionStore
from safety.storage.memory.registry import MemoryBankStore, MemoryPurgeStore, MemoryRegistryStore
from safety.storage.memory.review import MemoryReviewStore
from safety.storage.memory.state import MemoryContext, State
from safety.storage.memory.templates import MemoryTemplateStore, MemoryTrackStore
from safety.storage.memory.videos import MemoryDecisionStore, MemoryVideoStore


class MemoryTransaction:
    """Every store, bound to one transaction's working copy."""

    def __init__(self, ctx: MemoryContext) -> None:
        self.accounts = MemoryAccountStore(ctx)
        self.clients = MemoryClientStore(ctx)
        self.consent = MemoryConsentStore(ctx, self.accounts)
        self.templates = MemoryTemplateStore(ctx)
        self.videos = MemoryVideoStore(ctx)
        self.decisions = MemoryDecisionStore(ctx)
        self.review = MemoryReviewStore(ctx)
        self.purges = MemoryPurgeStore(ctx)
        self.banks = MemoryBankStore(ctx)
        self.registry = MemoryRegistryStore(ctx)
        self.audit = MemoryAuditStore(ctx)
        self.locks = MemoryLockStore(ctx)
        self.submissions = MemorySubmissionStore(ctx)
        self.tracks = MemoryTrackStore(ctx)
        self.idempotency = MemoryIdempotencyStore(ctx)


class MemoryStore:
    """Every store in one process's memory; hands out transactions."""

    def __init__(self, audit_key: bytes, clock: Clock = SYSTEM_CLOCK) -> None:
        self.audit_key = audit_key
        # The chain lives and dies with the process: its key is never rotated, so no key is ever retired.
        self.retired_audit_keys: tuple[bytes, ...] = ()
        self.clock = clock
        self._state = State()
        # One writer at a time, as SQLite allows: a transaction holds this lock from its first touch of storage to its
        # end, so transactions never interleave and every commit replaces the state it copied.
        self._writer = threading.Lock()
        # The thread holding `_writer`, to refuse a nested transaction in that thread instead of deadlocking on it.
        self._holder: int | None = None

    def _begin(self) -> State:
        if self._holder == threading.get_ident():
            # SQLite would wait for its own lock until the busy timeout; say so at once instead.
            raise StorageError("database error: a transaction is already writing in this thread")
        self._writer.acquire()
        self._holder = threading.get_ident()
        try:
            # Copied under the lock: the copy is the state no other transaction can change before this one ends.
            return self._state.copy()
        except BaseException:
            # The copy failed (out of memory, an unpicklable value): release the lock, or every later transaction would
            # hang.
            self._end()
            raise

    def _end(self) -> None:
        self._holder = None
        self._writer.release()

    def audit_checkpoints(self) -> CheckpointLog:
        """None: the chain lives and dies with this process, so there is nothing outside it to anchor it to."""
        return CheckpointLog(())

    def checkpoint(self) -> None:
        """Nothing to anchor (see `audit_checkpoints`)."""

    @contextmanager
    def transaction(self) -> Iterator[MemoryTransaction]:
        """One transaction: committed when the block ends, dropped whole if it raises."""
        ctx = MemoryContext(self._begin, self.clock, self.audit_key)
        try:
            yield MemoryTransaction(ctx)
            # Audit entries are chained last, inside the lock, so the chain order is the commit order.
            if ctx.pending:
                ctx.flush_audit(self.audit_key)
            if ctx.begun:
                # The commit: one reference swap, so readers of `_state` see the old state or the new one, never half.
                self._state = ctx.state
        finally:
            if ctx.begun:
                self._end()

    @contextmanager
    def snapshot(self) -> Iterator[MemoryTransaction]:
        """A read-only view of the last committed state (what it writes is dropped)."""
        # No lock: the committed state is never changed in place (commits swap it), so a copy of it is consistent.
        committed = self._state
        yield MemoryTransaction(MemoryContext(committed.copy, self.clock, self.audit_key))

    @contextmanager
    def exclusive(self, name: str, holder: str, ttl: timedelta) -> Iterator[bool]:
        """True while `holder` is the only one in the named section: a lease that lapses after `ttl`."""
        with self.transaction() as tx:
            got = tx.locks.try_lease(name, holder, ttl)
        try:
            yield got
        finally:
            if got:
                with self.transaction() as tx:
                    tx.locks.release(name, holder)
