"""The in-memory store's state and what every in-memory store shares: the open transaction's context.

`State` is every table as a dict (insertion-ordered, like rows read by id) plus the audit chain and the counters
that stand in for autoincrement ids. A transaction works on its own deep copy of the state (`MemoryContext`), taken
when it first touches storage, as a SQL transaction begins on its first statement; the copy replaces the shared
state when the transaction commits and is dropped when it raises. Checks the SQL schema makes (unique keys, foreign
keys) are made here by hand and raise `ConflictError`, as the SQL unit of work turns an integrity error into one.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar

from safety.audit import GENESIS_HASH, entry_hash
from safety.clock import Clock
from safety.domain import AuditEntry
from safety.errors import ConflictError, StorageError
from safety.storage.idempotency import IdempotentAnswer
from safety.storage.memory import rows as r

J = TypeVar("J")


def new_id(prefix: str) -> str:
    """A new opaque id such as `vid_…` (the same shape the SQL stores give)."""
    return f"{prefix}_{uuid.uuid4().hex[:20]}"


def as_json(value: J) -> J:
    """`value` as a JSON column hands it back (tuples become lists, keys strings); `StorageError` when it is not
    JSON, as the SQL column refuses it."""
    try:
        # A round trip rather than a type check: it gives back exactly what a JSON column would (lists for tuples,
        # string keys), so the fake cannot hide a value the database would change.
        loaded: J = json.loads(json.dumps(value))
    except (TypeError, ValueError) as exc:
        raise StorageError(f"not storable as JSON: {exc}") from None
    return loaded


def require(table: Mapping[Any, object], key: Hashable, what: str) -> None:
    """A foreign key: `key` must name a row of `table`."""
    if key not in table:
        raise ConflictError(f"conflicting write: no {what} `{key}` (foreign key)")


@dataclass
class State:
    """Every table of the store."""

    users: dict[str, r.UserRow] = field(default_factory=dict)
    guardianships: dict[tuple[str, str], datetime] = field(default_factory=dict)
    follows: dict[tuple[str, str], datetime] = field(default_factory=dict)
    clients: dict[str, r.ClientRow] = field(default_factory=dict)
    cameos: dict[str, r.CameoRow] = field(default_factory=dict)
    use_requests: dict[str, r.UseRequestRow] = field(default_factory=dict)
    grants: dict[int, r.GrantRow] = field(default_factory=dict)
    challenges: dict[str, r.ChallengeRow] = field(default_factory=dict)
    templates: dict[int, r.TemplateRow] = field(default_factory=dict)
    protected: dict[str, r.ProtectedRow] = field(default_factory=dict)
    videos: dict[str, r.VideoRow] = field(default_factory=dict)
    edges: dict[int, r.EdgeRow] = field(default_factory=dict)
    decisions: dict[str, r.DecisionRow] = field(default_factory=dict)
    review_items: dict[str, r.ReviewItemRow] = field(default_factory=dict)
    reviewers: dict[str, r.ReviewerRow] = field(default_factory=dict)
    sessions: dict[str, r.SessionRow] = field(default_factory=dict)
    appeals: dict[str, r.AppealRow] = field(default_factory=dict)
    reports: dict[str, r.ReportRow] = field(default_factory=dict)
    tombstones: dict[str, tuple[datetime, str]] = field(default_factory=dict)
    published: dict[str, r.PublishedRow] = field(default_factory=dict)
    frame_hashes: dict[int, r.HashRow] = field(default_factory=dict)
    manifests: dict[str, r.ManifestRow] = field(default_factory=dict)
    bindings: dict[int, r.BindingRow] = field(default_factory=dict)
    bank_entries: dict[str, r.BankEntryRow] = field(default_factory=dict)
    bank_hashes: dict[int, r.HashRow] = field(default_factory=dict)
    purge_jobs: dict[str, r.PurgeJobRow] = field(default_factory=dict)
    tracks: dict[int, r.TrackRow] = field(default_factory=dict)
    scans: dict[str, r.ScanRow] = field(default_factory=dict)
    leases: dict[str, r.LeaseRow] = field(default_factory=dict)
    submissions: dict[str, r.SubmissionRow] = field(default_factory=dict)
    deliveries: dict[int, r.DeliveryRow] = field(default_factory=dict)
    events: dict[str, tuple[str, datetime, dict[str, Any]]] = field(default_factory=dict)
    """Unsent webhook events: id -> (submission id, kept at, message)."""
    idempotency: dict[tuple[str, str], IdempotentAnswer] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)
    head: tuple[int, str] = (0, GENESIS_HASH)
    serials: dict[str, int] = field(default_factory=dict)
    """The last id given per table with integer ids (never reused, like a PostgreSQL sequence)."""

    def serial(self, table: str) -> int:
        """The next integer id of `table`."""
        # Never reused, even after a rollback or a delete: ids handed out once may already sit in an audit entry.
        self.serials[table] = self.serials.get(table, 0) + 1
        return self.serials[table]

    def copy(self) -> State:
        """A deep copy to work on; audit entries are immutable and append-only, so their list is copied shallowly
        (the chain grows with every transaction and would dominate a deep copy)."""
        working = copy.deepcopy(replace(self, audit=[]))
        working.audit = list(self.audit)
        return working


class MemoryContext:
    """One transaction's working copy of the state, its clock, and the audit entries it made."""

    def __init__(self, begin: Callable[[], State], clock: Clock, audit_key: bytes) -> None:
        self._begin = begin
        self._state: State | None = None
        self.clock = clock
        self.audit_key = audit_key
        self.pending: list[tuple[datetime, str, str, str, dict[str, Any]]] = []

    @property
    def state(self) -> State:
        """The working copy, taken on first use."""
        if self._state is None:
            self._state = self._begin()
        return self._state

    @property
    def begun(self) -> bool:
        """Whether this transaction touched storage."""
        return self._state is not None

    def now(self) -> datetime:
        return self.clock.now()

    def audit(self, actor: str, action: str, subject: str, details: dict[str, Any]) -> None:
        """Add one entry to the chain when this transaction commits (`flush_audit`)."""
        # Touch the state so that this transaction takes the writer lock now: entries are chained at commit, which must
        # then happen under the lock.
        _ = self.state
        self.pending.append((self.now(), actor, action, subject, as_json(details)))

    def flush_audit(self, key: bytes) -> None:
        """Link this transaction's entries to the chain: the last thing it does before its commit."""
        state = self.state
        seq, previous = state.head
        for at, actor, action, subject, details in self.pending:
            seq += 1
            digest = entry_hash(seq, at, actor, action, subject, details, previous, key)
            state.audit.append(AuditEntry(seq, at, actor, action, subject, details, previous, digest))
            previous = digest
        # The head moves with the entries, in the same working copy: a rolled-back transaction leaves both untouched.
        state.head = (seq, previous)
        self.pending.clear()
