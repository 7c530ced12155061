"""Tracing: where a file came from (C2PA manifest, watermark, fingerprints), the manifest repository, the hash
banks, the audit chain.

`resolve_binding` is the one lookup from a soft binding value to the videos and manifests it names: `verify` makes
it for the watermark it reads, and the Soft Binding Resolution API for the values it is asked about; matching a file
by content is `verify` itself. So `cameoguard verify` and the API cannot disagree about a copy. A purged video's
manifest is never served: its bindings still resolve, to its tombstone status.

A file may be cut together from several videos, so `verify` traces it piece by piece too: every stretch whose
frames match a registered video in order (`provenance.segments`), and every window in which a watermark token can
be read, is reported as a segment with its time span and the status of its video; the most restrictive status of
anything believed is the file's (purged > withdrawn > held > live), so a second of a purged video spliced before a
live one never reads live. The fingerprint, segment and bank indexes are rebuilt only when their tables change (a
stamp of count and newest id), so a verify or a check after an unrelated write costs one cheap query.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Generic, TypeVar

from provenance import (
    WATERMARK_ALG,
    FingerprintIndex,
    FrameHash,
    InvisibleWatermark,
    ManifestReport,
    SegmentHash,
    SegmentIndex,
    SegmentMatch,
    VideoMatch,
    WatermarkReading,
    bank_hashes,
    pdq,
    query_frames,
    query_hashes,
    read_manifest,
    sampled_frames,
    watermark_value,
)
from provenance.segments import Frame, match_segments
from provenance.softbinding import canonical_value
from safety.audit import ChainReport, verify_chain
from safety.domain import VideoStatus
from safety.errors import InvalidMediaError, StorageError, SubmissionError, UnknownSubjectError
from safety.media import probe
from safety.records import BankEntryRecord, BankName, ManifestRecord, RegistryStatus
from safety.storage import Store, Transaction

Stamp = tuple[int, int]
IndexT = TypeVar("IndexT")


HELD = "held"
# How restrictive each status is: when pieces of evidence disagree, the most restrictive one is reported. A
# withdrawn video was taken down (blocked); a held one waits for a reviewer.
_RESTRICTIVENESS = {
    "unknown": 0,
    RegistryStatus.LIVE.value: 1,
    HELD: 2,
    RegistryStatus.WITHDRAWN.value: 3,
    RegistryStatus.PURGED.value: 4,
}
# A segment of fewer registered samples (taken twice a second) than the staydown run is still reported, if its
# frames are closer than this (bits of 256): a second of a purged video cut into a copy is too short for a full run.
_SHORT_SEGMENT_SAMPLES = 2
_SHORT_SEGMENT_DISTANCE = 32.0
_FULL_SEGMENT_SAMPLES = 4
# Watermark windows: long enough to average out the picture (the mark is read from many frames), short enough to
# tell the pieces of a splice apart.
_WATERMARK_WINDOW_S = 1.5
_WATERMARK_STEP_S = 0.75
_WATERMARK_MIN_CONFIDENCE = 0.5
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
class TracedSegment:
    """A stretch of the file traced to one video."""

    video_id: str
    """The video it comes from."""
    status: str
    """That video's status (live, held, withdrawn, purged, or unknown)."""
    start_s: float
    """Where it starts in the file (seconds)."""
    end_s: float
    """Where it ends."""
    source: str
    """fingerprint (frames matched in order) or watermark (a token read in these frames)."""
    distance: float | None = None
    """Median distance of the matched frames (bits of 256), for fingerprints."""


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
    segments: tuple[TracedSegment, ...] = ()
    """Every stretch of the file traced to a video, in file order."""
    manifest_id: str | None = None
    """The manifest that published the video it traces to, in the repository (None before manifests were kept)."""
    manifests: tuple[Resolution, ...] = ()
    """Each video believed evidence (strongest first) or a traced segment points at, with its status and manifest
    (what matching by content answers)."""

    @property
    def disagreement(self) -> bool:
        """Believed evidence points at more than one video or status."""
        believed = [e for e in self.evidence if e.believed]
        return len({(e.video_id, e.status) for e in believed}) > 1


@dataclass(frozen=True)
class Resolution:
    """A video a soft binding value (or a file) leads to."""

    video_id: str
    """The video."""
    status: str
    """live, held, withdrawn, purged or unknown (`trace_status`)."""
    manifest_id: str | None
    """Its manifest in the repository."""


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


def trace_status(tx: Transaction, video_id: str) -> str:
    """`registry_status`, with a withdrawn video that is held for review told apart (`held`); `unknown` when the
    registry does not know it."""
    return _told_apart(tx, video_id, registry_status(tx, video_id))


def _told_apart(tx: Transaction, video_id: str, status: str | None) -> str:
    if status == RegistryStatus.WITHDRAWN.value:
        video = tx.videos.find(video_id)
        if video is not None and video.status is VideoStatus.HELD:
            return HELD
    return status or "unknown"


def most_restrictive(statuses: list[str]) -> str:
    """The status that wins when pieces of evidence disagree."""
    return max(statuses, key=lambda st: _RESTRICTIVENESS.get(st, 0), default="unknown")


def resolve_binding(tx: Transaction, alg: str, value: str) -> list[Resolution]:
    """The videos (with status, as `trace_status` says it, and manifest) a soft binding value names: one indexed
    lookup. A value that cannot be one of `alg`'s, or an algorithm we do not declare, names nothing."""
    canonical = canonical_value(alg, value)
    if canonical is None:
        return []
    return [
        Resolution(
            match.video_id,
            _told_apart(
                tx,
                match.video_id,
                match.status.value if match.status is not None else registry_status(tx, match.video_id),
            ),
            match.manifest_id,
        )
        for match in tx.registry.find_binding(alg, canonical)
    ]


