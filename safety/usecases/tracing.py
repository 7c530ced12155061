"""Tracing: where a file came from (C2PA manifest, watermark, fingerprints), the hash banks, the audit chain.

The fingerprint and bank indexes are rebuilt only when their tables change (a stamp of count and newest id), so a
verify or a check after an unrelated write costs one cheap query.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from provenance import (
    FingerprintIndex,
    FrameHash,
    InvisibleWatermark,
    ManifestReport,
    SegmentIndex,
    VideoMatch,
    WatermarkReading,
    bank_hashes,
    pdq,
    read_manifest,
    sampled_frames,
)
from safety.audit import ChainReport, verify_chain
from safety.errors import InvalidMediaError, SubmissionError
from safety.media import probe
from safety.records import BankEntryRecord, BankName, RegistryStatus
from safety.storage import Store, Transaction

Stamp = tuple[int, int]
IndexT = TypeVar("IndexT")


# How restrictive each status is: when pieces of evidence disagree, the most restrictive one is reported.
_RESTRICTIVENESS = {"unknown": 0, "live": 1, RegistryStatus.WITHDRAWN.value: 2, RegistryStatus.PURGED.value: 3}
# Evidence in order of strength: a trusted, valid manifest names the video outright; a watermark token is ours
# but can be read wrongly; a fingerprint is a similarity.
_STRENGTH = ("c2pa", "watermark", "fingerprint")


@dataclass(frozen=True)
class TraceEvidence:
    """One thing a file says about where it came from."""

    source: str
    """c2pa, watermark or fingerprint."""
    video_id: str
    """The video it points at."""
    status: str
    """That video's status (live, withdrawn, purged, or unknown to the registry)."""
    believed: bool
    """False for a manifest that is invalid or not signed by a trusted chain: reported, never believed."""
    note: str = ""
    """Why it is not believed, when it is not."""


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
    evidence: tuple[TraceEvidence, ...] = ()
    """Every piece of evidence, believed or not, strongest first."""

    @property
    def disagreement(self) -> bool:
        """Believed evidence points at more than one video or status."""
        believed = [e for e in self.evidence if e.believed]
        return len({(e.video_id, e.status) for e in believed}) > 1


class _CachedIndex(Generic[IndexT]):
    """An index rebuilt when its stamp changes."""

    def __init__(self, stamp: Callable[[Transaction], Stamp], build: Callable[[Transaction], IndexT]):
        self._stamp = stamp
        self._build = build
        self._cached: tuple[Stamp, IndexT] | None = None
        self._lock = threading.Lock()

    def get(self, store: Store) -> IndexT:
        """The index, rebuilt first when its table changed since the last call."""
        with self._lock, store.transaction() as tx:
            stamp = self._stamp(tx)
            if self._cached is None or stamp != self._cached[0]:
                self._cached = (stamp, self._build(tx))
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
            lambda tx: tx.registry.fingerprint_stamp(), lambda tx: FingerprintIndex(tx.registry.fingerprint_entries())
        )
        self._banks = _CachedIndex(lambda tx: tx.banks.stamp(), lambda tx: SegmentIndex(tx.banks.index_entries()))

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
            evidence: list[TraceEvidence] = []
            if manifest.present and manifest.video_id:
                # Anyone can sign a manifest claiming any video id: only a valid one from a trusted chain counts.
                trusted = manifest.valid and manifest.trusted
                note = "" if trusted else ("not signed by a trusted chain" if manifest.valid else "invalid manifest")
                status = registry_status(tx, manifest.video_id) or "unknown"
                evidence.append(TraceEvidence("c2pa", manifest.video_id, status, trusted, note))
            if watermark_video:
                evidence.append(
                    TraceEvidence("watermark", watermark_video, registry_status(tx, watermark_video) or "unknown", True)
                )
            if match is not None:
                evidence.append(
                    TraceEvidence("fingerprint", match.key, registry_status(tx, match.key) or "unknown", True)
                )
        believed = [e for e in evidence if e.believed]
        strongest = min(believed, key=lambda e: _STRENGTH.index(e.source), default=None)
        # When believed evidence disagrees, the most restrictive status wins: a purged copy never reads live.
        status = max((e.status for e in believed), key=lambda st: _RESTRICTIVENESS.get(st, 0), default="unknown")
        return TraceResult(
            strongest.video_id if strongest else None,
            status,
            strongest.source if strongest else None,
            manifest,
            reading,
            watermark_video,
            match,
            tuple(evidence),
        )

    def verify_audit(self) -> ChainReport:
        """Walk the audit log's hash chain."""
        with self._store.transaction() as tx:
            return verify_chain(
                tx.audit.entries(), self._store.audit_key, head=tx.audit.head(), retired=self._store.retired_audit_keys
            )
