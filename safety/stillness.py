"""Still frames: whether a sampled frame shows what an earlier one showed, so a check may keep what it found there.

A frame is compared with the last frame a check worked on itself (its anchor), cell by cell: the mean of each
colour channel in each 16-pixel square, to the nearest grey level. It counts as the same picture when it is in the
same shot and no cell moved more than a noise level. Cells, not the frame's mean: a face put into an otherwise
still frame, or swapped for another, moves a few cells by tens of levels and the mean hardly at all. Only so many
frames in a row are let off, so the check still works on a still shot every few frames itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

import cv2
import numpy as np
from numpy.typing import NDArray

Key = TypeVar("Key")


@dataclass(frozen=True)
class Stillness:
    """When a frame counts as still."""

    max_run: int = 3
    """Most frames in a row that take an anchor's results (0: every frame is worked on)."""
    cell_px: int = 16
    """Side of the cells compared."""
    cell_levels: float = 8.0
    """Most a cell's mean may move (grey levels, in any colour channel): the bench's still clip moves a cell by
    at most 4 between frames (noise and compression), while another person's face pasted over one of its faces
    moves cells by 80 or more."""


def cell_means(image: NDArray[np.uint8], cell_px: int) -> NDArray[np.float32]:
    """The mean of each colour channel in each `cell_px` square of a frame (a thumbnail, one pixel a cell; to the
    nearest grey level, which costs a tenth of exact means)."""
    height, width = image.shape[:2]
    size = (max(1, width // cell_px), max(1, height // cell_px))
    thumbnail: NDArray[np.float32] = cv2.resize(image, size, interpolation=cv2.INTER_AREA).astype(np.float32)
    return thumbnail


class StillFrames(Generic[Key]):
    """Follows one check's frames in order: which earlier frame (by the check's key for it) a frame repeats."""

    def __init__(self, rule: Stillness) -> None:
        self.rule = rule
        self.anchor: tuple[Key, int, NDArray[np.float32]] | None = None
        self.run = 0

    def same_as(self, key: Key, shot: int, image: NDArray[np.uint8], *, may_anchor: bool = True) -> Key | None:
        """The key of the anchor this frame repeats, or None when the check must work on it; such a frame becomes
        the anchor when `may_anchor` (else there is none until one may be)."""
        rule = self.rule
        if rule.max_run <= 0:
            return None
        cells = cell_means(image, rule.cell_px)
        anchor = self.anchor
        if (
            anchor is not None
            and self.run < rule.max_run
            and anchor[1] == shot
            and anchor[2].shape == cells.shape
            and float(np.abs(cells - anchor[2]).max()) <= rule.cell_levels
        ):
            self.run += 1
            return anchor[0]
        self.anchor, self.run = ((key, shot, cells) if may_anchor else None), 0
        return None
