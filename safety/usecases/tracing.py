"""Tracing: where a file came from (C2PA manifest, watermark, fingerprints), the hash banks, the audit chain.

The fingerprint and bank indexes are rebuilt only when their tables change (a stamp of count and newest id), so a
verify or a check after an unrelated write costs one cheap query.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from provenance import (
    FingerprintIndex,
    FrameHash,
    InvisibleWatermark,
    ManifestReport,
    VideoMatch,
    WatermarkReading,
    pdq,
    read_manifest,
    sampled_frames,
    video_hashes,
)
from safety.audit import ChainReport, verify_chain
from safety.errors import SubmissionError
from safety.media import probe
from safety.records import BankEntryRecord, BankName, RegistryStatus
from safety.store import Store, Transaction

Stamp = tuple[int, int]


@dataclass(frozen=True)
class TraceResult:
    """What `verify` found about a file."""

    video_id: str | None
    """The published video it traces to."""
    status: str
    """live, purged, withdrawn or unknown."""
    traced_by: str | None
    """c2pa, watermark or fingerprint."""
    manifest: ManifestReport
    """The file's C2PA data."""
    watermark: WatermarkReading
    """The invisible watermark reading."""
    watermark_video: str | None
    """The video the watermark's token was issued to."""
    fingerprint: VideoMatch | None
    """The best fingerprint match."""


class _CachedIndex:
    """A fingerprint index rebuilt when its stamp changes."""

    def __init__(
        self, stamp: Callable[[Transaction], Stamp], entries: Callable[[Transaction], list[tuple[str, bytes]]]
    ):
        self._stamp = stamp
        self._entries = entries
        self._cached: tuple[Stamp, FingerprintIndex] | None = None
        self._lock = threading.Lock()

    def get(self, store: Store) -> FingerprintIndex:
        """The index, rebuilt first when its table changed since the last call."""
        with self._lock, store.transaction() as tx:
            stamp = self._stamp(tx)
            if self._cached is None or stamp != self._cached[0]:
                self._cached = (stamp, FingerprintIndex(self._entries(tx)))
            return self._cached[1]


def registry_status(tx: Transaction, video_id: str) -> str | None:
    """`live`, `withdrawn` or `purged` for a registered video; `purged` for a tombstone; None when unknown."""
    status = tx.registry.status(video_id)
    if status is not None:
        return status.value
    return RegistryStatus.PURGED.value if tx.purges.is_tombstoned(video_id) else None


class Tracing:
    """Provenance lookups, banks and the audit chain."""

    def __init__(
        self, store: Store, watermark: Callable[[], InvisibleWatermark], trust_anchors_pem: str | None
    ) -> None:
        self._store = store
        self._watermark = watermark
        self._trust_anchors_pem = trust_anchors_pem
        self._fingerprints = _CachedIndex(
            lambda tx: tx.registry.fingerprint_stamp(), lambda tx: tx.registry.fingerprint_entries()
        )
        self._banks = _CachedIndex(lambda tx: tx.banks.stamp(), lambda tx: tx.banks.index_entries())

    def bank_index(self) -> FingerprintIndex:
        """Frame hashes of every bank item (known-bad and purged), rebuilt when the banks change."""
        return self._banks.get(self._store)

    def bank_add(self, bank: str, video: Path, note: str = "") -> BankEntryRecord:
        """Add a video's frame hashes to a bank (operators add `known_bad`; revocation fills `purged`)."""
        if bank not in set(BankName):
            raise SubmissionError("bank is known_bad or purged")
        probe(video)
        hashes = video_hashes(str(video), every_s=0.5, max_frames=60)
        with self._store.transaction() as tx:
            entry_id = tx.banks.add_entry(BankName(bank), [(h.digest, h.quality) for h in hashes], note=note)
            return next(e for e in tx.banks.entries(BankName(bank)) if e.id == entry_id)

    def bank_list(self, bank: str | None = None) -> list[BankEntryRecord]:
        """Bank entries, oldest first."""
        with self._store.transaction() as tx:
            return tx.banks.entries(BankName(bank) if bank else None)

    def bank_remove(self, entry_id: str) -> None:
        """Remove a bank entry and its hashes."""
        with self._store.transaction() as tx:
            tx.banks.remove_entry(entry_id)

    def verify(self, path: Path) -> TraceResult:
        """Trace a file to a published video: by its C2PA manifest, else its watermark, else its fingerprints."""
        probe(path)
        manifest = read_manifest(path, trust_anchors_pem=self._trust_anchors_pem)
        frames = list(sampled_frames(str(path), every_s=0.25, max_frames=80))
        reading = self._watermark().read(frame for _, frame in frames)
        hashes = [FrameHash(t, *pdq(frame)) for t, frame in frames[::2]]
        match = self._fingerprints.get(self._store).match(hashes)
        with self._store.transaction() as tx:
            token = reading.token if reading.found else None
            watermark_video = tx.registry.video_for_token(token) if token is not None else None
            traced_by = None
            video_id = None
            if manifest.valid and manifest.video_id:
                video_id, traced_by = manifest.video_id, "c2pa"
            elif watermark_video:
                video_id, traced_by = watermark_video, "watermark"
            elif match is not None:
                video_id, traced_by = match.key, "fingerprint"
            status = (registry_status(tx, video_id) if video_id else None) or "unknown"
        return TraceResult(video_id, status, traced_by, manifest, reading, watermark_video, match)

    def verify_audit(self) -> ChainReport:
        """Walk the audit log's hash chain."""
        with self._store.transaction() as tx:
            return verify_chain(tx.audit.entries())
