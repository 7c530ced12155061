"""The audit chain: keyed hashing and verification, the signed head and the checkpoints outside the database, pure;
and tampering with a real database (truncation, a rewritten head, a rollback) is caught."""

from __future__ import annotations

import multiprocessing
import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from safety import CameoGuard, Settings, build
from safety.audit import (
    GENESIS_HASH,
    ChainHead,
    Checkpoint,
    CheckpointLog,
    checkpoint_line,
    entry_hash,
    head_mac,
    parse_checkpoints,
    verify_chain,
)
from safety.domain import AuditEntry
from safety.faces.fake import FakeFaceAnalyzer
from safety.invariants import Violation, check_invariants
from safety.storage.checkpoints import CheckpointFile
from safety.storage.sql import Store, open_database

# On PostgreSQL too: what this tests is the database's part (locks, claims, transactions, SQL).
pytestmark = pytest.mark.dialects

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


def _head(entry: AuditEntry, key: bytes = KEY) -> ChainHead:
    return ChainHead(entry.seq, entry.entry_hash, head_mac(entry.seq, entry.entry_hash, key))


def test_the_head_catches_removed_newest_entries() -> None:
    entries = _chain(5)
    head = _head(entries[-1])
    assert verify_chain(entries, KEY, head=head).ok
    report = verify_chain(entries[:3], KEY, head=head)
    assert not report.ok and "head says 5" in report.problem


def test_a_head_rewritten_to_match_a_truncated_chain_is_caught() -> None:
    """The attacker deletes the newest rows and copies the new last entry's seq and hash into the head: the head's
    MAC, which needs the key, no longer holds."""
    entries = _chain(5)
    real = _head(entries[-1])
    rewritten = ChainHead(3, entries[2].entry_hash, real.mac)
    report = verify_chain(entries[:3], KEY, head=rewritten)
    assert not report.ok and "head row is not signed" in report.problem
    unsigned = ChainHead(3, entries[2].entry_hash, "")
    assert not verify_chain(entries[:3], KEY, head=unsigned).ok
    assert not verify_chain(entries[:3], KEY, head=_head(entries[2], b"guess")).ok


def _checkpoints(*pairs: tuple[int, str], key: bytes = KEY) -> CheckpointLog:
    lines = "".join(checkpoint_line(Checkpoint(seq, h, f"2026-01-01T00:00:0{seq}", "host:1"), key) for seq, h in pairs)
    return parse_checkpoints(lines, KEY)


def test_a_chain_shorter_than_its_checkpoint_fails() -> None:
    """A rollback: the chain and a head as they were earlier (a backup restored, an old head row kept aside)
    verify on their own; the checkpoint written outside the database says the chain had gone further."""
    entries = _chain(6)
    log = _checkpoints((2, entries[1].entry_hash), (5, entries[4].entry_hash))
    assert verify_chain(entries, KEY, head=_head(entries[-1]), checkpoints=log).checkpoint == 5
    rolled_back = verify_chain(entries[:4], KEY, head=_head(entries[3]), checkpoints=log)
    assert not rolled_back.ok and "had reached 5" in rolled_back.problem and rolled_back.first_broken_seq == 5


def test_a_chain_rewritten_before_its_checkpoint_fails() -> None:
    entries = _chain(4)
    other = _chain(4)
    other[2] = replace(other[2], entry_hash="f" * 64)
    log = _checkpoints((3, other[2].entry_hash))
    report = verify_chain(entries, KEY, checkpoints=log)
    assert not report.ok and report.first_broken_seq == 3 and "checkpoint" in report.problem


def test_checkpoints_are_signed_and_a_torn_last_line_is_a_write_under_way() -> None:
    entries = _chain(3)
    good = checkpoint_line(Checkpoint(3, entries[2].entry_hash, "t", "host:1"), KEY)
    forged = checkpoint_line(Checkpoint(9, "a" * 64, "t", "host:1"), b"guess")
    assert parse_checkpoints(good + good[:20], KEY) == CheckpointLog(
        (Checkpoint(3, entries[2].entry_hash, "t", "host:1"),)
    )
    log = parse_checkpoints(good + forged, KEY)
    assert log.problems == ("line 2 of the checkpoint file is not signed with the audit key",)
    assert not verify_chain(entries, KEY, checkpoints=log).ok
    assert parse_checkpoints("not json\n", KEY).problems


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
    report = verify_chain(forged, KEY, head=ChainHead(4, prev, head_mac(4, prev, b"guess")))
    assert not report.ok and report.first_broken_seq == 1


def test_tampering_with_the_database_is_caught(people) -> None:
    from sqlalchemy import text

    assert people.tracing.verify_audit().ok
    with people.database.engine.begin() as conn:
        last = conn.execute(text("SELECT max(seq) FROM audit_log")).scalar_one()
        conn.execute(text("DELETE FROM audit_log WHERE seq >= :s"), {"s": last - 1})
    report = people.tracing.verify_audit()
    assert not report.ok and report.first_broken_seq == last - 1


def _delete_after(guard: CameoGuard, seq: int) -> None:
    with guard.database.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq > :s"), {"s": seq})


def _last_entry(guard: CameoGuard) -> tuple[int, str]:
    with guard.database.engine.begin() as conn:
        row = conn.execute(text("SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1")).one()
    return int(row[0]), str(row[1])


