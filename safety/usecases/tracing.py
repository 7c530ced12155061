"""Tracing: where a file came from (C2PA manifest, watermark, fingerprints), the manifest repository, the hash
banks, the audit chain.

`verify` reads a file and traces it piece by piece (`usecases.trace_evidence`); every lookup from a soft binding
value to the videos and manifests it names is `usecases.bindings.resolve_binding`, which the Soft Binding
Resolution API uses too, so `cameoguard verify` and the API cannot disagree about a copy. A purged video's
manifest is never served: its bindings still resolve, to its tombstone status. The fingerprint, segment and bank
indexes are rebuilt only when their tables change (a stamp of count and newest id), so a verify or a check after
an unrelated write costs one cheap query.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from provenance import (
    WATERMARK_ALG,
    FingerprintIndex,
    InvisibleWatermark,
    SegmentIndex,
    bank_hashes,
    watermark_value,
)
from safety.audit import ChainReport, verify_chain
from safety.errors import InvalidMediaError, StorageError, SubmissionError, UnknownSubjectError
from safety.media import probe
from safety.records import BankEntryRecord, BankName, RegistryStatus
from safety.storage import Store, Transaction
from safety.usecases.bindings import (
    HELD,
    Resolution,
    most_restrictive,
    registry_status,
    resolve_binding,
    trace_status,
)
from safety.usecases.trace_evidence import (
    TracedSegment,
    TraceEvidence,
    TraceResult,
    read_file,
    trace_of,
    traced,
)

Stamp = tuple[int, int]
IndexT = TypeVar("IndexT")


@dataclass(frozen=True)
class ManifestStore:
    """What the repository answers for a manifest id: the store's bytes, or only a status when it is not served."""

    manifest_id: str
    """The manifest."""
    video_id: str
    """The video it published."""
    status: str
    """That video's status; a purged video's manifest is not served."""
    data: bytes | None
    """The manifest store (application/c2pa), or None when purged."""


class _CachedIndex(Generic[IndexT]):
    """An index rebuilt when its stamp changes."""

    def __init__(self, stamp: Callable[[Transaction], Stamp], build: Callable[[Transaction], IndexT]):
        self._stamp = stamp
        self._build = build
        self._cached: tuple[Stamp, IndexT] | None = None
        self._lock = threading.Lock()

    def get(self, store: Store) -> IndexT:
        """The index, rebuilt first when its table changed since the last call."""
        # One rebuild at a time: checks running side by side after a write would each build the same index (a
        # table's worth of hashes in memory) and race to keep theirs.
        with self._lock, store.transaction() as tx:
            stamp = self._stamp(tx)
            if self._cached is None or stamp != self._cached[0]:
                self._cached = (stamp, self._build(tx))
            return self._cached[1]


class Tracing:
    """Provenance lookups, the manifest repository, banks and the audit chain."""

    def __init__(
        self,
        store: Store,
        watermark: Callable[[], InvisibleWatermark],
        trust_anchors_pem: str | None,
        media_root: Path | None = None,
    ) -> None:
        self._store = store
        self._media_root = media_root
        self._watermark = watermark
        self._trust_anchors_pem = trust_anchors_pem
        self._fingerprints = _CachedIndex(
            lambda tx: tx.registry.fingerprint_stamp(), lambda tx: FingerprintIndex(tx.registry.fingerprint_entries())
        )
        self._banks = _CachedIndex(lambda tx: tx.banks.stamp(), lambda tx: SegmentIndex(tx.banks.index_entries()))
        self._segments = _CachedIndex(
            lambda tx: tx.registry.fingerprint_stamp(), lambda tx: SegmentIndex(tx.registry.segment_entries())
        )

    def bank_index(self) -> SegmentIndex:
        """Frame hashes of every bank item (known-bad and purged), rebuilt when the banks change."""
        return self._banks.get(self._store)

    def bank_add(self, bank: str, video: Path, note: str = "") -> BankEntryRecord:
        """Add a video's frame hashes to a bank (operators add `known_bad`; revocation fills `purged`)."""
        if bank not in set(BankName):
            raise SubmissionError("bank is known_bad or purged")
        probe(video)
        try:
            hashes = bank_hashes(str(video))
        except (OSError, ValueError, IndexError) as exc:
            raise InvalidMediaError(f"cannot hash {video}: {exc}") from None
        with self._store.transaction() as tx:
            entry_id = tx.banks.add_entry(BankName(bank), [(h.t, h.digest, h.quality) for h in hashes], note=note)
            return tx.banks.entry(entry_id)

    def bank_list(self, bank: str | None = None) -> list[BankEntryRecord]:
        """Bank entries, oldest first."""
        with self._store.transaction() as tx:
            return tx.banks.entries(BankName(bank) if bank else None)

    def bank_remove(self, entry_id: str) -> None:
        """Remove a bank entry and its hashes."""
        with self._store.transaction() as tx:
            tx.banks.remove_entry(entry_id)

    def verify(self, path: Path) -> TraceResult:
        """Trace a file to a published video: by its C2PA manifest, else its watermark, else its fingerprints; and
        every segment of it to the video it was cut from."""
        probe(path)
        file = read_file(
            path,
            self._trust_anchors_pem,
            self._watermark,
            lambda: self._fingerprints.get(self._store),
            lambda: self._segments.get(self._store),
        )
        # One transaction for every registry read, so the evidence and the segments see the same statuses.
        with self._store.transaction() as tx:
            token = file.watermark.token if file.watermark.found else None
            marked = resolve_binding(tx, WATERMARK_ALG, watermark_value(token)) if token is not None else []
            evidence, segments, manifests = trace_of(tx, file, marked)
        return traced(file, marked, evidence, segments, manifests)

    def resolve_binding(self, alg: str, value: str) -> list[Resolution]:
        """`GET /matches/byBinding`: the videos and manifests a soft binding value names."""
        with self._store.transaction() as tx:
            return resolve_binding(tx, alg, value)

    def manifest_store(self, manifest_id: str) -> ManifestStore:
        """`GET /manifests/{id}`: the manifest store, unless its video was purged (then only the status).
        `UnknownSubjectError` for an id the repository does not hold."""
        with self._store.transaction() as tx:
            record = tx.registry.manifest(manifest_id)
            if record is None:
                raise UnknownSubjectError(f"no manifest {manifest_id}")
            status = trace_status(tx, record.video_id)
        if status == RegistryStatus.PURGED.value or record.store_path is None:
            return ManifestStore(manifest_id, record.video_id, RegistryStatus.PURGED.value, None)
        if self._media_root is None:
            raise StorageError("the manifest repository has no media store")
        path = self._media_root / record.store_path
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise StorageError(f"cannot read manifest store {record.store_path}: {exc.strerror}") from None
        return ManifestStore(manifest_id, record.video_id, status, data)

    def verify_audit(self) -> ChainReport:
        """Walk the audit log's hash chain; check its signed head and hold it against the checkpoints kept outside
        the database (read first: each of them was written after its entry committed)."""
        checkpoints = self._store.audit_checkpoints()
        with self._store.snapshot() as tx:
            return verify_chain(
                tx.audit.entries(),
                self._store.audit_key,
                head=tx.audit.head(),
                checkpoints=checkpoints,
                retired=self._store.retired_audit_keys,
            )


__all__ = [
    "HELD",
    "ManifestStore",
    "Resolution",
    "TraceEvidence",
    "TraceResult",
    "TracedSegment",
    "Tracing",
    "most_restrictive",
    "registry_status",
    "resolve_binding",
    "trace_status",
]
