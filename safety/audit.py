"""The audit chain: how an entry's hash is computed, how the head and the checkpoints are signed, and how a chain is
verified. Pure.

Each entry's hash is an HMAC-SHA256, under a key the database does not hold, over its own fields and the previous
entry's hash: changing, removing or reordering any row breaks every hash after it, and someone who can write to
the database still cannot recompute the hashes after an edit. The head (the last sequence number and hash, kept
in its own row) carries its own HMAC, so it cannot be rewritten to match a chain whose newest rows were deleted.
What the database holds can still be rolled back whole (a restored backup, or an old head row kept aside), so
checkpoints are written outside it: signed lines (sequence number, hash) appended to a file every N entries and at
shutdown. `verify_chain` names the first entry that does not add up, a head that does not match, and a chain that
is shorter than, or differs from, a checkpoint.

The key can be rotated: a rotation entry (`KEY_ROTATED`) names the retiring key and the new one by their ids, is
co-signed with the retiring key (`cosignature`, over the entry without it) and hashed with the new key, and every
later entry (and the head) uses the new key. Verifying needs the whole key ring (the current key and the retired
ones): entries and checkpoints before the rotation verify with the old key, those after it with the new, and the
rotation itself with both.
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
    checkpoint: int | None = None
    """The sequence number of the latest checkpoint the chain was held against (None: none was)."""


PERSONAL_DIGEST_PREFIX = "hmac:"


def personal_digest(value: str, key: bytes) -> str:
    """What is kept of a piece of personal data (a handle, a prompt, a typed name) once the data itself must go: an
    HMAC under a key derived from the audit key, which the database does not hold. A plain hash would not do: a list
    of handles, hashed, reverses it. Whoever holds the key can still answer "was this person in that purged video?"
    for one given handle."""
    derived = hmac.new(key, b"cameoguard personal-data digest v1", hashlib.sha256).digest()
    return PERSONAL_DIGEST_PREFIX + hmac.new(derived, value.encode("utf-8"), hashlib.sha256).hexdigest()


def is_personal_digest(text: str) -> bool:
    """True for what `personal_digest` returns (so a value is never digested twice)."""
    digest = text.removeprefix(PERSONAL_DIGEST_PREFIX)
    hexadecimal = all(c in "0123456789abcdef" for c in digest)
    return text.startswith(PERSONAL_DIGEST_PREFIX) and len(digest) == 64 and hexadecimal


def _mac(key: bytes, fields: Mapping[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return hmac.new(key, canonical.encode("ascii"), hashlib.sha256).hexdigest()


def head_mac(seq: int, entry_hash: str, key: bytes) -> str:
    """The head row's HMAC over its sequence number and hash. Its fields differ from an entry's, so a head MAC can
    never pass for an entry hash or a checkpoint's MAC."""
    return _mac(key, {"purpose": "audit-head", "seq": seq, "hash": entry_hash})


@dataclass(frozen=True)
class ChainHead:
    """The head row: where the chain ends, as the last append left it."""

    seq: int
    """The last sequence number (0 before the first entry)."""
    entry_hash: str
    """That entry's hash (`GENESIS_HASH` before the first entry)."""
    mac: str
    """`head_mac` of the two; empty for a head written before heads were keyed."""


@dataclass(frozen=True)
class Checkpoint:
    """One signed line of the checkpoint file: the chain had reached `seq`, whose hash was `entry_hash`."""

    seq: int
    """The sequence number reached."""
    entry_hash: str
    """That entry's hash."""
    at: str
    """When the line was written (ISO 8601, UTC)."""
    writer: str
    """Which process wrote it (host:pid)."""


def _checkpoint_fields(seq: int, entry_hash: str, at: str, writer: str) -> dict[str, Any]:
    return {"purpose": "audit-checkpoint", "seq": seq, "hash": entry_hash, "at": at, "writer": writer}


def checkpoint_line(checkpoint: Checkpoint, key: bytes) -> str:
    """The checkpoint as one line of JSON with its HMAC, newline included."""
    fields = _checkpoint_fields(checkpoint.seq, checkpoint.entry_hash, checkpoint.at, checkpoint.writer)
    signed = {**fields, "mac": _mac(key, fields)}
    return json.dumps(signed, sort_keys=True, separators=(",", ":"), ensure_ascii=True) + "\n"


@dataclass(frozen=True)
class CheckpointLog:
    """What the checkpoint file says: its good lines, and what is wrong with the others."""

    checkpoints: tuple[Checkpoint, ...]
    """Lines whose MAC holds, in file order (several processes append, so not in sequence order)."""
    problems: tuple[str, ...] = ()
    """Lines that are not signed checkpoints (edited, forged, or torn by a crash mid-write)."""

    @property
    def latest(self) -> Checkpoint | None:
        """The checkpoint furthest along the chain."""
        return max(self.checkpoints, key=lambda c: c.seq, default=None)


