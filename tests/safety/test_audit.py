"""The audit chain: keyed hashing and verification, pure; and tampering with a real database is caught."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from safety.audit import GENESIS_HASH, entry_hash, verify_chain
from safety.domain import AuditEntry

KEY = b"k" * 32


def _chain(n: int) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    prev = GENESIS_HASH
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for seq in range(1, n + 1):
        at = start + timedelta(seconds=seq)
        details = {"n": seq}
        digest = entry_hash(seq, at, "gate", "video.published", f"vid_{seq}", details, prev, KEY)
        entries.append(AuditEntry(seq, at, "gate", "video.published", f"vid_{seq}", details, prev, digest))
        prev = digest
    return entries


def test_intact_chain_verifies() -> None:
    report = verify_chain(_chain(5), KEY)
    assert report.ok and report.entries == 5 and report.first_broken_seq is None


def test_changed_contents_are_named() -> None:
    entries = _chain(5)
    entries[2] = replace(entries[2], actor="mallory")
    report = verify_chain(entries, KEY)
    assert not report.ok and report.first_broken_seq == 3 and "contents changed" in report.problem


def test_removed_entry_is_detected() -> None:
    entries = _chain(5)
    del entries[1]
    report = verify_chain(entries, KEY)
    assert not report.ok and report.first_broken_seq == 3


def test_rehashed_entry_still_breaks_the_link() -> None:
    entries = _chain(4)
    forged = replace(entries[1], subject="vid_x")
    forged = replace(
        forged,
        entry_hash=entry_hash(
            forged.seq, forged.at, forged.actor, forged.action, forged.subject, forged.details, forged.prev_hash, KEY
        ),
    )
    entries[1] = forged
    report = verify_chain(entries, KEY)
    assert not report.ok and report.first_broken_seq == 3


def test_the_head_catches_removed_newest_entries() -> None:
    entries = _chain(5)
    head = (5, entries[-1].entry_hash)
    assert verify_chain(entries, KEY, head=head).ok
    report = verify_chain(entries[:3], KEY, head=head)
    assert not report.ok and "head says 5" in report.problem


def test_a_chain_rewritten_without_the_key_does_not_verify() -> None:
    """Editing a row and recomputing every later hash needs the key; with any other key the chain breaks."""
    entries = _chain(4)
    forged: list[AuditEntry] = []
    prev = GENESIS_HASH
    for entry in entries:
        changed = replace(entry, subject="vid_x" if entry.seq == 2 else entry.subject, prev_hash=prev)
        digest = entry_hash(
            changed.seq, changed.at, changed.actor, changed.action, changed.subject, changed.details, prev, b"guess"
        )
        forged.append(replace(changed, entry_hash=digest))
        prev = digest
    report = verify_chain(forged, KEY, head=(4, prev))
    assert not report.ok and report.first_broken_seq == 1


def test_tampering_with_the_database_is_caught(people) -> None:
    from sqlalchemy import text

    assert people.tracing.verify_audit().ok
    with people.database.engine.begin() as conn:
        last = conn.execute(text("SELECT max(seq) FROM audit_log")).scalar_one()
        conn.execute(text("DELETE FROM audit_log WHERE seq >= :s"), {"s": last - 1})
    report = people.tracing.verify_audit()
    assert not report.ok and report.first_broken_seq == last - 1
