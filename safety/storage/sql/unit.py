"""The unit of work: one database transaction with every store bound to it.

`Store.transaction()` opens a session and yields a `Transaction` whose attributes are the narrow stores
(`tx.videos`, `tx.consent`, …). Work done through several of them commits or rolls back as one, audit entries
included. A use case that needs only some stores passes only those on; the protocols they satisfy are in
`safety.storage`. Database failures surface as `StorageError`, unique-key clashes as `ConflictError`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlmodel import Session, select

from safety.audit import CheckpointLog, head_mac
from safety.clock import SYSTEM_CLOCK, Clock
from safety.errors import ConflictError, StorageError
from safety.storage.checkpoints import CheckpointFile
from safety.storage.sql.accounts import SqlAccountStore, SqlClientStore
from safety.storage.sql.audit import SqlAuditStore
from safety.storage.sql.banks import SqlBankStore
from safety.storage.sql.base import SqlContext
from safety.storage.sql.consent import SqlConsentStore
from safety.storage.sql.database import Database
from safety.storage.sql.decisions import SqlDecisionStore
from safety.storage.sql.dialect import Dialect
from safety.storage.sql.idempotency import SqlIdempotencyStore
from safety.storage.sql.locks import SqlLockStore
from safety.storage.sql.purges import SqlPurgeStore
from safety.storage.sql.registry import SqlRegistryStore
from safety.storage.sql.review import SqlReviewStore
from safety.storage.sql.submissions import SqlSubmissionStore
from safety.storage.sql.tables import AuditHeadRow
from safety.storage.sql.templates import SqlTemplateStore
from safety.storage.sql.tracks import SqlTrackStore
from safety.storage.sql.videos import SqlVideoStore


class Transaction:
    """Every store, bound to one open transaction."""

    def __init__(self, ctx: SqlContext) -> None:
        self.accounts = SqlAccountStore(ctx)
        """Users and follows."""
        self.clients = SqlClientStore(ctx)
        """HTTP hook clients."""
        self.consent = SqlConsentStore(ctx, self.accounts)
        """Cameos, grants, challenges, consent snapshots."""
        self.templates = SqlTemplateStore(ctx)
        """Face templates and protected people."""
        self.videos = SqlVideoStore(ctx)
        """Videos and lineage."""
        self.decisions = SqlDecisionStore(ctx)
        """Decisions."""
        self.review = SqlReviewStore(ctx)
        """Review items, reviewers, sessions, appeals, reports."""
        self.purges = SqlPurgeStore(ctx)
        """Purge jobs and tombstones."""
        self.banks = SqlBankStore(ctx)
        """Hash banks."""
        self.registry = SqlRegistryStore(ctx)
        """The provenance registry."""
        self.audit = SqlAuditStore(ctx)
        """The audit log."""
        self.locks = SqlLockStore(ctx)
        """Named leases."""
        self.submissions = SqlSubmissionStore(ctx)
        """Asynchronous submissions and callback deliveries."""
        self.tracks = SqlTrackStore(ctx)
        """Track embeddings of checked videos and retroactive scans."""
        self.idempotency = SqlIdempotencyStore(ctx)
        """Idempotency keys and the first answers given for them."""


log = logging.getLogger("cameoguard.storage")

# Advisory lock keys of named exclusive sections (PostgreSQL).
# The numbers are arbitrary but fixed: every process must map the same name to the same key, and the value
# must not collide with advisory keys other software may take in the same database.
_ADVISORY_KEYS = {"sweeper": 72_417_001}


class Store:
    """The database, opened and migrated; hands out transactions. With `checkpoints`, the audit chain is anchored
    outside the database: after a commit whose entries reach a multiple of `checkpoint_every`, and at `close`,
    this process appends a signed checkpoint of the last entry it committed."""

    def __init__(
        self,
        database: Database,
        audit_key: bytes,
        clock: Clock = SYSTEM_CLOCK,
        *,
        checkpoints: CheckpointFile | None = None,
        checkpoint_every: int = 100,
        retired_audit_keys: tuple[bytes, ...] = (),
    ) -> None:
        if checkpoint_every < 1:
            raise ValueError("checkpoint_every must be at least 1")
        self.database = database
        self.clock = clock
        self.audit_key = audit_key
        self.retired_audit_keys = retired_audit_keys
        self.checkpoints = checkpoints
        self.checkpoint_every = checkpoint_every
        self._dialect = Dialect(row_locks=database.is_postgres)
        # Commits finish on many threads; the lock keeps `_committed`, `_anchored` and `_failed` consistent with
        # each other and writes checkpoints one at a time, in order.
        self._anchor_lock = threading.Lock()
        self._committed: tuple[int, str] | None = None
        """The furthest entry this process committed."""
        self._anchored = 0
        """The furthest entry this process checkpointed."""
        self._failed = False
        """The last checkpoint could not be written."""

    def audit_checkpoints(self) -> CheckpointLog:
        """The checkpoints written so far (none when this store keeps none). Read them before the chain: every
        checkpoint read then names an entry already committed."""
        return self.checkpoints.read() if self.checkpoints is not None else CheckpointLog(())

    def _after_commit(self, appended: list[tuple[int, int, str]]) -> None:
        if not appended or self.checkpoints is None:
            return
        every = self.checkpoint_every
        with self._anchor_lock:
            for _first, last, digest in appended:
                # Commits of concurrent threads may finish out of order: keep only the furthest entry.
                if self._committed is None or last > self._committed[0]:
                    self._committed = (last, digest)
            # Due when this commit's entries reach a multiple of N, or when an earlier checkpoint of this process
            # could not be written (it is retried with what was committed since).
            due = any(last // every > (first - 1) // every for first, last, _ in appended) or self._failed
            if due:
                self._write_checkpoint()

    def _write_checkpoint(self) -> None:
        assert self.checkpoints is not None and self._committed is not None
        seq, digest = self._committed
        try:
            self.checkpoints.append(seq, digest, self.clock.now())
        except StorageError as exc:
            # The transaction has committed: failing it now would only make its caller believe it had not. The
            # checkpoint is retried after the next commit and at close; `audit verify` still checks the chain.
            log.error("audit checkpoint not written: %s", exc)
            self._failed = True
            return
        self._failed = False
        self._anchored = seq

    def checkpoint(self) -> None:
        """Checkpoint the last entry this process committed, if it has not been checkpointed yet (at shutdown)."""
        if self.checkpoints is None:
            return
        with self._anchor_lock:
            if self._committed is not None and self._committed[0] > self._anchored:
                self._write_checkpoint()

    def key_head(self) -> None:
        """Sign a head row written before heads were signed. Only a deployment without checkpoints gets this: once
        one exists, an unsigned head is a rewritten one, and `audit verify` must say so."""
        # Cheap check first, in an ordinary transaction: a head already signed needs nothing.
        with self.transaction() as tx:
            if tx.audit.head().mac:
                return
        if self.audit_checkpoints().checkpoints:
            return
        # Signing uses its own session and a row lock on the head, so two processes starting at once cannot both
        # sign (and the second cannot sign a head the first has moved on from).
        session = Session(self.database.engine, expire_on_commit=False)
        try:
            with session.begin():
                head = session.exec(self._dialect.for_update(select(AuditHeadRow).where(AuditHeadRow.id == 1))).one()
                if head.mac:
                    return
                head.mac = head_mac(head.seq, head.entry_hash, self.audit_key)
                session.add(head)
                seq, digest = head.seq, head.entry_hash
        except SQLAlchemyError as exc:
            raise StorageError(f"database error: {exc.__class__.__name__}: {getattr(exc, 'orig', exc)}") from None
        finally:
            session.close()
        if self.checkpoints is not None:
            with self._anchor_lock:
                self._committed = (seq, digest)
                self._write_checkpoint()

    @contextmanager
    def exclusive(self, name: str, holder: str, ttl: timedelta) -> Iterator[bool]:
        """Yield True while this holder is the only one in the named section. PostgreSQL uses a session advisory
        lock (released if the process dies, because its connection does); SQLite a lease row that lapses after
        `ttl`, for the same reason."""
        if self._dialect.row_locks:
            key = _ADVISORY_KEYS[name]
            with self.database.engine.connect() as conn:
                # A session-level lock lives as long as this connection, not a transaction: it is held across the many
                # transactions of a sweep. The commits end the implicit transactions
                # so the connection holds no snapshot.
                got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
                conn.commit()
                try:
                    yield got
                finally:
                    if got:
                        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                        conn.commit()
            return
        with self.transaction() as tx:
            # The lease is taken and released in transactions of their own: held open for the whole section, one
            # transaction would block every writer on SQLite for the length of a sweep.
            got = tx.locks.try_lease(name, holder, ttl)
        try:
            yield got
        finally:
            if got:
                with self.transaction() as tx:
                    tx.locks.release(name, holder)

    @contextmanager
    def snapshot(self) -> Iterator[Transaction]:
        """A read-only transaction that sees one consistent state of the whole database (REPEATABLE READ on
        PostgreSQL; SQLite's transaction already excludes writers). For checkers that compare many rows."""
        if not self._dialect.row_locks:
            with self.transaction() as tx:
                # SQLite: one transaction already excludes writers, so it is a consistent snapshot as it is.
                yield tx
            return
        engine = self.database.engine.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        session = Session(engine, expire_on_commit=False)
        try:
            with session.begin():
                yield Transaction(SqlContext(session, self._dialect, self.clock, self.audit_key))
        except SQLAlchemyError as exc:
            raise StorageError(f"database error: {exc.__class__.__name__}: {getattr(exc, 'orig', exc)}") from None
        finally:
            session.close()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One transaction; database failures surface as `StorageError`, domain errors pass through."""
        session = Session(self.database.engine, expire_on_commit=False)
        try:
            with session.begin():
                context = SqlContext(session, self._dialect, self.clock, self.audit_key)
                yield Transaction(context)
                # Audit entries are chained inside the transaction they record, so a rolled-back write leaves no entry
                # and a committed one always has its entry; checkpoints are only written after the commit succeeded.
                context.flush_audit()
            self._after_commit(context.appended)
        # A unique or foreign key violation means another writer got there first: callers may retry or report a
        # conflict, unlike a broken database, which is a `StorageError`.
        except IntegrityError as exc:
            raise ConflictError(f"conflicting write: {exc.orig}") from None
        except (OperationalError, SQLAlchemyError) as exc:
            raise StorageError(f"database error: {exc.__class__.__name__}: {getattr(exc, 'orig', exc)}") from None
        finally:
            session.close()
