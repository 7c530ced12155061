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
`bench/staydown.py` reports what is caught, what unrelated footage matches, and the submission hashing's cost.
"""

from __future__ import annotations

import itertools
import math
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
# Frames are shrunk to this before anything else (PDQ looks at 64x64 anyway), and insets further to
# `_INSET_HASH_SIDE` before PDQ: a picture-in-picture hashes as well at 128 px, at a twelfth of the cost.
_WORK_SIDE = 512
_INSET_HASH_SIDE = 128
# Strips, panels and tilt-corrected frames are hashed at this side too (as cheap as insets, and as faithful).
_SMALL_HASH_SIDE = 128
# The centre crops (width and height share) a tilted frame is compared as once turned back: the largest that fits
# inside what the tilt kept (0.9 up to about 3.5 degrees on 16:9, 0.8 up to about 8.5).
_TILT_CROPS = (0.9, 0.8)
# Index of the left-right mirror among `pdqhash.compute_dihedral`'s eight hashes.
_MIRROR = 5

Frame = NDArray[np.uint8]
Box = tuple[int, int, int, int]
"""A rectangle in a frame: (left, top, right, bottom)."""


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
    x0, y0, x1, y1 = picture_box(frame, darkest=darkest, flatness=flatness, max_share=max_share)
    return frame[y0:y1, x0:x1]


def picture_box(frame: NDArray[Any], *, darkest: float = 28.0, flatness: float = 4.0, max_share: float = 0.4) -> Box:
    """Where `trim_borders` keeps the picture: (left, top, right, bottom)."""
    gray = _gray(frame)
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
        return (0, 0, width, height)
    return (left, top, width - right, height - bottom)


def _gray(frame: NDArray[Any]) -> NDArray[np.float32]:
    """The mean of the colour channels, as float32 (OpenCV's channel mix: fifteen times NumPy's mean's speed)."""
    import cv2

    if frame.ndim == 2:
        return np.asarray(frame, dtype=np.float32)
    return np.asarray(cv2.transform(frame.astype(np.float32), _CHANNEL_MEAN), dtype=np.float32)


_CHANNEL_MEAN = np.full((1, 3), 1 / 3, np.float32)


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
    """What a banked or published frame is stored as: its hash whole and (with `crops`) as crops and full-height
    strips (`window_offsets`), borders removed."""
    # Shrunk first: PDQ looks at 64x64 anyway, and trimming a small picture costs a fraction of a 4K one.
    trimmed = trim_borders(_shrink(frame))
    out = []
    for crop in ((1.0, 1.0, 0.5, 0.5), *(CROPS if crops else ())):
        digest, quality = _pdq(_crop(trimmed, *crop))
        if quality >= MIN_QUALITY:
            out.append(SegmentHash(t, digest, quality))
    if crops:
        # The centre crops again at the side tilts are hashed at (a tilt turned back is hashed small: PDQ's own
        # smoothing differs with the size it is given, by about 10 bits between 512 and 128 pixels).
        for share in _TILT_CROPS:
            digest, quality = _pdq(_shrink(_crop(trimmed, share, share, 0.5, 0.5), _SMALL_HASH_SIDE))
            if quality >= MIN_QUALITY:
                out.append(SegmentHash(t, digest, quality))
        height = trimmed.shape[0]
        strip = round(WINDOW_ASPECT * height)
        for left in window_offsets(trimmed.shape[1], height):
            digest, quality = _pdq(_shrink(trimmed[:, left : left + strip], _SMALL_HASH_SIDE))
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


def tilt_of(frame: Frame, *, darkest: float = 28.0) -> float | None:
    """The angle (degrees, counter-clockwise) a frame was turned by when its corners are black triangles (a small
    tilt on the same canvas, or on a larger one), else None. Each corner's triangle has legs along the two edges;
    the long one lies along the turned picture's edge, and the short over the long one is the tangent of the
    angle. The corners must agree."""
    dark = _gray(frame) < darkest
    height, width = dark.shape
    if height < 32 or width < 32:
        return None

    def run(line: NDArray[np.bool_]) -> int:
        light = np.flatnonzero(~line)
        return int(light[0]) if light.size else len(line)

    angles = []
    # (the row along the top or bottom edge, the column along the side, and whether a longer row means turned
    # counter-clockwise); the lines are one pixel in, away from an encoder's ringing at the very edge
    corners = (
        (dark[1, :], dark[:, 1], True),
        (dark[1, ::-1], dark[:, -2], False),
        (dark[-2, :], dark[::-1, 1], False),
        (dark[-2, ::-1], dark[::-1, -2], True),
    )
    for row, column, longer_row_counter_clockwise in corners:
        across, down = run(row), run(column)
        if min(across, down) < 3 or across >= width - 2 or down >= height - 2:
            continue
        # The runs are measured a pixel in from the edge: the legs are a little longer.
        across_leg, down_leg = float(across), float(down)
        for _ in range(3):
            across_leg, down_leg = across / (1 - 1 / down_leg), down / (1 - 1 / across_leg)
        angle = float(np.degrees(np.arctan(min(across_leg, down_leg) / max(across_leg, down_leg))))
        counter_clockwise = (across_leg > down_leg) == longer_row_counter_clockwise
        angles.append(angle if counter_clockwise else -angle)
    if len(angles) < 2 or max(angles) - min(angles) > 1.5:
        return None
    angle = float(np.median(angles))
    return angle if 0.7 <= abs(angle) <= 20 else None


def _untilt(frame: Frame, angle: float, *, measured: bool) -> list[Frame]:
    """A tilted frame turned back: as the centre crop of `_TILT_CROPS` that fits inside what the tilt kept (the
    black corners cut away) and, when the tilt was `measured`, whole without its dark borders (a tilt on a larger
    canvas). A measured tilt is turned back at full working size (0-4 bits from the banked crop); a searched one
    at half that, four times cheaper, for 10-20 bits more."""
    import cv2

    small = frame if measured else _shrink(frame, 2 * _SMALL_HASH_SIDE)
    height, width = small.shape[:2]
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), -angle, 1.0)
    back = np.asarray(cv2.warpAffine(small, turn, (width, height), flags=cv2.INTER_LINEAR), dtype=np.uint8)
    # The largest centred rectangle of the frame's shape inside the turned-back picture.
    sin, cos = abs(np.sin(np.radians(angle))), np.cos(np.radians(angle))
    kept = 1 / (cos + max(width / height, height / width) * sin)
    share = max((s for s in _TILT_CROPS if s <= kept + 0.02), default=min(_TILT_CROPS))
    return [_crop(back, share, share, 0.5, 0.5), *((trim_borders(back),) if measured else ())]


