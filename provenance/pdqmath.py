"""PDQ in NumPy: Meta's perceptual hash computed as matrix products, for many pictures at once.

PDQ turns a picture into luma, blurs it with two passes of box filters across and down (windows of an
eighth of a 64th of each side, shrinking at the edges), keeps 64x64 samples at the centres of a 64x64 grid, and
takes the 16x16 lowest frequencies of their DCT (the constant one left out): a bit is set where a frequency is
above the median. Every step before the median is linear, so the blur and the sampling of a side of n pixels are
one 64 x n matrix (built once per size), and a picture's 64x64 samples are two matrix products; pictures of one
size (a region's strips) go through together, and the eight dihedral variants (mirrors, rotations) are sign
changes and transposes of the frequencies, as in the reference. The bits and the quality are `pdqhash`'s (the
reference C++; the test compares them on video frames of several sizes: float rounding could flip a coefficient
within a hair of the median, none did); what it saves is the reference bindings' per-call overhead (a float64
luma, the bits unpacked in Python eight times for the dihedral variants), most of the cost of a small picture's
hash.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

Frame = NDArray[np.uint8]
Luma = NDArray[np.float32]

# The frequencies kept, and the side of the sample grid they are taken from.
_FREQUENCIES = 16
_GRID = 64
# Pictures smaller than this on a side hash to nothing (quality 0), as in the reference.
_MIN_SIDE = 5
_LUMA = np.array([[0.299, 0.587, 0.114]], np.float32)
# (transpose, sign by row frequency, sign by column frequency) per dihedral variant, in `pdqhash`'s order:
# original, rotated 90, 180, 270, flipped top-bottom, left-right, about the main diagonal, about the other one.
# The signs are for even and odd frequencies (a mirror turns the odd cosines' signs, PDQ's first frequency is 1).
_DIHEDRAL = (
    (False, (1, 1), (1, 1)),
    (True, (1, 1), (-1, 1)),
    (False, (1, -1), (1, -1)),
    (True, (-1, 1), (1, 1)),
    (False, (-1, 1), (1, 1)),
    (False, (1, 1), (-1, 1)),
    (True, (1, 1), (1, 1)),
    (True, (1, -1), (1, -1)),
)
MIRROR = 5
"""Index of the left-right mirror among the dihedral variants."""


def luma(frame: Frame) -> Luma:
    """PDQ's luma of an RGB (or grey) frame, as float32."""
    import cv2

    if frame.ndim == 2:
        return np.asarray(frame, dtype=np.float32)
    # One output channel: OpenCV answers a 2-D array.
    return np.asarray(cv2.transform(np.ascontiguousarray(frame).astype(np.float32), _LUMA), dtype=np.float32)


@lru_cache(maxsize=256)
def _sampling(n: int) -> NDArray[np.float32]:
    """The 64 x n matrix that blurs a side of n pixels as PDQ does (two box passes) and samples it."""
    window = (n + 2 * _GRID - 1) // (2 * _GRID)
    # The reference's box: the window ends `half - 1` past each pixel (an even window reaches one further after
    # than before), cut at the edges and averaged over what is left.
    half = (window + 2) // 2
    box = np.zeros((n, n), np.float64)
    for i in range(n):
        lo, hi = max(0, i + half - window), min(n, i + half)
        box[i, lo:hi] = 1.0 / (hi - lo)
    picks = [int(((k + 0.5) * n) / _GRID) for k in range(_GRID)]
    return np.asarray((box @ box)[picks], dtype=np.float32)


@lru_cache(maxsize=1)
def _dct() -> NDArray[np.float32]:
    j = np.arange(_GRID)
    i = np.arange(1, _FREQUENCIES + 1)[:, None]
    return np.asarray(np.sqrt(2.0 / _GRID) * np.cos(np.pi / 2 / _GRID * i * (2 * j + 1)), dtype=np.float32)


def _quality(grid: NDArray[np.float32]) -> NDArray[np.int64]:
    """The reference's quality of 64x64 sample grids (..., 64, 64): significant gradients, summed."""
    down = np.trunc((grid[..., :-1, :] - grid[..., 1:, :]) * 100 / 255)
    across = np.trunc((grid[..., :, :-1] - grid[..., :, 1:]) * 100 / 255)
    total = np.abs(down).sum(axis=(-2, -1)) + np.abs(across).sum(axis=(-2, -1))
    return np.asarray(np.minimum(total.astype(np.int64) // 90, 100), dtype=np.int64)


def _bits(frequencies: NDArray[np.float32]) -> list[bytes]:
    """Hashes of (n, 16, 16) frequencies: a bit where a frequency is above the median (the lower of the two middle
    ones, as the reference's), packed as `pdqhash`'s bits are."""
    flat = frequencies.reshape(len(frequencies), -1)
    median = np.partition(flat, flat.shape[1] // 2 - 1, axis=1)[:, flat.shape[1] // 2 - 1 : flat.shape[1] // 2]
    packed = np.packbits((flat > median)[:, ::-1], axis=1)
    return [row.tobytes() for row in packed]


def frequencies(lumas: Sequence[Luma]) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """The 16x16 frequencies and quality of each luma picture; pictures of one size are done together."""
    out = np.zeros((len(lumas), _FREQUENCIES, _FREQUENCIES), np.float32)
    quality = np.zeros(len(lumas), np.int64)
    by_size: dict[tuple[int, int], list[int]] = {}
    for k, picture in enumerate(lumas):
        if min(picture.shape) >= _MIN_SIDE:
            by_size.setdefault(picture.shape, []).append(k)
    dct = _dct()
    for (height, width), ks in by_size.items():
        stack = np.stack([lumas[k] for k in ks]) if len(ks) > 1 else lumas[ks[0]][None]
        grid = np.asarray(_sampling(height) @ stack @ _sampling(width).T, dtype=np.float32)
        out[ks] = dct @ grid @ dct.T
        quality[ks] = _quality(grid)
    return out, quality


def hashes(lumas: Sequence[Luma], variants: Sequence[int] = (0,)) -> list[tuple[list[bytes], int]]:
    """Each luma picture's hashes (the dihedral `variants` asked for, by index) and quality."""
    if not lumas:
        return []
    found, quality = frequencies(lumas)
    parity = np.arange(_FREQUENCIES) % 2
    digests: list[list[bytes]] = [[] for _ in lumas]
    for v in variants:
        transpose, rows, columns = _DIHEDRAL[v]
        signs = np.asarray(rows, np.float32)[parity][:, None] * np.asarray(columns, np.float32)[parity][None, :]
        turned = found * signs
        for k, digest in enumerate(_bits(np.swapaxes(turned, 1, 2) if transpose else turned)):
            digests[k].append(digest)
    return [(d, int(q)) for d, q in zip(digests, quality, strict=True)]
