"""The audit chain: hashing and verification, pure."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from safety.audit import GENESIS_HASH, entry_hash, verify_chain
from safety.domain import AuditEntry


def _chain(n: int) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    prev = GENESIS_HASH
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for seq in range(1, n + 1):
        at = start + timedelta(seconds=seq)
        details = {"n": seq}
        digest = entry_hash(seq, at, "gate", "video.published", f"vid_{seq}", details, prev)
        entries.append(AuditEntry(seq, at, "gate", "video.published", f"vid_{seq}", details, prev, digest))
        prev = digest
    return entries


def test_intact_chain_verifies() -> None:
    report = verify_chain(_chain(5))
    assert report.ok and report.entries == 5 and report.first_broken_seq is None


def test_changed_contents_are_named() -> None:
    entries = _chain(5)
    entries[2] = replace(entries[2], actor="mallory")
    report = verify_chain(entries)
    assert not report.ok and report.first_broken_seq == 3 and "contents changed" in report.problem


def test_removed_entry_is_detected() -> None:
    entries = _chain(5)
    del entries[1]
    report = verify_chain(entries)
    assert not report.ok and report.first_broken_seq == 3


def test_rehashed_entry_still_breaks_the_link() -> None:
    entries = _chain(4)
    forged = replace(entries[1], subject="vid_x")
    forged = replace(
        forged,
        entry_hash=entry_hash(
            forged.seq, forged.at, forged.actor, forged.action, forged.subject, forged.details, forged.prev_hash
        ),
    )
    entries[1] = forged
    report = verify_chain(entries)
    assert not report.ok and report.first_broken_seq == 3
