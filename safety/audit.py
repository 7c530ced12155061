"""The audit chain: how an entry's hash is computed and how a chain is verified. Pure.

Each entry's hash is an HMAC-SHA256, under a key the database does not hold, over its own fields and the previous
entry's hash: changing, removing or reordering any row breaks every hash after it, and someone who can write to
the database still cannot recompute the hashes after an edit. The head (the last sequence number and hash, kept
in its own row) is checked against the chain too, so deleting the newest rows is caught. `verify_chain` names the
first entry that does not add up.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from safety.domain import AuditEntry

GENESIS_HASH = "0" * 64


def entry_hash(
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    details: Mapping[str, Any],
    prev_hash: str,
    key: bytes,
) -> str:
    """The HMAC-SHA256, under `key`, of an entry's canonical JSON form."""
    canonical = json.dumps(
        {
            "seq": seq,
            "at": at.isoformat(timespec="microseconds"),
            "actor": actor,
            "action": action,
            "subject": subject,
            "details": details,
            "prev": prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
        default=str,
    )
    return hmac.new(key, canonical.encode("ascii"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    """Result of walking the audit chain."""

    ok: bool
    """True when every entry links and hashes correctly."""
    entries: int
    """How many entries were checked."""
    first_broken_seq: int | None
    """Sequence number of the first bad entry."""
    problem: str
    """What is wrong with it; empty when ok."""


def verify_chain(entries: Iterable[AuditEntry], key: bytes, head: tuple[int, str] | None = None) -> ChainReport:
    """Walk entries in sequence order and report the first one that does not add up; with `head` (the stored last
    sequence number and hash), also that the chain ends where the head says."""
    prev = GENESIS_HASH
    expected_seq = 1
    count = 0
    for entry in entries:
        count += 1
        if entry.seq != expected_seq:
            return ChainReport(False, count, entry.seq, f"expected sequence {expected_seq}, found {entry.seq}")
        if entry.prev_hash != prev:
            return ChainReport(False, count, entry.seq, "prev_hash does not match the previous entry's hash")
        recomputed = entry_hash(
            entry.seq, entry.at, entry.actor, entry.action, entry.subject, entry.details, entry.prev_hash, key
        )
        if recomputed != entry.entry_hash:
            return ChainReport(False, count, entry.seq, "contents changed: the hash does not match")
        prev = entry.entry_hash
        expected_seq += 1
    if head is not None and head != (expected_seq - 1, prev):
        # The newest rows were removed (or the head rewritten): the chain stops short of what was written.
        return ChainReport(False, count, expected_seq, f"the chain ends at {expected_seq - 1}; the head says {head[0]}")
    return ChainReport(True, count, None, "")
