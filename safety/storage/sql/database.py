"""Engines and migrations.

SQLite is the default and is made safe for several processes: WAL, a busy timeout, foreign keys, and every
transaction opened with BEGIN IMMEDIATE so two writers queue instead of failing on a lock upgrade. PostgreSQL is
selected by URL. The schema is owned by Alembic. `migrate` brings it to head under a database lock (a PostgreSQL
advisory lock held by the migrating transaction; on SQLite the BEGIN IMMEDIATE write lock), so processes that start
at once on an empty database take turns instead of racing to create `alembic_version`. `open_database` migrates by
itself (the embedded default) or, for production processes, only checks: a schema behind this version asks for
`cameoguard migrate`, and a schema ahead of it (a newer version migrated it) is refused in every mode.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from safety.errors import ConfigurationError, StorageError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


@dataclass(frozen=True)
class Database:
    """An engine whose schema is at the latest migration."""

    engine: Engine
    """The SQLAlchemy engine."""
    url: str
    """The URL it was opened with, password hidden."""

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin, so BEGIN IMMEDIATE below is the only BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Deleted rows (purged prompts, revoked templates) are overwritten, not left readable in free pages.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _alembic_config(conn: Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = conn
    return config


# The key of the advisory lock every migrating process takes (any fixed 64-bit number; "cameoguard" in ASCII).
MIGRATION_LOCK_KEY = 0x63616D656F677561


def known_revisions() -> dict[str, str | None]:
    """Every migration this version ships, read from the migration files: revision -> the one it builds on."""
    revisions: dict[str, str | None] = {}
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        found = re.search(r"^revision\s*=\s*['\"]([^'\"]+)['\"]", text, re.M)
        below = re.search(r"^down_revision\s*=\s*['\"]([^'\"]+)['\"]", text, re.M)
        if found:
            revisions[found.group(1)] = below.group(1) if below else None
    return revisions


def head_revision() -> str | None:
    """The newest migration, read from the migration files: the revision no other one builds on."""
    revisions = known_revisions()
    heads = set(revisions) - {b for b in revisions.values() if b}
    return heads.pop() if len(heads) == 1 else None


@dataclass(frozen=True)
class SchemaState:
    """Where a database's schema stands against this version's migrations."""

    current: str | None
    """The revision the database is at (None: an empty database)."""
    head: str | None
    """The newest revision this version knows."""
    known: bool
    """The current revision is one of this version's (False: a newer version migrated the database)."""

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head

    @property
    def behind(self) -> bool:
        return not self.up_to_date and (self.current is None or self.known)

    @property
    def ahead(self) -> bool:
        return self.current is not None and not self.known

    def describe(self) -> str:
        """One line for an operator."""
        if self.up_to_date:
            return f"the database schema is at {self.head} (up to date)"
        if self.ahead:
            return (
                f"the database schema is at {self.current}, newer than this version of cameoguard knows (its newest "
                f"is {self.head}): run this version's successor, or restore the database it was migrated from"
            )
        return (
            f"the database schema is at {self.current or 'nothing (an empty database)'}, this version needs "
            f"{self.head}: run `cameoguard migrate`"
        )


def _current_revision(conn: Connection) -> str | None:
    try:
        with conn.begin_nested():
            row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
    except SQLAlchemyError:
        return None
    return str(row[0]) if row is not None else None


def schema_state(engine: Engine) -> SchemaState:
    """The database's revision against this version's (a read; nothing changes)."""
    with engine.connect() as conn:
        current = _current_revision(conn)
        conn.rollback()
    return SchemaState(current, head_revision(), current is None or current in known_revisions())


def _lock_migrations(conn: Connection) -> None:
    """Hold the migration lock until this transaction ends. PostgreSQL: a transaction-level advisory lock (DDL is
    transactional there, so the lock, the tables and `alembic_version` commit together). SQLite: the transaction
    already began with BEGIN IMMEDIATE, which is the database's one write lock."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")


@dataclass(frozen=True)
class Migration:
    """What one `migrate` did."""

    found: str | None
    """The revision found once the lock was held."""
    state: SchemaState
    """Where the schema ended."""

    @property
    def changed(self) -> bool:
        return self.found != self.state.current


def migrate(engine: Engine) -> Migration:
    """Bring the schema to the latest migration under the migration lock (a no-op when it is there). A process
    that waited for the lock finds the schema migrated and does nothing. Alembic, a second of imports, is only
    loaded when there is something to do: every CLI command opens the database."""
    head = head_revision()
    with engine.begin() as conn:
        _lock_migrations(conn)
        current = _current_revision(conn)
        if current is not None and current not in known_revisions():
            raise ConfigurationError(SchemaState(current, head, known=False).describe())
        if head is not None and current == head:
            return Migration(current, SchemaState(current, head, known=True))
        from alembic import command

        command.upgrade(_alembic_config(conn), "head")
    return Migration(current, SchemaState(head, head, known=True))


def _engine(url: str, *, create_dirs: bool) -> Engine:
    if url.startswith("sqlite"):
        if create_dirs and url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        return _sqlite_engine(url)
    return create_engine(url, pool_pre_ping=True)


def _storage_error(exc: SQLAlchemyError) -> StorageError:
    return StorageError(f"cannot open database: {exc.__class__.__name__}: {exc.args[0] if exc.args else exc}")


def schema_state_of(url: str) -> SchemaState:
    """Where the schema of the database at `url` stands (`cameoguard migrate --check`)."""
    try:
        engine = _engine(url, create_dirs=True)
    except SQLAlchemyError as exc:
        raise _storage_error(exc) from None
    try:
        return schema_state(engine)
    except SQLAlchemyError as exc:
        raise _storage_error(exc) from None
    finally:
        engine.dispose()


def migrate_database(url: str) -> Migration:
    """`cameoguard migrate`: bring the database at `url` to head under the migration lock."""
    try:
        engine = _engine(url, create_dirs=True)
    except SQLAlchemyError as exc:
        raise _storage_error(exc) from None
    try:
        return migrate(engine)
    except SQLAlchemyError as exc:
        raise _storage_error(exc) from None
    finally:
        engine.dispose()


def open_database(url: str, *, create_dirs: bool = True, migrate_schema: bool = True) -> Database:
    """Open the database at `url`; `StorageError` when that fails. With `migrate_schema` (the embedded default) the
    schema is brought to head; without it (production) a schema that is not at head is refused with one line
    (`ConfigurationError`): behind, run `cameoguard migrate`; ahead, this process is older than the schema."""
    try:
        engine = _engine(url, create_dirs=create_dirs)
    except SQLAlchemyError as exc:
        raise _storage_error(exc) from None
    try:
        if migrate_schema:
            migrate(engine)
        else:
            state = schema_state(engine)
            if not state.up_to_date:
                raise ConfigurationError(state.describe())
    except SQLAlchemyError as exc:
        engine.dispose()
        raise _storage_error(exc) from None
    except BaseException:
        engine.dispose()
        raise
    return Database(engine=engine, url=engine.url.render_as_string(hide_password=True))
