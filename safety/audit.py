"""The audit chain: how an entry's hash is computed and how a chain is verified. Pure.

Each entry's hash covers its own fields and the previous entry's hash, so changing, removing or reordering any
row breaks every hash after it; `verify_chain` names the first entry that does not add up.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from safety.domain import AuditEntry

GENESIS_HASH = "0" * 64


def entry_hash(
    seq: int, at: datetime, actor: str, action: str, subject: str, details: Mapping[str, Any], prev_hash: str
) -> str:
    """The sha256 of an entry's canonical JSON form."""
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
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


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


def verify_chain(entries: Iterable[AuditEntry]) -> ChainReport:
    """Walk entries in sequence order and report the first one that does not add up."""
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
            entry.seq, entry.at, entry.actor, entry.action, entry.subject, entry.details, entry.prev_hash
        )
        if recomputed != entry.entry_hash:
            return ChainReport(False, count, entry.seq, "contents changed: the hash does not match")
        prev = entry.entry_hash
        expected_seq += 1
    return ChainReport(True, count, None, "")