def _dark_corners(frame: Frame, *, darkest: float = 28.0) -> bool:
    """Whether all four corners are near black, as a tilt's are (even when the tilt cannot be measured because
    the picture is dark there too)."""
    patches = (frame[:3, :3], frame[:3, -3:], frame[-3:, :3], frame[-3:, -3:])
    return all(float(p.mean()) < darkest for p in patches)


def _jumps(frame: Frame, *, jump: int = 24) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    """Where the picture changes abruptly from left to right, and from top to bottom (1 or 0 a pixel), over two
    pixels (a join that an encoder smeared across a pixel still counts) and in any colour channel (two pictures of
    like brightness have a join too)."""
    import cv2

    maps = []
    for change in (cv2.absdiff(frame[:, 2:], frame[:, :-2]), cv2.absdiff(frame[2:], frame[:-2])):
        planes = cv2.split(change) if change.ndim == 3 else [change]
        largest = planes[0]
        for plane in planes[1:]:
            largest = cv2.max(largest, plane)
        maps.append(np.asarray(cv2.threshold(largest, jump, 1, cv2.THRESH_BINARY)[1], dtype=np.uint8))
    return maps[0], maps[1]


def _seams(jumps: NDArray[np.uint8], *, share: float = 0.6) -> list[int]:
    """Columns of a jump map (`_jumps`) where the picture changes abruptly down much of its height, far more than
    beside them: the joins of a split screen."""
    width = jumps.shape[1] + 2
    if width < 32:
        return []
    steps = jumps.mean(axis=0)
    # What changes beside a column (3 to 12 pixels away on either side): texture, or a long edge in the picture.
    kernel = np.r_[np.ones(10), np.zeros(5), np.ones(10)] / 20
    beside = np.convolve(steps, kernel, mode="same")
    found: list[int] = []
    low, high = int(0.15 * width), int(0.85 * width)
    for x in np.argsort(-steps[low:high])[:8] + low:
        if steps[x] < share:
            break
        if steps[x] >= 3 * beside[x] and all(abs(int(x) + 1 - f) > 0.05 * width for f in found):
            found.append(int(x) + 1)
    return sorted(found)


def _split(x0: int, x1: int, cuts: Sequence[int], *, min_share: float = 0.15) -> list[tuple[int, int]]:
    edges = [x0, *(x0 + c for c in cuts), x1]
    least = min_share * (x1 - x0)
    return [(a, b) for a, b in itertools.pairwise(edges) if b - a >= least]


