"""What every SQL store shares: the session of the open transaction, the dialect, the clock and the audit log.

A store never commits: the unit of work that created it does, so changes made through several stores in one
`with store.transaction()` block commit or roll back together, audit entries included.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from safety.audit import entry_hash
from safety.clock import Clock
from safety.domain import AuditEntry
from safety.store.dialect import Dialect
from safety.store.tables import AuditHeadRow, AuditRow


def new_id(prefix: str) -> str:
    """A new opaque id such as `vid_…`."""
    return f"{prefix}_{uuid.uuid4().hex[:20]}"


@dataclass(frozen=True)
class SqlContext:
    """The open transaction's session with what stores need beside it."""

    session: Session
    """The session of the open transaction."""
    dialect: Dialect
    """How to lock rows on this backend."""
    clock: Clock
    """Where timestamps come from."""
    audit_key: bytes
    """The audit chain's HMAC key (kept outside the database)."""

    def now(self) -> datetime:
        return self.clock.now()

    def audit(self, actor: str, action: str, subject: str, details: dict[str, Any]) -> AuditEntry:
        """Append one entry to the hash chain; the head row's lock orders concurrent appends."""
        # The single head row is the chain's tip; locking it makes concurrent appends take turns, so two writers
        # never link to the same previous hash.
        head = self.session.exec(self.dialect.for_update(select(AuditHeadRow).where(AuditHeadRow.id == 1))).one()
        at = self.now()
        seq = head.seq + 1
        prev_hash = head.entry_hash
        digest = entry_hash(seq, at, actor, action, subject, details, prev_hash, self.audit_key)
        self.session.add(
            AuditRow(
                seq=seq,
                at=at.isoformat(timespec="microseconds"),
                actor=actor,
                action=action,
                subject=subject,
                details=details,
                prev_hash=prev_hash,
                entry_hash=digest,
            )
        )
        head.seq = seq
        head.entry_hash = digest
        self.session.add(head)
        # Flushed now so a failure surfaces inside the transaction that made the change, which then rolls back.
        self.session.flush()
        return AuditEntry(seq, at, actor, action, subject, details, prev_hash, digest)