def parse_checkpoints(text: str, key: bytes, *, retired: Sequence[bytes] = ()) -> CheckpointLog:
    """Read a checkpoint file. A last line without its newline is a write still under way and is left out. Lines
    signed with a `retired` key (before a rotation) count as well."""
    lines = text.split("\n")
    complete = lines[:-1]  # what follows the last newline is empty, or a line being written right now
    found: list[Checkpoint] = []
    problems: list[str] = []
    for number, line in enumerate(complete, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            checkpoint = Checkpoint(int(data["seq"]), str(data["hash"]), str(data["at"]), str(data["writer"]))
            mac = str(data["mac"])
        except (ValueError, KeyError, TypeError):
            problems.append(f"line {number} of the checkpoint file is not a checkpoint")
            continue
        fields = _checkpoint_fields(checkpoint.seq, checkpoint.entry_hash, checkpoint.at, checkpoint.writer)
        if not any(hmac.compare_digest(mac, _mac(k, fields)) for k in (key, *retired)):
            problems.append(f"line {number} of the checkpoint file is not signed with the audit key")
            continue
        found.append(checkpoint)
    return CheckpointLog(tuple(found), tuple(problems))


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


class _ChainWalk:
    """The walk along the chain: where it has got to, and the key the next entry must have been made with."""

    def __init__(self, key: bytes, ring: Mapping[str, bytes], checkpoints: CheckpointLog | None) -> None:
        self.key = key
        self.ring = ring
        self.expected_at: dict[int, list[Checkpoint]] = {}
        for checkpoint in checkpoints.checkpoints if checkpoints is not None else ():
            self.expected_at.setdefault(checkpoint.seq, []).append(checkpoint)
        self.prev = GENESIS_HASH
        self.count = 0
        self.current: bytes | None = None

    def step(self, entry: AuditEntry) -> str:
        """Take the next entry: why it does not add up, or "" when it does."""
        self.count += 1
        # Sequence numbers start at 1 and leave no gaps, so the count so far is the number this entry must carry.
        if entry.seq != self.count:
            return f"expected sequence {self.count}, found {entry.seq}"
        if entry.prev_hash != self.prev:
            return "prev_hash does not match the previous entry's hash"
        if self.current is None:
            # The chain's first key: the one of the ring that made its first entry (the current key if none did).
            self.current = next((k for k in self.ring.values() if _hash_with(entry, k) == entry.entry_hash), self.key)
        if entry.action == KEY_ROTATED:
            problem = _rotation_problem(entry, self.current, self.ring)
            if problem:
                return problem
            # Every entry after a rotation is made with the key it rotated to.
            self.current = self.ring[str(entry.details["to_key"])]
        elif _hash_with(entry, self.current) != entry.entry_hash:
            return "contents changed: the hash does not match"
        for checkpoint in self.expected_at.get(entry.seq, ()):
            if checkpoint.entry_hash != entry.entry_hash:
                return (
                    f"entry {entry.seq} differs from the checkpoint written at {checkpoint.at}: the chain was "
                    "rewritten from there on"
                )
        self.prev = entry.entry_hash
        return ""


def verify_chain(
    entries: Iterable[AuditEntry],
    key: bytes,
    head: ChainHead | None = None,
    checkpoints: CheckpointLog | None = None,
    *,
    retired: Sequence[bytes] = (),
) -> ChainReport:
    """Walk entries in sequence order and report the first one that does not add up. With `head` (the stored head
    row), also that the head is signed and the chain ends where it says; with `checkpoints` (read before the
    entries, so every checkpoint in it was written after its entries committed), that the chain holds every
    checkpointed entry with the same hash and reaches at least as far as the latest one. `key` is the current key
    and `retired` the keys it replaced: the chain starts with whichever of them made its first entry and moves to
    the next at each rotation entry."""
    if checkpoints is not None and checkpoints.problems:
        return ChainReport(False, 0, None, checkpoints.problems[0])
    walk = _ChainWalk(key, {key_id(k): k for k in (key, *retired)}, checkpoints)
    for entry in entries:
        problem = walk.step(entry)
        if problem:
            return ChainReport(False, walk.count, entry.seq, problem)
    return _chain_end(walk, head, checkpoints)


def _chain_end(walk: _ChainWalk, head: ChainHead | None, checkpoints: CheckpointLog | None) -> ChainReport:
    """The report once every entry added up: the chain must end where its signed head and its latest checkpoint
    say it reached."""
    count, last = walk.count, walk.count
    if head is not None:
        if not hmac.compare_digest(head.mac, head_mac(head.seq, head.entry_hash, walk.key)):
            return ChainReport(False, count, head.seq, "the head row is not signed with the audit key")
        if (head.seq, head.entry_hash) != (last, walk.prev):
            # The newest rows were removed (or the head rewritten): the chain stops short of what was written.
            return ChainReport(False, count, last + 1, f"the chain ends at {last}; the head says {head.seq}")
    latest = checkpoints.latest if checkpoints is not None else None
    if latest is not None and latest.seq > last:
        # Rows removed and the head restored from an older copy, or the whole database rolled back.
        return ChainReport(
            False,
            count,
            last + 1,
            f"the chain ends at {last}; the checkpoint written at {latest.at} says it had reached {latest.seq}",
        )
    return ChainReport(True, count, None, "", latest.seq if latest is not None else None)
