"""Engines and migrations.

SQLite is the default and is made safe for several processes: WAL, a busy timeout, foreign keys, and every
transaction opened with BEGIN IMMEDIATE so two writers queue instead of failing on a lock upgrade. PostgreSQL is
selected by URL. The schema is owned by Alembic; `open_database` brings it to head, which is idempotent.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from safety.errors import StorageError

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


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


def _alembic_config(conn: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = conn
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest migration (no-op when it is there)."""
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "head")


def open_database(url: str, *, create_dirs: bool = True) -> Database:
    """Open the database at `url` and migrate it to head; `StorageError` when that fails."""
    try:
        if url.startswith("sqlite"):
            if create_dirs and url.startswith("sqlite:///") and url != "sqlite:///:memory:":
                Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            engine = _sqlite_engine(url)
        else:
            engine = create_engine(url, pool_pre_ping=True)
        migrate(engine)
    except SQLAlchemyError as exc:
        raise StorageError(
            f"cannot open database: {exc.__class__.__name__}: {exc.args[0] if exc.args else exc}"
        ) from None
    return Database(engine=engine, url=engine.url.render_as_string(hide_password=True))
