"""Staydown fingerprints: whole videos hashed by segment, and copies found however they were altered.

A banked (or published) video is hashed over its whole length twice a second, and the two frames either side of each
sample whole too (fast footage moves 40-90 bits in a frame, and a trimmed copy may fall between). Each sampled frame is
first stripped of dark borders (letterbox, pillarbox) and then hashed with PDQ whole and, once a second, as crops, so a
re-upload cropped by up to a fifth still lands near one of them, and as full-height strips from edge to edge, so a 9:16
cut of a 16:9 video (a third of its width, anywhere across) or half a split screen cropped to fill holds one of them. A
submission is sampled eight times a second, on the very frames a bank samples and three between each (a copy that keeps
the original's timing is compared frame for frame); each sample is stripped the same way and hashed in its eight
dihedral variants (mirrors, rotations) at the cost of one, plus every large inset rectangle found in it
(picture-in-picture), every panel of a split screen (side by side, top and bottom, grids; cut at the seams where the
picture changes abruptly across the frame) and, for a small tilt, the frame turned back: by the angle its black corners
show, or, when dark footage hides them, by each of a few angles. Narrow regions (the frame of a 9:16 cut, a panel) are
hashed as strips too, finely spaced, because PDQ moves by about 50 bits for a shift of 1% of the height; a 9:16 cut of a
tilted frame, whose two black corners lean one way, has its centre strip turned back by the angles that way. PDQ is
computed in NumPy (`provenance.pdqmath`, the reference's bits), all of a frame's pictures of one size together. A bank
item matches when a run of its samples, in order and at a plausible speed (0.5x to 2x), is near the submission's frames:
prepended or appended footage, trims, frame-rate and speed changes do not hide a segment. Where the picture lies in a
frame is `provenance.layout`; how runs of hashes are matched is `provenance.segment_matching` (both re-exported here).
`bench/staydown.py` reports what is caught, what unrelated footage matches, and the submission hashing's cost.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator

import numpy as np

from provenance import pdqmath
from provenance.fingerprint import sampled_frames
from provenance.layout import (
    TILT_SEARCH,
    WORK_SIDE,
    Box,
    Frame,
    Layout,
    dark_diagonal,
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
QUERY_WITHIN = round(BANK_EVERY_S / QUERY_EVERY_S)
MAX_BANK_SAMPLES = 1800
# Frames either side of a banked sample banked whole (and as tilt crops) too, under the sample's time: a
# submission sampled eight times a second has a frame within two of every banked one whatever its trim, and fast
# footage (a hand-held close-up) moves 40-90 bits in a frame, so a copy trimmed at the wrong frame would otherwise
# miss every sample.
NEIGHBOURS = 2
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
# Insets, strips, panels and tilt-corrected frames are shrunk to this before PDQ: a picture-in-picture hashes as
# well at 128 px as at 512, at a twelfth of the cost.
_SMALL_HASH_SIDE = 128
# The centre crops (width and height share) a tilted frame is compared as once turned back: the largest that fits
# inside what the tilt kept (0.9 up to about 3.5 degrees on 16:9, 0.8 up to about 8.5).
_TILT_CROPS = (0.9, 0.8)


def _pdq(frame: Frame) -> tuple[bytes, int]:
    ((digests, quality),) = pdqmath.hashes([pdqmath.luma(frame)])
    return digests[0], quality


def _dihedral(frame: Frame, side: int = WORK_SIDE) -> tuple[list[bytes], int]:
    ((digests, quality),) = pdqmath.hashes([pdqmath.luma(shrink(frame, side))], range(8))
    return digests, quality


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
    pictures = [_crop(trimmed, *crop) for crop in ((1.0, 1.0, 0.5, 0.5), *(CROPS if crops else ()))]
    if crops:
        # The centre crops again at the side tilts are hashed at (a tilt turned back is hashed small: PDQ's own
        # smoothing differs with the size it is given, by about 10 bits between 512 and 128 pixels).
        pictures += [shrink(_crop(trimmed, share, share, 0.5, 0.5), _SMALL_HASH_SIDE) for share in _TILT_CROPS]
        height = trimmed.shape[0]
        strip = round(WINDOW_ASPECT * height)
        pictures += [
            shrink(trimmed[:, left : left + strip], _SMALL_HASH_SIDE)
            for left in window_offsets(trimmed.shape[1], height)
        ]
    found = pdqmath.hashes([pdqmath.luma(p) for p in pictures])
    return [SegmentHash(t, digests[0], quality) for digests, quality in found if quality >= MIN_QUALITY]


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
    """Left edges of a narrow region's strips (the region `height` pixels high, as `_strips` cuts it): a pixel
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
    is given shrunk to half that, four times cheaper, for 10-20 bits more."""
    back = _turned(frame, angle)
    height, width = back.shape[:2]
    # The largest centred rectangle of the frame's shape inside the turned-back picture.
    sin, cos = abs(np.sin(np.radians(angle))), np.cos(np.radians(angle))
    kept = 1 / (cos + max(width / height, height / width) * sin)
    share = max((s for s in _TILT_CROPS if s <= kept + 0.02), default=min(_TILT_CROPS))
    return [_crop(back, share, share, 0.5, 0.5), *((trim_borders(back),) if measured else ())]


def _turned(frame: Frame, angle: float) -> Frame:
    """`frame` turned back by `angle` degrees about its centre, on a canvas of its own size."""
    import cv2

    height, width = frame.shape[:2]
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), -angle, 1.0)
    return np.asarray(cv2.warpAffine(frame, turn, (width, height), flags=cv2.INTER_LINEAR), dtype=np.uint8)


def _scaled(region: Frame, side: int = _SMALL_HASH_SIDE) -> Frame:
    """`region` scaled to `side` pixels high, whatever its width (strips are cut from it)."""
    import cv2

    height, width = region.shape[:2]
    how = cv2.INTER_AREA if height > side else cv2.INTER_LINEAR
    size = (max(1, round(width * side / height)), side)
    return np.asarray(cv2.resize(region, size, interpolation=how), dtype=np.uint8)


def _strips(scaled: pdqmath.Luma) -> list[pdqmath.Luma]:
    """A narrow region's strips, cut a pixel apart from its luma at the strips' hashing height (scaling each strip
    on its own would cost more than hashing it)."""
    height, width = scaled.shape
    strip = round(WINDOW_ASPECT * height)
    return [scaled[:, left : left + strip] for left in _query_window_offsets(width, height)]


def _narrow(region: Frame) -> bool:
    return bool(region.shape[1] <= _NARROW * region.shape[0])


def _tilted_strips(scaled: Frame, angles: Iterable[float]) -> list[pdqmath.Luma]:
    """The centre strip of a narrow frame (`scaled` to the strips' height) turned back by each of `angles`. A
    9:16 cut from the middle of a tilted frame, turned back about its own centre, has the banked frame's rows again
    from top to bottom, and its centre strip is the banked centre strip but for two slivers of black corner (5-6
    pixels of 128 at the ends of a 4 degree tilt), 15-25 bits away."""
    height, width = scaled.shape[:2]
    strip = round(WINDOW_ASPECT * height)
    left = (width - strip) // 2
    return [pdqmath.luma(_turned(scaled, angle)[:, left : left + strip]) for angle in angles]


def query_hashes_of_frame(
    t: float, frame: Frame, layout: Layout | None = None, *, sparse: bool = True
) -> list[SegmentHash]:
    """What a submitted frame is compared as: dihedral variants of it (borders removed), of each inset and panel,
    and of the frame turned back from a measured tilt (`layout`, found in the shrunk frame; looked for here when
    not given); the frame and its narrow panels (a 9:16 cut, half a split screen) as strips and their mirrors;
    and on `sparse` frames, when the corners show a tilt that could not be measured, the frame (or a narrow
    frame's centre strip) turned back at every angle of `TILT_SEARCH` that fits them."""
    small = shrink(frame)
    found = layout_of(small) if layout is None else layout
    trimmed = trim_borders(small)
    # Insets, panels and a measured tilt turned back: hashed whole (small), and as strips when narrow.
    parts = [
        *(inset_crop(small, box) for box in found.insets),
        *(small[y0:y1, x0:x1] for x0, y0, x1, y1 in found.panels),
        *(_untilt(trimmed, found.tilt, measured=True) if found.tilt else ()),
    ]
    regions = [trimmed, *(shrink(part, _SMALL_HASH_SIDE) for part in parts)]
    # A 9:16 cut keeps the full height: the frame's strips are taken before dark bands at its edges are trimmed
    # (dark rows or columns of the cut may be picture in the whole frame, where they were not trimmed); then the
    # narrow parts', largest first. Strips cost 12 hashes a region: three regions at most. They are hashed on
    # every frame: the bank keeps strips once a second, and a fast-moving picture is too often more than the
    # distance away a frame or two off a banked one.
    own = small if _narrow(small) else trimmed if _narrow(trimmed) else None
    narrow = ([own] if own is not None else []) + [part for part in parts if _narrow(part)]
    scaled = [_scaled(region) for region in narrow[:_MAX_NARROW]]
    # Strips only as they are and mirrored: their other dihedral variants would be compared in vain (a 9:16 cut
    # turned on its side, say), and each compared hash is a chance of a false match.
    strips = [s for region in scaled for s in _strips(pdqmath.luma(region))]
    turned_strips, searched = _turned_back(trimmed, found, own, scaled, sparse)
    return [
        *_kept(t, [pdqmath.luma(r) for r in regions], range(8)),
        *_kept(t, strips + turned_strips, (0, pdqmath.MIRROR)),
        *_kept(t, searched, (0, pdqmath.MIRROR)),
    ]


def _turned_back(
    trimmed: Frame, found: Layout, own: Frame | None, scaled: list[Frame], sparse: bool
) -> tuple[list[pdqmath.Luma], list[pdqmath.Luma]]:
    """A tilt turned back, as (strips, whole frames). A narrow frame's centre strip, by the tilt measured or, on
    `sparse` frames, by each angle its black corners lean; a landscape frame whose tilt could not be measured, whole
    at every angle of `TILT_SEARCH` (hashed as it is and mirrored: a mirrored copy leans the other way)."""
    if own is not None and scaled:
        counter, clockwise = dark_diagonal(own)
        leaning = [sign * a for a in TILT_SEARCH for sign, lean in ((1, counter), (-1, clockwise)) if lean]
        return _tilted_strips(scaled[0], [found.tilt] if found.tilt else leaning if sparse else []), []
    if not (sparse and found.dark_corners and found.tilt is None):
        return [], []
    # Twelve angles are the costliest part of a frame's hashing already: turned back at half the working size,
    # shrunk once for all of them.
    half = shrink(trimmed, 2 * _SMALL_HASH_SIDE)
    searched = [
        pdqmath.luma(shrink(_untilt(half, sign * a, measured=False)[0], _SMALL_HASH_SIDE))
        for a in TILT_SEARCH
        for sign in (1, -1)
    ]
    return [], searched


def _kept(t: float, lumas: list[pdqmath.Luma], variants: Iterable[int] = (0,)) -> list[SegmentHash]:
    """The hashes of `lumas` in the dihedral `variants` asked for, where PDQ's quality is enough to compare."""
    return [
        SegmentHash(t, d, q)
        for digests, q in pdqmath.hashes(lumas, list(variants))
        if q >= MIN_QUALITY
        for d in digests
    ]


class QueryHasher:
    """A submission's query hashes, frame by frame as they are decoded. The layout (insets, panels, tilt) is
    looked for on every `layout_every`-th frame and kept for the frames between: at eight samples a second, it is
    still looked for twice a second. Searched tilts are hashed on every `sparse_every`-th frame (four times a
    second, the frames a bank samples among them: `query_frames`)."""

    def __init__(self, *, layout_every: int = 4, sparse_every: int = 2) -> None:
        self.hashes: list[SegmentHash] = []
        self.frames = 0
        self._every = layout_every
        self._sparse_every = sparse_every
        self._layout = Layout()

    def add(self, t: float, frame: Frame) -> list[SegmentHash]:
        """The hashes of the frame shown at `t`, also kept in `hashes`."""
        if self.frames % self._every == 0:
            self._layout = layout_of(frame)
        found = query_hashes_of_frame(t, frame, self._layout, sparse=self.frames % self._sparse_every == 0)
        self.hashes.extend(found)
        self.frames += 1
        return found


def bank_hashes(path: str) -> list[SegmentHash]:
    """A whole video's bank hashes: twice a second whole, once a second with the crop variants too, and the
    `NEIGHBOURS` frames either side of each sample whole, under the sample's time."""
    from provenance.fingerprint import upright_frames

    out: list[SegmentHash] = []
    # The frames just before a sample wait here (unconverted) until the sample is reached.
    before: list[Callable[[], Frame]] = []
    after = 0
    sample_t, samples, next_t = 0.0, 0, 0.0
    for t, picture in upright_frames(path):
        if samples < MAX_BANK_SAMPLES and t + 1e-6 >= next_t:
            out += bank_hashes_of_frame(t, picture(), crops=samples % 2 == 0)
            out += [h for earlier in before for h in _neighbour(t, earlier())]
            sample_t, samples, next_t, before, after = t, samples + 1, t + BANK_EVERY_S, [], NEIGHBOURS
        elif after:
            out += _neighbour(sample_t, picture())
            after -= 1
        else:
            before = [*before, picture][-NEIGHBOURS:]
        if samples >= MAX_BANK_SAMPLES and not after:
            break
    return out


def _neighbour(t: float, frame: Frame) -> list[SegmentHash]:
    """A frame beside a banked sample, under the sample's time `t`: whole, and as the centre crops a tilt turned
    back is compared with (a tilt searched for is as sensitive to motion)."""
    trimmed = trim_borders(shrink(frame))
    pictures = [trimmed, *(shrink(_crop(trimmed, s, s, 0.5, 0.5), _SMALL_HASH_SIDE) for s in _TILT_CROPS)]
    found = pdqmath.hashes([pdqmath.luma(p) for p in pictures])
    return [SegmentHash(t, digests[0], quality) for digests, quality in found if quality >= MIN_QUALITY]


def query_hashes(frames: Iterable[tuple[float, Frame]]) -> list[SegmentHash]:
    """A submission's query hashes from its sampled frames."""
    hasher = QueryHasher()
    for t, frame in frames:
        hasher.add(t, frame)
    return hasher.hashes


def query_frames(path: str) -> Iterator[tuple[float, Frame]]:
    """A submission's frames, eight times a second over its whole length: the frames a bank would sample (twice a
    second), each followed by three more evenly (`QUERY_WITHIN`)."""
    return sampled_frames(path, BANK_EVERY_S, MAX_QUERY_SAMPLES, within=QUERY_WITHIN)


# The frame layout's names stay importable from here, where the staydown hashing has always offered them.
__all__ = [
    "BANK_EVERY_S",
    "CROPS",
    "MATCH_DISTANCE",
    "MAX_BANK_SAMPLES",
    "MAX_QUERY_SAMPLES",
    "MIN_QUALITY",
    "MIN_RUN",
    "NEIGHBOURS",
    "QUERY_EVERY_S",
    "QUERY_WITHIN",
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
