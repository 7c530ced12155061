"""The audit log as stored: append under the head row's lock, read back in sequence order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlmodel import col, select

from safety.audit import ChainHead
from safety.domain import AuditEntry
from safety.storage.sql.base import SqlContext
from safety.storage.sql.tables import AuditHeadRow, AuditRow


class SqlAuditStore:
    """`AuditStore` on SQL."""

    def __init__(self, ctx: SqlContext) -> None:
        self._ctx = ctx
        self._s = ctx.session

    def append(self, actor: str, action: str, subject: str, details: dict[str, Any]) -> None:
        self._ctx.audit(actor, action, subject, details)

    def rotate_key(self, actor: str, new_key: bytes) -> int:
        return self._ctx.rotate_audit_key(actor, new_key)

    def head(self) -> ChainHead:
        row = self._s.exec(select(AuditHeadRow).where(AuditHeadRow.id == 1)).one()
        return ChainHead(row.seq, row.entry_hash, row.mac or "")

    def entries(self, batch: int = 1000) -> Iterator[AuditEntry]:
        last = 0
        while True:
            rows = self._s.exec(
                select(AuditRow).where(AuditRow.seq > last).order_by(col(AuditRow.seq)).limit(batch)
            ).all()
            if not rows:
                return
            for row in rows:
                yield AuditEntry(
                    seq=row.seq,
                    at=datetime.fromisoformat(row.at),
                    actor=row.actor,
                    action=row.action,
                    subject=row.subject,
                    details=row.details,
                    prev_hash=row.prev_hash,
                    entry_hash=row.entry_hash,
                )
            last = rows[-1].seq
