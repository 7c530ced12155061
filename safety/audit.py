"""The audit chain: how an entry's hash is computed and how a chain is verified. Pure.

Each entry's hash is an HMAC-SHA256, under a key the database does not hold, over its own fields and the previous
entry's hash: changing, removing or reordering any row breaks every hash after it, and someone who can write to
the database still cannot recompute the hashes after an edit. The head (the last sequence number and hash, kept
in its own row) is checked against the chain too, so deleting the newest rows is caught. `verify_chain` names the
first entry that does not add up.

The key can be rotated: a rotation entry (`KEY_ROTATED`) names the retiring key and the new one by their ids, is
co-signed with the retiring key (`cosignature`, over the entry without it) and hashed with the new key, and every
later entry uses the new key. Verifying needs the whole key ring (the current key and the retired ones): entries
before the rotation verify with the old key, entries after with the new, and the rotation itself with both.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from safety.domain import AuditEntry

GENESIS_HASH = "0" * 64
KEY_ROTATED = "audit.key_rotated"


def key_id(key: bytes) -> str:
    """A key's public name in the chain: a digest that says which key, and nothing that would help recover it."""
    return hashlib.sha256(b"cameoguard audit key id\x00" + key).hexdigest()[:16]


def rotation_details(
    seq: int, at: datetime, actor: str, subject: str, prev_hash: str, old: bytes, new: bytes
) -> dict[str, Any]:
    """The details of a rotation entry: both key ids, and the retiring key's signature over the entry."""
    details: dict[str, Any] = {"from_key": key_id(old), "to_key": key_id(new)}
    details["cosignature"] = entry_hash(seq, at, actor, KEY_ROTATED, subject, details, prev_hash, old)
    return details


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


def _hash_with(entry: AuditEntry, key: bytes, details: Mapping[str, Any] | None = None) -> str:
    return entry_hash(
        entry.seq,
        entry.at,
        entry.actor,
        entry.action,
        entry.subject,
        entry.details if details is None else details,
        entry.prev_hash,
        key,
    )


def _rotation_problem(entry: AuditEntry, current: bytes, ring: Mapping[str, bytes]) -> str:
    """Why a rotation entry does not add up ("" when it does)."""
    details = entry.details
    if details.get("from_key") != key_id(current):
        return "a key rotation from a key that was not the chain's key at that point"
    if details.get("to_key") not in ring:
        return "a key rotation to a key that is not in the audit key file"
    signed = {k: v for k, v in details.items() if k != "cosignature"}
    if _hash_with(entry, current, signed) != details.get("cosignature"):
        return "a key rotation not signed by the key it retires"
    if _hash_with(entry, ring[str(details["to_key"])]) != entry.entry_hash:
        return "contents changed: the hash does not match"
    return ""


def verify_chain(
    entries: Iterable[AuditEntry],
    key: bytes,
    head: tuple[int, str] | None = None,
    *,
    retired: Sequence[bytes] = (),
) -> ChainReport:
    """Walk entries in sequence order and report the first one that does not add up; with `head` (the stored last
    sequence number and hash), also that the chain ends where the head says. `key` is the current key and
    `retired` the keys it replaced; the chain starts with whichever of them made its first entry and moves to the
    next at each rotation entry."""
    ring = {key_id(k): k for k in (key, *retired)}
    current: bytes | None = None
    prev = GENESIS_HASH
    expected_seq = 1
    count = 0
    for entry in entries:
        count += 1
        if entry.seq != expected_seq:
            return ChainReport(False, count, entry.seq, f"expected sequence {expected_seq}, found {entry.seq}")
        if entry.prev_hash != prev:
            return ChainReport(False, count, entry.seq, "prev_hash does not match the previous entry's hash")
        if current is None:
            # The chain's first key: the one of the ring that made its first entry (the current key if none did).
            current = next((k for k in ring.values() if _hash_with(entry, k) == entry.entry_hash), key)
        if entry.action == KEY_ROTATED:
            problem = _rotation_problem(entry, current, ring)
            if problem:
                return ChainReport(False, count, entry.seq, problem)
            current = ring[str(entry.details["to_key"])]
        elif _hash_with(entry, current) != entry.entry_hash:
            return ChainReport(False, count, entry.seq, "contents changed: the hash does not match")
        prev = entry.entry_hash
        expected_seq += 1
    if head is not None and head != (expected_seq - 1, prev):
        # The newest rows were removed (or the head rewritten): the chain stops short of what was written.
        return ChainReport(False, count, expected_seq, f"the chain ends at {expected_seq - 1}; the head says {head[0]}")
    return ChainReport(True, count, None, "")
