"""Engines and migrations.

SQLite is the default and is made safe for several processes: WAL, a busy timeout, foreign keys, and every
transaction opened with BEGIN IMMEDIATE so two writers queue instead of failing on a lock upgrade. PostgreSQL is
selected by URL. The schema is owned by Alembic; `open_database` brings it to head, which is idempotent.
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

from safety.errors import StorageError

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


def head_revision() -> str | None:
    """The newest migration, read from the migration files: the revision no other one builds on."""
    revisions: dict[str, str | None] = {}
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        found = re.search(r"^revision\s*=\s*['\"]([^'\"]+)['\"]", text, re.M)
        below = re.search(r"^down_revision\s*=\s*['\"]([^'\"]+)['\"]", text, re.M)
        if found:
            revisions[found.group(1)] = below.group(1) if below else None
    heads = set(revisions) - {b for b in revisions.values() if b}
    return heads.pop() if len(heads) == 1 else None


def _current_revision(conn: Connection) -> str | None:
    try:
        with conn.begin_nested():
            row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
    except SQLAlchemyError:
        return None
    return str(row[0]) if row is not None else None


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest migration (no-op when it is there). Alembic, a second of imports, is only
    loaded when there is something to do: every CLI command opens the database."""
    with engine.begin() as conn:
        head = head_revision()
        if head is not None and _current_revision(conn) == head:
            return
        from alembic import command

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
