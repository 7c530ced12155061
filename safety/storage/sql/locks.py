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
        # No row: nobody has ever held this lease. The flush makes a racing insert by another process fail here,
        # as a conflict on the primary key, instead of both believing they hold it.
        row = self._s.get(SweeperLockRow, name)
        if row is None:
            self._s.add(SweeperLockRow(name=name, holder=holder, expires_at=now + ttl))
            self._s.flush()
            return True
        # Someone else holds an unexpired lease. An expired one is taken over: its holder is presumed dead, which
        # is why leases carry a TTL at all (a crashed sweeper must not block every later one).
        if row.holder != holder and row.expires_at > now:
            return False
        # Ours already (renewal) or lapsed (takeover): either way the lease restarts from now.
        row.holder = holder
        row.expires_at = now + ttl
        self._s.add(row)
        return True

    def release(self, name: str, holder: str) -> None:
        row = self._s.get(SweeperLockRow, name)
        # Only the holder releases: a sweeper whose lease lapsed and was taken over must not free the new holder's.
        if row is not None and row.holder == holder:
            self._s.delete(row)
