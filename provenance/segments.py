"""Staydown fingerprints: whole videos hashed by segment, and copies found however they were altered.

A banked (or published) video is hashed over its whole length twice a second. Each sampled frame is first stripped
of dark borders (letterbox, pillarbox) and then hashed with PDQ whole and, once a second, as crops, so a re-upload
cropped by up to a fifth still lands near one of them. A submission is sampled eight times a second; each sample is
stripped the same way and hashed in its eight dihedral variants (mirrors, rotations) at the cost of one, plus every
large inset rectangle found in it (picture-in-picture). A bank item matches when a run of its samples, in order and
at a plausible speed (0.5x to 2x), is near the submission's frames: prepended or appended footage, trims, frame-rate
and speed changes do not hide a segment. `bench/staydown.py` reports what is caught.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from provenance.fingerprint import FingerprintIndex, sampled_frames

BANK_EVERY_S = 0.5
QUERY_EVERY_S = 0.125
MAX_BANK_SAMPLES = 1800
MAX_QUERY_SAMPLES = 4800
MATCH_DISTANCE = 48
MIN_QUALITY = 25
MIN_RUN = 4
SPEEDS = (0.5, 2.0)
# Crops kept beside the whole frame: (width share, height share, where the kept part sits across, and down).
# Centre crops and a fifth off any one side cover re-uploads cropped by up to 20%.
CROPS = (
    (0.8, 0.8, 0.5, 0.5),
    (0.9, 0.9, 0.5, 0.5),
    (0.8, 1.0, 0.5, 0.5),
    (1.0, 0.8, 0.5, 0.5),
    (0.8, 1.0, 0.0, 0.5),
    (0.8, 1.0, 1.0, 0.5),
    (1.0, 0.8, 0.5, 0.0),
    (1.0, 0.8, 0.5, 1.0),
)
# Frames are shrunk to this before anything else (PDQ looks at 64x64 anyway), and insets further to
# `_INSET_HASH_SIDE` before PDQ: a picture-in-picture hashes as well at 128 px, at a twelfth of the cost.
_WORK_SIDE = 512
_INSET_HASH_SIDE = 128

Frame = NDArray[np.uint8]


@dataclass(frozen=True)
class SegmentHash:
    """One PDQ hash of a sampled frame (a frame has several: crops, or dihedral variants)."""

    t: float
    """Seconds into the video."""
    digest: bytes
    """256-bit PDQ hash."""
    quality: int
    """PDQ quality, 0-100."""


@dataclass(frozen=True)
class SegmentMatch:
    """A bank item found in a submission."""

    key: str
    """The bank item's key."""
    query_start: float
    """Where the matching run starts in the submission (seconds)."""
    query_end: float
    """Where it ends."""
    item_start: float
    """Where it starts in the bank item."""
    item_end: float
    """Where it ends in the bank item."""
    samples: int
    """Submission samples in the run."""
    distance: float
    """Median distance of the run's matches (bits of 256)."""
    share: float = 1.0
    """Share of the item's samples the run covers."""


