"""Staydown fingerprints: whole videos hashed by segment, and copies found however they were altered.

A banked (or published) video is hashed over its whole length twice a second. Each sampled frame is first stripped
of dark borders (letterbox, pillarbox) and then hashed with PDQ whole and, once a second, as crops, so a re-upload
cropped by up to a fifth still lands near one of them, and as full-height strips from edge to edge, so a 9:16 cut
of a 16:9 video (a third of its width, anywhere across) or half a split screen cropped to fill holds one of them.
A submission is sampled eight times a second; each sample is stripped the same way and hashed in its eight
dihedral variants (mirrors, rotations) at the cost of one, plus every large inset rectangle found in it
(picture-in-picture), every panel of a split screen (side by side, top and bottom, grids; cut at the seams where
the picture changes abruptly across the frame) and, for a small tilt, the frame turned back: by the angle its black
corners show, or, when dark footage hides them, by each of a few angles. Narrow regions (the frame of a 9:16 cut,
a panel) are hashed as strips too, finely spaced, because PDQ moves by about 50 bits for a shift of 1% of the
height. A bank item matches when a run of its samples, in order and at a plausible speed (0.5x to 2x), is near the
submission's frames: prepended or appended footage, trims, frame-rate and speed changes do not hide a segment.
Where the picture lies in a frame is `provenance.layout`; how runs of hashes are matched is
`provenance.segment_matching` (both re-exported here). `bench/staydown.py` reports what is caught, what unrelated
footage matches, and the submission hashing's cost.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

import numpy as np

from provenance.fingerprint import sampled_frames
from provenance.layout import (
    TILT_SEARCH,
    WORK_SIDE,
    Box,
    Frame,
    Layout,
    inset_boxes,
    inset_crop,
    insets,
    layout_of,
    panel_boxes,
    picture_box,
    shrink,
    tilt_of,
    trim_borders,
)
from provenance.segment_matching import (
    MATCH_DISTANCE,
    MIN_RUN,
    SPEEDS,
    SegmentHash,
    SegmentIndex,
    SegmentMatch,
    match_segments,
)

BANK_EVERY_S = 0.5
QUERY_EVERY_S = 0.125
MAX_BANK_SAMPLES = 1800
MAX_QUERY_SAMPLES = 4800
MIN_QUALITY = 25
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
# Sliding windows (bank side, once a second): full-height strips this many heights wide, placed from the centre
# outwards every `WINDOW_STEP` heights and at both edges. A 9:16 cut of a 16:9 video (a third of the width), or a
# half of a side-by-side split screen cropped to fill, holds such a strip somewhere; the submission side hashes
# strips of its narrow regions a pixel apart (at 128 pixels high) over one `WINDOW_STEP`, so one of them lies
# within half a pixel of a banked strip. PDQ moves by about 50 of 256 bits for a shift of 1% of the height, 18 for 0.5%:
# the submission's step must be fine, and the bank's coarse step keeps the stored rows few.
WINDOW_ASPECT = 0.45
WINDOW_STEP = 0.08
# A region at most this wide for its height is hashed as strips too (9:16, a half of a 16:9 split, 9:8 panels).
_NARROW = 1.3
_MAX_NARROW = 3
# Insets are shrunk to this before PDQ: a picture-in-picture hashes as well at 128 px, at a twelfth of the cost.
_INSET_HASH_SIDE = 128
# Strips, panels and tilt-corrected frames are hashed at this side too (as cheap as insets, and as faithful).
_SMALL_HASH_SIDE = 128
# The centre crops (width and height share) a tilted frame is compared as once turned back: the largest that fits
# inside what the tilt kept (0.9 up to about 3.5 degrees on 16:9, 0.8 up to about 8.5).
_TILT_CROPS = (0.9, 0.8)
# Index of the left-right mirror among `pdqhash.compute_dihedral`'s eight hashes.
_MIRROR = 5


def _pdq(frame: Frame) -> tuple[bytes, int]:
    import pdqhash

    bits, quality = pdqhash.compute(np.ascontiguousarray(frame))
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes(), int(quality)


def _dihedral(frame: Frame, side: int = WORK_SIDE) -> tuple[list[bytes], int]:
    import pdqhash

    hashes, quality = pdqhash.compute_dihedral(np.ascontiguousarray(shrink(frame, side)))
    return [np.packbits(np.asarray(h, dtype=np.uint8)).tobytes() for h in hashes], int(quality)


def _crop(frame: Frame, width_share: float, height_share: float, across: float, down: float) -> Frame:
    height, width = frame.shape[:2]
    keep_h, keep_w = round(height * height_share), round(width * width_share)
    top, left = round((height - keep_h) * down), round((width - keep_w) * across)
    return frame[top : top + keep_h, left : left + keep_w]


def bank_hashes_of_frame(t: float, frame: Frame, *, crops: bool = True) -> list[SegmentHash]:
    """What a banked or published frame is stored as: its hash whole and (with `crops`) as crops and full-height
    strips (`window_offsets`), borders removed."""
    # Shrunk first: PDQ looks at 64x64 anyway, and trimming a small picture costs a fraction of a 4K one.
    trimmed = trim_borders(shrink(frame))
    out = []
    for crop in ((1.0, 1.0, 0.5, 0.5), *(CROPS if crops else ())):
        digest, quality = _pdq(_crop(trimmed, *crop))
        if quality >= MIN_QUALITY:
            out.append(SegmentHash(t, digest, quality))
    if crops:
        # The centre crops again at the side tilts are hashed at (a tilt turned back is hashed small: PDQ's own
        # smoothing differs with the size it is given, by about 10 bits between 512 and 128 pixels).
        for share in _TILT_CROPS:
            digest, quality = _pdq(shrink(_crop(trimmed, share, share, 0.5, 0.5), _SMALL_HASH_SIDE))
            if quality >= MIN_QUALITY:
                out.append(SegmentHash(t, digest, quality))
        height = trimmed.shape[0]
        strip = round(WINDOW_ASPECT * height)
        for left in window_offsets(trimmed.shape[1], height):
            digest, quality = _pdq(shrink(trimmed[:, left : left + strip], _SMALL_HASH_SIDE))
            if quality >= MIN_QUALITY:
                out.append(SegmentHash(t, digest, quality))
    return out


def window_offsets(width: int, height: int) -> list[int]:
    """Left edges of the banked strips of a `width` x `height` frame: the centre one, then every `WINDOW_STEP`
    heights outwards, and the two at the edges (a cut kept at one side)."""
    strip = round(WINDOW_ASPECT * height)
    if width < strip:
        return []
    centre, step = (width - strip) / 2, WINDOW_STEP * height
    reach = int(centre // step) + 1
    return sorted({min(width - strip, max(0, round(centre + k * step))) for k in range(-reach, reach + 1)})


def _query_window_offsets(width: int, height: int) -> list[int]:
    """Left edges of a narrow region's strips (the region `height` pixels high, as `_windows` hashes it): a pixel
    apart over one `WINDOW_STEP` around the centre, so that wherever the region was cut from, one strip lies within
    half a pixel of a banked one."""
    strip = round(WINDOW_ASPECT * height)
    span = math.ceil(WINDOW_STEP * height)
    if width < strip + span:
        return []
    first = (width - strip - span) // 2
    return list(range(first, first + span + 1))


def _untilt(frame: Frame, angle: float, *, measured: bool) -> list[Frame]:
    """A tilted frame turned back: as the centre crop of `_TILT_CROPS` that fits inside what the tilt kept (the
    black corners cut away) and, when the tilt was `measured`, whole without its dark borders (a tilt on a larger
    canvas). A measured tilt is turned back at full working size (0-4 bits from the banked crop); a searched one
    at half that, four times cheaper, for 10-20 bits more."""
    import cv2

    small = frame if measured else shrink(frame, 2 * _SMALL_HASH_SIDE)
    height, width = small.shape[:2]
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), -angle, 1.0)
    back = np.asarray(cv2.warpAffine(small, turn, (width, height), flags=cv2.INTER_LINEAR), dtype=np.uint8)
    # The largest centred rectangle of the frame's shape inside the turned-back picture.
    sin, cos = abs(np.sin(np.radians(angle))), np.cos(np.radians(angle))
    kept = 1 / (cos + max(width / height, height / width) * sin)
    share = max((s for s in _TILT_CROPS if s <= kept + 0.02), default=min(_TILT_CROPS))
    return [_crop(back, share, share, 0.5, 0.5), *((trim_borders(back),) if measured else ())]


def _windows(region: Frame) -> list[Frame]:
    """A narrow region's strips: the region scaled once to the strips' hashing height (`_SMALL_HASH_SIDE`), and
    cut there a pixel apart (scaling each strip on its own would cost more than hashing it)."""
    import cv2

    height, width = region.shape[:2]
    side = _SMALL_HASH_SIDE
    scaled_width = max(1, round(width * side / height))
    shrinking = height > side
    how = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    scaled = np.asarray(cv2.resize(region, (scaled_width, side), interpolation=how), dtype=np.uint8)
    strip = round(WINDOW_ASPECT * side)
    return [scaled[:, left : left + strip] for left in _query_window_offsets(scaled_width, side)]


def _narrow(region: Frame) -> bool:
    return bool(region.shape[1] <= _NARROW * region.shape[0])


def query_hashes_of_frame(
    t: float, frame: Frame, layout: Layout | None = None, *, sparse: bool = True
) -> list[SegmentHash]:
    """What a submitted frame is compared as: dihedral variants of it (borders removed), of each inset and panel,
    and of the frame turned back from a measured tilt (`layout`, found in the shrunk frame; looked for here when
    not given); the frame and its narrow panels (a 9:16 cut, half a split screen) as strips and their mirrors;
    and on `sparse` frames, when the corners of a landscape frame are dark, the frame turned back at every angle
    of `TILT_SEARCH`."""
    out = []
    small = shrink(frame)
    found = layout_of(small) if layout is None else layout
    trimmed = trim_borders(small)
    regions = [
        (trimmed, WORK_SIDE),
        *((inset_crop(small, box), _INSET_HASH_SIDE) for box in found.insets),
        *((small[y0:y1, x0:x1], _SMALL_HASH_SIDE) for x0, y0, x1, y1 in found.panels),
        *((turned, _SMALL_HASH_SIDE) for turned in (_untilt(trimmed, found.tilt, measured=True) if found.tilt else ())),
    ]
    # A 9:16 cut keeps the full height: the frame's strips are taken before dark bands at its edges are trimmed
    # (dark rows or columns of the cut may be picture in the whole frame, where they were not trimmed); then the
    # narrow panels', largest first. Strips cost 22 hashes a region: three regions at most. They are hashed on
    # every frame: the bank keeps strips once a second, and a submission frame an eighth of a second off a banked
    # one is too often more than the distance away.
    own = small if _narrow(small) else trimmed if _narrow(trimmed) else None
    panels = [region for region, side in regions[1:] if side == _SMALL_HASH_SIDE and _narrow(region)]
    narrow = ([own] if own is not None else []) + panels
    narrow = narrow[:_MAX_NARROW]
    for region, side in regions:
        digests, quality = _dihedral(region, side)
        if quality >= MIN_QUALITY:
            out += [SegmentHash(t, d, quality) for d in digests]
    # Strips only as they are and mirrored: their other dihedral variants would be compared in vain (a 9:16 cut
    # turned on its side, say), and each compared hash is a chance of a false match.
    for window in (w for region in narrow for w in _windows(region)):
        digests, quality = _dihedral(window, _SMALL_HASH_SIDE)
        if quality >= MIN_QUALITY:
            out += [SegmentHash(t, digests[0], quality), SegmentHash(t, digests[_MIRROR], quality)]
    # A searched tilt, as it is only: twelve angles are the costliest part of a frame's hashing already.
    # (A narrow frame is hashed as strips instead: a tilt is searched for in landscape frames only.)
    if sparse and found.dark_corners and found.tilt is None and own is None:
        for angle in (sign * a for a in TILT_SEARCH for sign in (1, -1)):
            digest, quality = _pdq(shrink(_untilt(trimmed, angle, measured=False)[0], _SMALL_HASH_SIDE))
            if quality >= MIN_QUALITY:
                out.append(SegmentHash(t, digest, quality))
    return out


class QueryHasher:
    """A submission's query hashes, frame by frame as they are decoded. The layout (insets, panels, tilt) is
    looked for on every `layout_every`-th frame and kept for the frames between: at eight samples a second, it is
    still looked for twice a second. Searched tilts are hashed on every `sparse_every`-th frame (four times a
    second: within a sixteenth of a second of every banked sample)."""

    def __init__(self, *, layout_every: int = 4, sparse_every: int = 2) -> None:
        self.hashes: list[SegmentHash] = []
        self.frames = 0
        self._every = layout_every
        self._sparse_every = sparse_every
        self._layout = Layout()

    def add(self, t: float, frame: Frame) -> None:
        if self.frames % self._every == 0:
            self._layout = layout_of(frame)
        sparse = self.frames % self._sparse_every == 0
        self.hashes.extend(query_hashes_of_frame(t, frame, self._layout, sparse=sparse))
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


# The frame layout's names stay importable from here, where the staydown hashing has always offered them.
__all__ = [
    "BANK_EVERY_S",
    "CROPS",
    "MATCH_DISTANCE",
    "MAX_BANK_SAMPLES",
    "MAX_QUERY_SAMPLES",
    "MIN_QUALITY",
    "MIN_RUN",
    "QUERY_EVERY_S",
    "SPEEDS",
    "TILT_SEARCH",
    "WINDOW_ASPECT",
    "WINDOW_STEP",
    "WORK_SIDE",
    "Box",
    "Frame",
    "Layout",
    "QueryHasher",
    "SegmentHash",
    "SegmentIndex",
    "SegmentMatch",
    "bank_hashes",
    "bank_hashes_of_frame",
    "inset_boxes",
    "inset_crop",
    "insets",
    "layout_of",
    "match_segments",
    "panel_boxes",
    "picture_box",
    "query_frames",
    "query_hashes",
    "query_hashes_of_frame",
    "shrink",
    "tilt_of",
    "trim_borders",
    "window_offsets",
]
