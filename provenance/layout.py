"""Frame layout: where the picture is in a frame, as the staydown hashing needs to know it.

Dark borders (letterbox, pillarbox) are found and stripped; large inset rectangles (picture-in-picture) are found
by their straight edges; split-screen panels (side by side, top and bottom, grids) are cut at the seams where the
picture changes abruptly across the frame; a small tilt is measured from the black corners it leaves. Everything
works on frames shrunk to `WORK_SIDE` first: the layout does not need the detail, and a 4K frame would cost
sixty times as much. `provenance.segments` hashes what is found here.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

# Frames are shrunk to this before anything else (PDQ looks at 64x64 anyway).
WORK_SIDE = 512

Frame = NDArray[np.uint8]
Box = tuple[int, int, int, int]
"""A rectangle in a frame: (left, top, right, bottom)."""


def shrink(frame: Frame, side: int = WORK_SIDE) -> Frame:
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
    gray = gray_of(frame)
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


def gray_of(frame: NDArray[Any]) -> NDArray[np.float32]:
    """The mean of the colour channels, as float32 (OpenCV's channel mix: fifteen times NumPy's mean's speed)."""
    import cv2

    if frame.ndim == 2:
        return np.asarray(frame, dtype=np.float32)
    return np.asarray(cv2.transform(frame.astype(np.float32), _CHANNEL_MEAN), dtype=np.float32)


_CHANNEL_MEAN = np.full((1, 3), 1 / 3, np.float32)


def insets(frame: Frame, *, min_share: float = 0.1, max_share: float = 0.85, limit: int = 6) -> list[Frame]:
    """Large rectangles drawn inside the frame (picture-in-picture), as crops."""
    return [inset_crop(frame, box) for box in inset_boxes(frame, min_share=min_share, max_share=max_share, limit=limit)]


def inset_crop(frame: Frame, box: Box) -> Frame:
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
    dark = gray_of(frame) < darkest
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

    height, width = frame.shape[:2]
    if height < 3 or width < 3:
        # OpenCV answers None for the empty differences of a frame this small; nothing in it can be a seam.
        return np.zeros((height, max(width - 2, 0)), np.uint8), np.zeros((max(height - 2, 0), width), np.uint8)
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
    gray = gray_of(frame)
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


def dark_diagonal(frame: Frame, *, darkest: float = 28.0) -> tuple[bool, bool]:
    """Whether the top-left and bottom-right corners are near black, and whether the top-right and bottom-left
    are: a 9:16 cut of a tilted frame keeps two of the tilt's black corners, across from each other, the top-left
    one when the tilt was counter-clockwise."""

    def dark(patch: Frame) -> bool:
        return float(patch.mean()) < darkest

    return (
        dark(frame[:3, :3]) and dark(frame[-3:, -3:]),
        dark(frame[:3, -3:]) and dark(frame[-3:, :3]),
    )


def layout_of(frame: Frame) -> Layout:
    """The layout of a frame (any size; found in its shrunk copy)."""
    small = shrink(frame)
    tilt = tilt_of(small)
    return Layout(tuple(inset_boxes(small)), tuple(panel_boxes(small)), tilt, tilt is None and _dark_corners(small))