def _shrink(frame: Frame, side: int = _WORK_SIDE) -> Frame:
    import cv2

    height, width = frame.shape[:2]
    if max(height, width) <= side:
        return frame
    scale = side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(cv2.resize(frame, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def trim_borders(frame: Frame, *, darkest: float = 28.0, flatness: float = 4.0, max_share: float = 0.4) -> Frame:
    """The frame without dark, flat bands at its edges (letterbox, pillarbox), at most `max_share` a side. Only
    near-black bands count: a flat sky or wall is picture, and trimming it would move the hash."""
    gray = frame.mean(axis=2, dtype=np.float32) if frame.ndim == 3 else frame.astype(np.float32)
    height, width = gray.shape

    def band(lines: NDArray[Any], limit: int) -> int:
        count = 0
        while count < limit and lines[count].std() < flatness and float(lines[count].mean()) < darkest:
            count += 1
        return count

    top = band(gray, int(height * max_share))
    bottom = band(gray[::-1], int(height * max_share))
    left = band(gray.T, int(width * max_share))
    right = band(gray.T[::-1], int(width * max_share))
    if height - top - bottom < 16 or width - left - right < 16:
        return frame
    return frame[top : height - bottom, left : width - right]


def _pdq(frame: Frame) -> tuple[bytes, int]:
    import pdqhash

    bits, quality = pdqhash.compute(np.ascontiguousarray(frame))
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes(), int(quality)


def _dihedral(frame: Frame, side: int = _WORK_SIDE) -> tuple[list[bytes], int]:
    import pdqhash

    hashes, quality = pdqhash.compute_dihedral(np.ascontiguousarray(_shrink(frame, side)))
    return [np.packbits(np.asarray(h, dtype=np.uint8)).tobytes() for h in hashes], int(quality)


def _crop(frame: Frame, width_share: float, height_share: float, across: float, down: float) -> Frame:
    height, width = frame.shape[:2]
    keep_h, keep_w = round(height * height_share), round(width * width_share)
    top, left = round((height - keep_h) * down), round((width - keep_w) * across)
    return frame[top : top + keep_h, left : left + keep_w]


def bank_hashes_of_frame(t: float, frame: Frame, *, crops: bool = True) -> list[SegmentHash]:
    """What a banked or published frame is stored as: its hash whole and (with `crops`) as crops, borders
    removed."""
    # Shrunk first: PDQ looks at 64x64 anyway, and trimming a small picture costs a fraction of a 4K one.
    trimmed = trim_borders(_shrink(frame))
    out = []
    for crop in ((1.0, 1.0, 0.5, 0.5), *(CROPS if crops else ())):
        digest, quality = _pdq(_crop(trimmed, *crop))
        if quality >= MIN_QUALITY:
            out.append(SegmentHash(t, digest, quality))
    return out


Box = tuple[int, int, int, int]


def insets(frame: Frame, *, min_share: float = 0.1, max_share: float = 0.85, limit: int = 6) -> list[Frame]:
    """Large rectangles drawn inside the frame (picture-in-picture), as crops."""
    return [_inset(frame, box) for box in inset_boxes(frame, min_share=min_share, max_share=max_share, limit=limit)]


def _inset(frame: Frame, box: Box) -> Frame:
    x0, y0, x1, y1 = box
    return frame[y0 + 2 : y1 - 1, x0 + 2 : x1 - 1]


def inset_boxes(frame: Frame, *, min_share: float = 0.1, max_share: float = 0.85, limit: int = 6) -> list[Box]:
    """Large rectangles drawn inside the frame (picture-in-picture), found from pairs of long straight edges:
    two horizontal ones spanning the same columns, or two vertical ones spanning the same rows."""
    import cv2

    gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY) if frame.ndim == 3 else frame
    height, width = gray.shape
    # Low Canny thresholds: an inset's border against a soft background is a faint edge, but a long straight one.
    # A light blur first: film grain would otherwise make a quarter of the pixels "edges" and hundreds of short
    # chance lines, which cost more to pair up than the whole rest of the hashing.
    edges = cv2.Canny(cv2.GaussianBlur(gray, (3, 3), 0), 10, 30)
    found = cv2.HoughLinesP(
        edges, 1, np.pi / 180, threshold=60, minLineLength=int(0.15 * min(width, height)), maxLineGap=6
    )
    lines = np.asarray(found, dtype=np.int64).reshape(-1, 4) if found is not None else np.zeros((0, 4), np.int64)
    a, b, c, d = lines.T
    flat = np.abs(b - d) <= 2
    upright = np.abs(a - c) <= 2
    horizontal = np.stack([np.minimum(a, c), np.maximum(a, c), (b + d) // 2], axis=1)[flat]
    vertical = np.stack([np.minimum(b, d), np.maximum(b, d), (a + c) // 2], axis=1)[upright]
    rects: set[tuple[int, int, int, int]] = set()
    for pairs, across in ((horizontal, False), (vertical, True)):
        # Every ordered pair of parallel lines at once: far enough apart, and spanning mostly the same stretch.
        start1, end1, at1 = (pairs[:, None, k] for k in range(3))
        start2, end2, at2 = (pairs[None, :, k] for k in range(3))
        overlap = np.minimum(end1, end2) - np.maximum(start1, start2)
        apart = at2 - at1 >= 0.15 * (width if across else height)
        shared = overlap >= 0.6 * np.minimum(end1 - start1, end2 - start2)
        low, high = np.minimum(start1, start2), np.maximum(end1, end2)
        for i, j in zip(*np.nonzero(apart & shared), strict=True):
            first, second, lo, hi = int(at1[i, 0]), int(at2[0, j]), int(low[i, j]), int(high[i, j])
            rects.add((first, lo, second, hi) if across else (lo, first, hi, second))
    area = width * height
    usable = [
        (x0, y0, x1, y1)
        for x0, y0, x1, y1 in rects
        if min_share * area <= (x1 - x0) * (y1 - y0) <= max_share * area and 0.3 <= (x1 - x0) / max(1, y1 - y0) <= 3.5
    ]
    usable.sort(key=lambda r: (r[2] - r[0]) * (r[3] - r[1]), reverse=True)
    return usable[:limit]


def query_hashes_of_frame(t: float, frame: Frame, boxes: Sequence[Box] | None = None) -> list[SegmentHash]:
    """What a submitted frame is compared as: dihedral variants of it (borders removed) and of each inset
    (`boxes`, found in the shrunk frame; looked for here when not given)."""
    out = []
    small = _shrink(frame)
    found = inset_boxes(small) if boxes is None else boxes
    regions = [(trim_borders(small), _WORK_SIDE), *((_inset(small, box), _INSET_HASH_SIDE) for box in found)]
    for region, side in regions:
        digests, quality = _dihedral(region, side)
        if quality >= MIN_QUALITY:
            out += [SegmentHash(t, d, quality) for d in digests]
    return out


class QueryHasher:
    """A submission's query hashes, frame by frame as they are decoded. Insets are looked for on every
    `inset_every`-th frame and kept for the frames between (an inset stays put, and finding one costs more than
    hashing it): at eight samples a second, they are still looked for twice a second."""

    def __init__(self, *, inset_every: int = 4) -> None:
        self.hashes: list[SegmentHash] = []
        self.frames = 0
        self._every = inset_every
        self._boxes: list[Box] = []

    def add(self, t: float, frame: Frame) -> None:
        if self.frames % self._every == 0:
            self._boxes = inset_boxes(_shrink(frame))
        self.hashes.extend(query_hashes_of_frame(t, frame, self._boxes))
        self.frames += 1


def bank_hashes(path: str) -> list[SegmentHash]:
    """A whole video's bank hashes: twice a second whole, once a second with the crop variants too."""
    return [
        h
        for i, (t, frame) in enumerate(sampled_frames(path, BANK_EVERY_S, MAX_BANK_SAMPLES))
        for h in bank_hashes_of_frame(t, frame, crops=i % 2 == 0)
    ]


def query_hashes(frames: Iterable[tuple[float, Frame]]) -> list[SegmentHash]:
    """A submission's query hashes from its sampled frames."""
    hasher = QueryHasher()
    for t, frame in frames:
        hasher.add(t, frame)
    return hasher.hashes


def query_frames(path: str) -> Iterator[tuple[float, Frame]]:
    """A submission's frames, twice a second over its whole length."""
    return sampled_frames(path, QUERY_EVERY_S, MAX_QUERY_SAMPLES)


class SegmentIndex:
    """Bank hashes with the time of their frame, for `match_segments`."""

    def __init__(self, entries: Sequence[tuple[str, bytes, float]]) -> None:
        self.index = FingerprintIndex([(key, digest) for key, digest, _ in entries])
        self.times = [t for _, _, t in entries]

    def __len__(self) -> int:
        return len(self.index)

    def match(self, query: Sequence[SegmentHash]) -> list[SegmentMatch]:
        """Bank items a run of the query matches, best first."""
        return match_segments(query, self.index, self.times)


def _longest_run(pairs: Sequence[tuple[float, float, int]]) -> list[tuple[float, float, int]]:
    """The longest chain of (item t, query t, distance), one per item sample, with both clocks moving forward at a
    plausible speed (0.5x to 2x, with a quarter second of slack for sampling)."""
    ordered = sorted(pairs)
    best: list[int] = [1] * len(ordered)
    back: list[int] = [-1] * len(ordered)
    for j, (tb, tq, _) in enumerate(ordered):
        for i in range(j):
            pb, pq, _ = ordered[i]
            if tb <= pb or tq <= pq:
                continue
            item_step, query_step = tb - pb, tq - pq
            if not SPEEDS[0] * query_step - 0.25 <= item_step <= SPEEDS[1] * query_step + 0.25:
                continue
            if best[i] + 1 > best[j]:
                best[j], back[j] = best[i] + 1, i
    if not ordered:
        return []
    end = max(range(len(ordered)), key=lambda k: best[k])
    run = []
    while end >= 0:
        run.append(ordered[end])
        end = back[end]
    return run[::-1]


def match_segments(
    query: Sequence[SegmentHash], index: FingerprintIndex, item_times: Sequence[float], *, min_run: int = MIN_RUN
) -> list[SegmentMatch]:
    """Bank items (keys of `index`, whose rows have the times `item_times`) that a run of the query matches: at
    least `min_run` of the item's samples (fewer for an item that short), each near a query frame, in order."""
    if not len(index) or not query:
        return []
    # item → item sample time → (distance, query time) of its nearest query frame
    nearest: dict[str, dict[float, tuple[int, float]]] = {}
    for h in query:
        for row, distance in index.near(h.digest, MATCH_DISTANCE):
            slot = nearest.setdefault(index.keys[row], {})
            at = item_times[row]
            if at not in slot or distance < slot[at][0]:
                slot[at] = (distance, h.t)
    samples: dict[str, set[float]] = {}
    for row, key in enumerate(index.keys):
        samples.setdefault(key, set()).add(item_times[row])
    matches = []
    for key, found in nearest.items():
        run = _longest_run([(tb, tq, d) for tb, (d, tq) in found.items()])
        # An item shorter than a run is matched by all of its samples.
        needed = min(min_run, len(samples[key]))
        if len(run) >= needed:
            matches.append(
                SegmentMatch(
                    key,
                    run[0][1],
                    run[-1][1],
                    run[0][0],
                    run[-1][0],
                    len(run),
                    float(np.median([d for _, _, d in run])),
                    round(len(run) / len(samples[key]), 3),
                )
            )
    return sorted(matches, key=lambda m: (-m.samples, m.distance))
