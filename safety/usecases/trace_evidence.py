"""Tracing one file: what it says of itself (manifest, watermark, fingerprints, segments), what the registry says
of the videos it points at, and the answer `verify` gives.

A file may be cut together from several videos, so it is traced piece by piece too: every stretch whose frames
match a registered video in order (`provenance.segments`), and every window in which a watermark token can be read,
is a segment with its time span and the status of its video; the most restrictive status of anything believed is
the file's (purged > withdrawn > held > live), so a second of a purged video spliced before a live one never reads
live.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

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
    pdq,
    query_frames,
    query_hashes,
    read_manifest,
    sampled_frames,
    watermark_value,
)
from provenance.segments import Frame, match_segments
from safety.storage import Transaction
from safety.usecases.bindings import (
    Resolution,
    most_restrictive,
    resolution_of,
    resolve_binding,
    restrictiveness,
    trace_status,
)

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
class FileReading:
    """What a file says of itself before the registry is asked."""

    manifest: ManifestReport
    """Its C2PA data."""
    watermark: WatermarkReading
    """The watermark read over all its sampled frames."""
    fingerprint: VideoMatch | None
    """The registered video its frames match best."""
    segments: tuple[SegmentMatch, ...]
    """Stretches of it that match registered videos in order."""
    windows: tuple[tuple[float, float, int], ...]
    """(start, end, token) of each window in which a watermark token reads clearly."""


def read_file(
    path: Path,
    trust_anchors_pem: str | None,
    watermark: Callable[[], InvisibleWatermark],
    fingerprints: Callable[[], FingerprintIndex],
    segments: Callable[[], SegmentIndex],
) -> FileReading:
    """Read a file's manifest, watermark and fingerprints (no transaction: decoding takes seconds)."""
    manifest = read_manifest(path, trust_anchors_pem=trust_anchors_pem)
    frames = list(sampled_frames(str(path), every_s=0.25, max_frames=80))
    reader = watermark()
    reading = reader.read(frame for _, frame in frames)
    # Every other sample is enough for the whole-file match; the segments have their own, denser sampling.
    hashes = [FrameHash(t, *pdq(frame)) for t, frame in frames[::2]]
    match = fingerprints().match(hashes)
    segment_matches = segments_of(query_hashes(query_frames(str(path))), segments())
    windows = watermark_windows(reader, frames)
    return FileReading(manifest, reading, match, tuple(segment_matches), tuple(windows))


def evidence_of(tx: Transaction, file: FileReading, marked: list[Resolution]) -> list[TraceEvidence]:
    """Each thing the file says about where it came from, with the status of the video it points at, in order of
    strength; `marked` is what the watermark's token resolves to."""
    evidence: list[TraceEvidence] = []
    manifest = file.manifest
    if manifest.present and manifest.video_id:
        # Anyone can sign a manifest claiming any video id: only a valid one from a trusted chain counts.
        trusted = manifest.valid and manifest.trusted
        note = "" if trusted else ("not signed by a trusted chain" if manifest.valid else "invalid manifest")
        evidence.append(TraceEvidence("c2pa", manifest.video_id, trace_status(tx, manifest.video_id), trusted, note))
    if marked:
        # The resolution API's own answer for this value (`resolve_binding`), status included.
        evidence.append(TraceEvidence("watermark", marked[0].video_id, marked[0].status, True))
    if file.fingerprint is not None:
        key = file.fingerprint.key
        evidence.append(TraceEvidence("fingerprint", key, trace_status(tx, key), True))
    return evidence


def traced_segments(tx: Transaction, file: FileReading) -> list[TracedSegment]:
    """Every stretch of the file traced to a video, by its frames or by a watermark window, joined and in file
    order."""
    segments = [
        TracedSegment(m.key, trace_status(tx, m.key), m.query_start, m.query_end, "fingerprint", m.distance)
        for m in file.segments
    ]
    for start, end, window_token in file.windows:
        # A window's token names one video at most; the first resolution is the one the registry holds.
        for found in resolve_binding(tx, WATERMARK_ALG, watermark_value(window_token))[:1]:
            segments.append(TracedSegment(found.video_id, found.status, start, end, "watermark"))
    return merged(segments)


def pointed_manifests(
    tx: Transaction, evidence: list[TraceEvidence], segments: list[TracedSegment]
) -> tuple[Resolution, ...]:
    """Each video believed evidence (strongest first) or a traced segment points at, with its manifest."""
    believed = [e for e in evidence if e.believed]
    pointed = {e.video_id: e.status for e in sorted(believed, key=lambda e: _STRENGTH.index(e.source))}
    for seg in segments:
        pointed.setdefault(seg.video_id, seg.status)
    return tuple(resolution_of(tx, video_id, st) for video_id, st in pointed.items())


def trace_of(
    tx: Transaction, file: FileReading, marked: list[Resolution]
) -> tuple[list[TraceEvidence], list[TracedSegment], tuple[Resolution, ...]]:
    """The file's evidence, segments and the manifests they point at, as the registry holds them in `tx`."""
    evidence = evidence_of(tx, file, marked)
    segments = traced_segments(tx, file)
    return evidence, segments, pointed_manifests(tx, evidence, segments)


def traced(
    file: FileReading,
    marked: list[Resolution],
    evidence: list[TraceEvidence],
    segments: list[TracedSegment],
    manifests: tuple[Resolution, ...],
) -> TraceResult:
    """The answer: the video the strongest believed evidence names (else the most restrictive segment's) and the
    file's status."""
    believed = [e for e in evidence if e.believed]
    strongest = min(believed, key=lambda e: _STRENGTH.index(e.source), default=None)
    # When believed evidence disagrees, the most restrictive status wins: a purged copy never reads live, nor
    # does a copy with a purged segment in it.
    status = most_restrictive([e.status for e in believed] + [seg.status for seg in segments])
    video_id = strongest.video_id if strongest else None
    traced_by = strongest.source if strongest else None
    if video_id is None and segments:
        first = max(segments, key=lambda seg: restrictiveness(seg.status))
        video_id, traced_by = first.video_id, first.source
    return TraceResult(
        video_id,
        status,
        traced_by,
        file.manifest,
        file.watermark,
        marked[0].video_id if marked else None,
        file.fingerprint,
        tuple(evidence),
        tuple(segments),
        next((m.manifest_id for m in manifests if m.video_id == video_id), None),
        manifests,
    )


def segments_of(query: list[SegmentHash], index: SegmentIndex) -> list[SegmentMatch]:
    """Registered videos a stretch of the query matches in order: a full staydown run, or a shorter one whose
    frames are very close (a short cut of a video spliced into a copy)."""
    found = match_segments(query, index.index, index.times, min_run=_SHORT_SEGMENT_SAMPLES)
    return [m for m in found if m.samples >= _FULL_SEGMENT_SAMPLES or m.distance <= _SHORT_SEGMENT_DISTANCE]


def watermark_windows(
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


def merged(segments: list[TracedSegment]) -> list[TracedSegment]:
    """Overlapping or touching segments of one video from one source joined, in file order."""
    out: list[TracedSegment] = []
    for seg in sorted(segments, key=lambda s: (s.video_id, s.source, s.start_s)):
        last = out[-1] if out else None
        if last and (last.video_id, last.source) == (seg.video_id, seg.source) and seg.start_s <= last.end_s + 0.5:
            out[-1] = replace(last, end_s=max(last.end_s, seg.end_s))
        else:
            out.append(seg)
    return sorted(out, key=lambda s: (s.start_s, s.source))