def _trimmed_box(gray: NDArray[np.float32], box: Box, *, divider_share: float = 0.04) -> Box | None:
    """`box` of a grey frame without a thin flat line of any shade at an edge (the divider between panels), nor
    dark bands (a panel's letterbox); None when nothing but a dark or flat band is left."""
    x0, y0, x1, y1 = box
    part = gray[y0:y1, x0:x1]
    if float(part.std()) < 4.0:
        return None

    def flat(lines: NDArray[Any], limit: int) -> int:
        # Lines of one flat colour (a divider's edge pixels are mixed with the picture beside it by the encoder:
        # nearly flat counts), after at most two lines of picture (a seam is found within a pixel or two of the
        # divider's edge); a wider flat band is left to `picture_box` (a letterbox) or is picture.
        for start in range(3):
            count, first = start, float(lines[start].mean())
            while count < limit and lines[count].std() < 16.0 and abs(float(lines[count].mean()) - first) < 24.0:
                count += 1
            if count > start:
                return count if count < limit else 0
        return 0

    height, width = part.shape
    top, bottom = flat(part, int(height * divider_share) + 1), flat(part[::-1], int(height * divider_share) + 1)
    left, right = flat(part.T, int(width * divider_share) + 1), flat(part.T[::-1], int(width * divider_share) + 1)
    x0, y0, x1, y1 = x0 + left, y0 + top, x1 - right, y1 - bottom
    inner = part[top : height - bottom, left : width - right]
    # A letterbox band with an edge of the picture beside it is not a panel: too little of it is lit.
    if float(inner.std()) < 6.0 or float((inner > 28.0).mean()) < 0.1:
        return None
    left, top, right, bottom = picture_box(gray[y0:y1, x0:x1])
    return (x0 + left, y0 + top, x0 + right, y0 + bottom)


def panel_boxes(frame: Frame, *, limit: int = 6) -> list[Box]:
    """The panels of a split screen (side by side, top and bottom, grids), their dark borders removed: the frame
    cut at its seams, and each part cut again at the seams across it. Parts left dark or flat are dropped, and
    parts that come to the same picture once trimmed are kept once."""
    height, width = frame.shape[:2]
    # Jump maps of the whole frame once; a part's seams are read from its stretch of them.
    across, down = _jumps(frame)
    down_t = down.T
    parts: dict[Box, None] = {}
    for x0, x1 in _split(0, width, _seams(across)):
        parts[(x0, 0, x1, height)] = None
        for y0, y1 in _split(0, height, _seams(down_t[x0:x1])):
            parts[(x0, y0, x1, y1)] = None
    for y0, y1 in _split(0, height, _seams(down_t)):
        parts[(0, y0, width, y1)] = None
        for x0, x1 in _split(0, width, _seams(across[y0:y1])):
            parts[(x0, y0, x1, y1)] = None
    gray = _gray(frame)
    whole = _trimmed_box(gray, (0, 0, width, height))
    found: set[Box] = set()
    for part in parts:
        box = _trimmed_box(gray, part)
        if box is not None and box != whole and (box[2] - box[0]) * (box[3] - box[1]) >= 0.05 * width * height:
            found.add(box)

    def area(box: Box) -> int:
        return (box[2] - box[0]) * (box[3] - box[1])

    def overlap(a: Box, b: Box) -> int:
        return max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))

    # Single panels before rows or columns of several (a box holding a good part of another, smaller, found box),
    # larger first; nearly the same box once.
    def holds_another(box: Box) -> bool:
        return any(
            overlap(box, other) >= 0.9 * area(other) and 0.25 * area(box) <= area(other) <= 0.75 * area(box)
            for other in found
        )

    kept: list[Box] = []
    for box in sorted(found, key=lambda b: (holds_another(b), -area(b))):
        if all(overlap(box, k) < 0.85 * max(area(box), area(k)) for k in kept):
            kept.append(box)
    return kept[:limit]


# Angles a tilt is searched at (both ways) when the corners are dark but the tilt cannot be measured: 1.5 degrees
# apart, so one lies within 0.75 of any tilt up to 9.75 (PDQ moves by 20-34 bits for half a degree).
TILT_SEARCH = (1.5, 3.0, 4.5, 6.0, 7.5, 9.0)


@dataclass(frozen=True)
class Layout:
    """Where a submission's picture sits in its frames: insets, split-screen panels and a tilt. Looked for now
    and then and kept for the frames between (a layout stays put, and finding one costs more than hashing)."""

    insets: tuple[Box, ...] = ()
    panels: tuple[Box, ...] = ()
    tilt: float | None = None
    """The tilt measured from black corners."""
    dark_corners: bool = False
    """All four corners near black: a tilt that could not be measured is searched for."""


def layout_of(frame: Frame) -> Layout:
    """The layout of a frame (any size; found in its shrunk copy)."""
    small = _shrink(frame)
    tilt = tilt_of(small)
    return Layout(tuple(inset_boxes(small)), tuple(panel_boxes(small)), tilt, tilt is None and _dark_corners(small))


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
    small = _shrink(frame)
    found = layout_of(small) if layout is None else layout
    trimmed = trim_borders(small)
    regions = [
        (trimmed, _WORK_SIDE),
        *((_inset(small, box), _INSET_HASH_SIDE) for box in found.insets),
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
            digest, quality = _pdq(_shrink(_untilt(trimmed, angle, measured=False)[0], _SMALL_HASH_SIDE))
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
