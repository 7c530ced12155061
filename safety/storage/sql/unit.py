"""The unit of work: one database transaction with every store bound to it.

`Store.transaction()` opens a session and yields a `Transaction` whose attributes are the narrow stores
(`tx.videos`, `tx.consent`, …). Work done through several of them commits or rolls back as one, audit entries
included. A use case that needs only some stores passes only those on; the protocols they satisfy are in
`safety.storage`. Database failures surface as `StorageError`, unique-key clashes as `ConflictError`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlmodel import Session

from safety.clock import SYSTEM_CLOCK, Clock
from safety.errors import ConflictError, StorageError
from safety.storage.sql.accounts import SqlAccountStore, SqlClientStore
from safety.storage.sql.audit import SqlAuditStore
from safety.storage.sql.banks import SqlBankStore
from safety.storage.sql.base import SqlContext
from safety.storage.sql.consent import SqlConsentStore
from safety.storage.sql.database import Database
from safety.storage.sql.decisions import SqlDecisionStore
from safety.storage.sql.dialect import Dialect
from safety.storage.sql.locks import SqlLockStore
from safety.storage.sql.purges import SqlPurgeStore
from safety.storage.sql.registry import SqlRegistryStore
from safety.storage.sql.review import SqlReviewStore
from safety.storage.sql.submissions import SqlSubmissionStore
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


# Advisory lock keys of named exclusive sections (PostgreSQL).
_ADVISORY_KEYS = {"sweeper": 72_417_001}


class Store:
    """The database, opened and migrated; hands out transactions."""

    def __init__(
        self,
        database: Database,
        audit_key: bytes,
        clock: Clock = SYSTEM_CLOCK,
        *,
        retired_audit_keys: tuple[bytes, ...] = (),
    ) -> None:
        self.database = database
        self.clock = clock
        self.audit_key = audit_key
        self.retired_audit_keys = retired_audit_keys
        self._dialect = Dialect(row_locks=database.is_postgres)

    @contextmanager
    def exclusive(self, name: str, holder: str, ttl: timedelta) -> Iterator[bool]:
        """Yield True while this holder is the only one in the named section. PostgreSQL uses a session advisory
        lock (released if the process dies, because its connection does); SQLite a lease row that lapses after
        `ttl`, for the same reason."""
        if self._dialect.row_locks:
            key = _ADVISORY_KEYS[name]
            with self.database.engine.connect() as conn:
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
                context.flush_audit()
        except IntegrityError as exc:
            raise ConflictError(f"conflicting write: {exc.orig}") from None
        except (OperationalError, SQLAlchemyError) as exc:
            raise StorageError(f"database error: {exc.__class__.__name__}: {getattr(exc, 'orig', exc)}") from None
        finally:
            session.close()