def _resolution(tx: Transaction, video_id: str, status: str) -> Resolution:
    manifest: ManifestRecord | None = tx.registry.manifest_of(video_id)
    return Resolution(video_id, status, manifest.manifest_id if manifest is not None else None)


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
        manifest = read_manifest(path, trust_anchors_pem=self._trust_anchors_pem)
        frames = list(sampled_frames(str(path), every_s=0.25, max_frames=80))
        watermark = self._watermark()
        reading = watermark.read(frame for _, frame in frames)
        hashes = [FrameHash(t, *pdq(frame)) for t, frame in frames[::2]]
        match = self._fingerprints.get(self._store).match(hashes)
        segment_matches = _segments_of(query_hashes(query_frames(str(path))), self._segments.get(self._store))
        windows = _watermark_windows(watermark, frames)
        with self._store.transaction() as tx:
            token = reading.token if reading.found else None
            marked = resolve_binding(tx, WATERMARK_ALG, watermark_value(token)) if token is not None else []
            watermark_video = marked[0].video_id if marked else None
            evidence: list[TraceEvidence] = []
            if manifest.present and manifest.video_id:
                # Anyone can sign a manifest claiming any video id: only a valid one from a trusted chain counts.
                trusted = manifest.valid and manifest.trusted
                note = "" if trusted else ("not signed by a trusted chain" if manifest.valid else "invalid manifest")
                evidence.append(
                    TraceEvidence("c2pa", manifest.video_id, trace_status(tx, manifest.video_id), trusted, note)
                )
            if marked:
                # The resolution API's own answer for this value (`resolve_binding`), status included.
                evidence.append(TraceEvidence("watermark", marked[0].video_id, marked[0].status, True))
            if match is not None:
                evidence.append(TraceEvidence("fingerprint", match.key, trace_status(tx, match.key), True))
            segments = [
                TracedSegment(m.key, trace_status(tx, m.key), m.query_start, m.query_end, "fingerprint", m.distance)
                for m in segment_matches
            ]
            for start, end, window_token in windows:
                for found in resolve_binding(tx, WATERMARK_ALG, watermark_value(window_token))[:1]:
                    segments.append(TracedSegment(found.video_id, found.status, start, end, "watermark"))
            segments = _merged(segments)
            believed = [e for e in evidence if e.believed]
            pointed = {e.video_id: e.status for e in sorted(believed, key=lambda e: _STRENGTH.index(e.source))}
            for seg in segments:
                pointed.setdefault(seg.video_id, seg.status)
            manifests = tuple(_resolution(tx, video_id, st) for video_id, st in pointed.items())
        strongest = min(believed, key=lambda e: _STRENGTH.index(e.source), default=None)
        # When believed evidence disagrees, the most restrictive status wins: a purged copy never reads live, nor
        # does a copy with a purged segment in it.
        status = most_restrictive([e.status for e in believed] + [seg.status for seg in segments])
        video_id = strongest.video_id if strongest else None
        traced_by = strongest.source if strongest else None
        if video_id is None and segments:
            first = max(segments, key=lambda seg: _RESTRICTIVENESS.get(seg.status, 0))
            video_id, traced_by = first.video_id, first.source
        return TraceResult(
            video_id,
            status,
            traced_by,
            manifest,
            reading,
            watermark_video,
            match,
            tuple(evidence),
            tuple(segments),
            next((m.manifest_id for m in manifests if m.video_id == video_id), None),
            manifests,
        )

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


def _segments_of(query: list[SegmentHash], index: SegmentIndex) -> list[SegmentMatch]:
    """Registered videos a stretch of the query matches in order: a full staydown run, or a shorter one whose
    frames are very close (a short cut of a video spliced into a copy)."""
    found = match_segments(query, index.index, index.times, min_run=_SHORT_SEGMENT_SAMPLES)
    return [m for m in found if m.samples >= _FULL_SEGMENT_SAMPLES or m.distance <= _SHORT_SEGMENT_DISTANCE]


def _watermark_windows(
    watermark: InvisibleWatermark, frames: list[tuple[float, Frame]]
) -> list[tuple[float, float, int]]:
    """(start, end, token) of each window of the sampled frames in which a token reads clearly."""
    if not frames:
        return []
    found: list[tuple[float, float, int]] = []
    last = frames[-1][0]
    start = 0.0
    while True:
        window = [(t, frame) for t, frame in frames if start <= t < start + _WATERMARK_WINDOW_S]
        if len(window) >= 3:
            reading = watermark.read(frame for _, frame in window)
            if reading.found and reading.token is not None and reading.confidence >= _WATERMARK_MIN_CONFIDENCE:
                found.append((window[0][0], window[-1][0], reading.token))
        if start + _WATERMARK_WINDOW_S > last:
            return found
        start += _WATERMARK_STEP_S


def _merged(segments: list[TracedSegment]) -> list[TracedSegment]:
    """Overlapping or touching segments of one video from one source joined, in file order."""
    out: list[TracedSegment] = []
    for seg in sorted(segments, key=lambda s: (s.video_id, s.source, s.start_s)):
        last = out[-1] if out else None
        if last and (last.video_id, last.source) == (seg.video_id, seg.source) and seg.start_s <= last.end_s + 0.5:
            out[-1] = replace(last, end_s=max(last.end_s, seg.end_s))
        else:
            out.append(seg)
    return sorted(out, key=lambda s: (s.start_s, s.source))
