"""Where SQLite and PostgreSQL differ, in one place.

PostgreSQL orders concurrent writers with row locks (`SELECT … FOR UPDATE`, and `SKIP LOCKED` for queue claims).
SQLite has one writer at a time (every transaction begins IMMEDIATE), so the same statements run without lock
clauses and are serialised by the database lock instead. Stores ask `Dialect` for a locked form of a statement and
never test the backend themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar, cast

S = TypeVar("S", bound=Any)


@dataclass(frozen=True)
class Dialect:
    """The backend's locking behaviour."""

    row_locks: bool
    """True on PostgreSQL: lock rows explicitly; False on SQLite: the transaction already excludes writers."""

    def for_update(self, statement: S) -> S:
        """The statement with its rows locked until the transaction ends (a no-op on SQLite). Locked rows are read
        afresh: a row this transaction loaded before it waited for the lock is replaced by what the other writer
        committed, not served from the session's identity map."""
        if not self.row_locks:
            return statement
        return cast(S, statement.with_for_update().execution_options(populate_existing=True))

    def for_update_skip_locked(self, statement: S) -> S:
        """The statement locking the rows no one else holds; held rows are skipped, not waited for."""
        if not self.row_locks:
            return statement
        return cast(S, statement.with_for_update(skip_locked=True).execution_options(populate_existing=True))
