"""What every SQL store shares: the session of the open transaction, the dialect, the clock and the audit log.

A store never commits: the unit of work that created it does, so changes made through several stores in one
`with store.transaction()` block commit or roll back together, audit entries included.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from safety.audit import KEY_ROTATED, entry_hash, head_mac, rotation_details
from safety.clock import Clock
from safety.errors import StorageError
from safety.storage.sql.dialect import Dialect
from safety.storage.sql.tables import AuditHeadRow, AuditRow


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
    pending: list[tuple[datetime, str, str, str, dict[str, Any]]] = field(default_factory=list)
    """Audit entries this transaction made, written to the chain just before it commits."""
    rotated_to: list[bytes] = field(default_factory=list)
    """The audit key this transaction rotated to, if it did (later entries use it)."""
    appended: list[tuple[int, int, str]] = field(default_factory=list)
    """(first sequence number, last, last hash) of what `flush_audit` wrote: checkpointed after the commit."""

    @property
    def chain_key(self) -> bytes:
        """The key this transaction's next entries are made with."""
        return self.rotated_to[-1] if self.rotated_to else self.audit_key

    def now(self) -> datetime:
        return self.clock.now()

    def audit(self, actor: str, action: str, subject: str, details: dict[str, Any]) -> None:
        """Add one entry to the hash chain when this transaction commits (`flush_audit`)."""
        self.pending.append((self.now(), actor, action, subject, details))
        # The change it records is written now (rows without declared relationships are inserted in the order they
        # are flushed, and a later row may refer to this one); only the chain's entry waits for the commit.
        self.session.flush()

    def _locked_head(self) -> AuditHeadRow:
        """The head row, locked; `StorageError` when the chain's newest entry was not made with this process's key
        (the key was rotated by another process): writing on would fork the chain under a retired key."""
        head = self.session.exec(self.dialect.for_update(select(AuditHeadRow).where(AuditHeadRow.id == 1))).one()
        if head.seq > 0:
            last = self.session.get(AuditRow, head.seq)
            if last is not None and last.entry_hash != entry_hash(
                last.seq,
                datetime.fromisoformat(last.at),
                last.actor,
                last.action,
                last.subject,
                last.details,
                last.prev_hash,
                self.chain_key,
            ):
                raise StorageError(
                    "the audit chain's newest entry was not made with this process's audit key (the key was rotated, "
                    "or the chain was changed): restart with the current CAMEOGUARD_AUDIT_KEY_FILE"
                )
        return head

    def rotate_audit_key(self, actor: str, new_key: bytes) -> int:
        """Write this transaction's pending entries, then the rotation entry (co-signed with the retiring key,
        hashed with the new one); later entries of this transaction use the new key."""
        self.flush_audit()
        head = self._locked_head()
        seq, at, subject = head.seq + 1, self.now(), "audit_key"
        details = rotation_details(seq, at, actor, subject, head.entry_hash, self.chain_key, new_key)
        digest = entry_hash(seq, at, actor, KEY_ROTATED, subject, details, head.entry_hash, new_key)
        self.session.add(
            AuditRow(
                seq=seq,
                at=at.isoformat(timespec="microseconds"),
                actor=actor,
                action=KEY_ROTATED,
                subject=subject,
                details=details,
                prev_hash=head.entry_hash,
                entry_hash=digest,
            )
        )
        head.seq, head.entry_hash = seq, digest
        head.mac = head_mac(seq, digest, new_key)
        self.session.add(head)
        self.rotated_to.append(new_key)
        self.appended.append((seq, seq, digest))
        self.session.flush()
        return seq

    def flush_audit(self) -> None:
        """Write this transaction's entries to the chain: the last thing it does before its commit."""
        if not self.pending:
            return
        # The single head row is the chain's tip; locking it makes concurrent appends take turns, so two writers
        # never link to the same previous hash. It is locked last, after every row the transaction changed: a
        # transaction holding the head never waits for another row, so the head cannot take part in a deadlock
        # (a consent change used to hold it while it locked the videos it purged, and a publish the other way).
        head = self._locked_head()
        first = head.seq + 1
        for at, actor, action, subject, details in self.pending:
            seq = head.seq + 1
            digest = entry_hash(seq, at, actor, action, subject, details, head.entry_hash, self.chain_key)
            self.session.add(
                AuditRow(
                    seq=seq,
                    at=at.isoformat(timespec="microseconds"),
                    actor=actor,
                    action=action,
                    subject=subject,
                    details=details,
                    prev_hash=head.entry_hash,
                    entry_hash=digest,
                )
            )
            head.seq = seq
            head.entry_hash = digest
        head.mac = head_mac(head.seq, head.entry_hash, self.chain_key)
        self.session.add(head)
        self.pending.clear()
        self.appended.append((first, head.seq, head.entry_hash))
        # Flushed inside the transaction, so a failure rolls the change back with it.
        self.session.flush()
