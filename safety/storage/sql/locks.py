"""Named leases in a row (the sweeper's), for backends or callers without advisory locks."""

from __future__ import annotations

from datetime import timedelta

from safety.storage.sql.base import SqlContext
from safety.storage.sql.tables import SweeperLockRow


class SqlLockStore:
    """`LockStore` on SQL."""

    def __init__(self, ctx: SqlContext) -> None:
        self._ctx = ctx
        self._s = ctx.session

    def try_lease(self, name: str, holder: str, ttl: timedelta) -> bool:
        now = self._ctx.now()
        row = self._s.get(SweeperLockRow, name)
        if row is None:
            self._s.add(SweeperLockRow(name=name, holder=holder, expires_at=now + ttl))
            self._s.flush()
            return True
        if row.holder != holder and row.expires_at > now:
            return False
        row.holder = holder
        row.expires_at = now + ttl
        self._s.add(row)
        return True

    def release(self, name: str, holder: str) -> None:
        row = self._s.get(SweeperLockRow, name)
        if row is not None and row.holder == holder:
            self._s.delete(row)