def test_truncating_the_tail_and_rewriting_the_head_is_caught(people: CameoGuard) -> None:
    """Issue 28.3: delete the newest rows, copy the new last row's seq and hash into the head: caught by the head's
    MAC, with no checkpoint needed (the checkpoint every 100 entries has not been reached here)."""
    people.accounts.add_user("kim")
    assert people.tracing.verify_audit().ok
    last, _ = _last_entry(people)
    _delete_after(people, last - 2)
    seq, digest = _last_entry(people)
    with people.database.engine.begin() as conn:
        conn.execute(text("UPDATE audit_head SET seq = :s, entry_hash = :h WHERE id = 1"), {"s": seq, "h": digest})
    report = people.tracing.verify_audit()
    assert not report.ok and "head row is not signed" in report.problem


def test_a_rolled_back_database_fails_against_the_checkpoints(settings: Settings, fake_faces: FakeFaceAnalyzer) -> None:
    """Keep the head row as it was (a backup, an old copy), let the chain grow past a checkpoint, then delete the
    newer rows and put the old head back: the chain and head agree, the checkpoint outside the database does not."""
    with build(settings.model_copy(update={"audit_checkpoint_every": 5}), face_analyzer=fake_faces) as guard:
        guard.accounts.add_user("maya")
        with guard.database.engine.begin() as conn:
            kept = conn.execute(text("SELECT seq, entry_hash, mac FROM audit_head")).one()
        for handle in ("a1", "a2", "a3", "a4", "a5", "a6"):
            guard.accounts.add_user(handle)
        report = guard.tracing.verify_audit()
        assert report.ok and report.checkpoint is not None and report.checkpoint >= 5
        _delete_after(guard, int(kept[0]))
        with guard.database.engine.begin() as conn:
            conn.execute(
                text("UPDATE audit_head SET seq = :s, entry_hash = :h, mac = :m WHERE id = 1"),
                {"s": kept[0], "h": kept[1], "m": kept[2]},
            )
        rolled_back = guard.tracing.verify_audit()
        assert not rolled_back.ok and "checkpoint" in rolled_back.problem
        assert any(v.invariant == "audit_chain" for v in guard_invariants(guard))


def guard_invariants(guard: CameoGuard) -> list[Violation]:
    return list(check_invariants(guard.store, guard.media, guard.policies, quiescent=False).violations)


def test_a_checkpoint_is_written_at_shutdown(settings: Settings, fake_faces: FakeFaceAnalyzer) -> None:
    with build(settings, face_analyzer=fake_faces) as guard:
        guard.accounts.add_user("maya")
        last = _last_entry(guard)
    log = CheckpointFile(settings.checkpoint_path, guard.store.audit_key).read()
    assert log.problems == () and log.latest is not None and (log.latest.seq, log.latest.entry_hash) == last
    # A process that wrote nothing adds nothing.
    lines = settings.checkpoint_path.read_text().count("\n")
    with build(settings, face_analyzer=fake_faces) as guard:
        assert guard.tracing.verify_audit().ok
    assert settings.checkpoint_path.read_text().count("\n") == lines


def test_a_copy_of_the_database_restored_from_a_backup_fails(
    settings: Settings, fake_faces: FakeFaceAnalyzer, tmp_path: Path
) -> None:
    if not settings.resolved_database_url.startswith("sqlite"):
        pytest.skip("a file copy is the SQLite form of a backup")
    database = Path(settings.resolved_database_url.removeprefix("sqlite:///"))
    every_commit = settings.model_copy(update={"audit_checkpoint_every": 1})
    with build(every_commit, face_analyzer=fake_faces) as guard:
        guard.accounts.add_user("maya")
    shutil.copyfile(database, tmp_path / "backup.db")
    with build(every_commit, face_analyzer=fake_faces) as guard:
        guard.accounts.add_user("theo")
    shutil.copyfile(tmp_path / "backup.db", database)
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    with build(every_commit, face_analyzer=fake_faces) as guard:
        report = guard.tracing.verify_audit()
    assert not report.ok and "had reached" in report.problem


def _append_entries(url: str, key: bytes, checkpoint_path: str, count: int) -> None:
    store = Store(open_database(url), key, checkpoints=CheckpointFile(Path(checkpoint_path), key), checkpoint_every=1)
    for n in range(count):
        with store.transaction() as tx:
            tx.audit.append("test", "test.appended", f"n{n}", {"n": n})
    store.database.dispose()


def test_several_processes_append_and_checkpoint_one_chain(settings: Settings, fake_faces: FakeFaceAnalyzer) -> None:
    """Three processes append at once, each checkpointing after every commit into the one file (O_APPEND): every
    line is whole and signed, and the chain holds every checkpointed entry."""
    with build(settings, face_analyzer=fake_faces) as guard:
        key, url = guard.store.audit_key, settings.resolved_database_url
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_append_entries, args=(url, key, str(settings.checkpoint_path), 15)) for _ in range(3)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
        assert worker.exitcode == 0
    log = CheckpointFile(settings.checkpoint_path, key).read()
    assert log.problems == () and len(log.checkpoints) >= 45
    with build(settings, face_analyzer=fake_faces) as guard:
        report = guard.tracing.verify_audit()
    assert report.ok and report.checkpoint == report.entries
