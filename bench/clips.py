"""Clips the benches share: a real group photo slowly zooming, with film-like grain.

Grain matters: a flat synthetic scene decodes and encodes many times faster than camera footage, and would flatter
every figure. The photo is the fixtures' group photo of two people when `../shared/fixtures` is there, else the
group photo that the insightface package ships (so the benches run anywhere the project installs).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from generator.render import write_mp4

_FIXTURES = Path(os.environ.get("CAMEOGUARD_FIXTURES", Path(__file__).resolve().parents[2] / "shared" / "fixtures"))


def group_photo() -> tuple[Path, str]:
    """(photo, where it came from)."""
    fixture = _FIXTURES / "faces" / "_groups" / "kit_harington+rose_leslie.jpg"
    if fixture.is_file():
        return fixture, "fixtures: kit_harington+rose_leslie.jpg (two faces)"
    import insightface

    return Path(insightface.__file__).parent / "data" / "images" / "t1.jpg", "insightface's t1.jpg (six faces)"


def zooming_photo_clip(
    out: Path,
    *,
    seconds: float = 10.0,
    width: int = 1280,
    height: int = 720,
    fps: int = 30,
    grain: float = 7.0,
    zoom: float = 1 / 3,
) -> Path:
    """The group photo zooming in by `zoom` (a third) over the clip, with fresh grain each frame."""
    photo_path, _ = group_photo()
    loaded = cv2.imread(str(photo_path))
    if loaded is None:
        raise FileNotFoundError(photo_path)
    photo = cv2.cvtColor(loaded, cv2.COLOR_BGR2RGB)
    total = max(1, round(seconds * fps))
    rng = np.random.default_rng(7)
    # A few grain fields, shifted differently every frame: fresh-looking noise at a fraction of the cost.
    fields = [rng.normal(0.0, grain, (height + 16, width + 16, 3)).astype(np.int16) for _ in range(4)]

    def frames() -> Iterator[NDArray[np.uint8]]:
        # The whole photo in view at first (faces included, whatever its shape), then closing in on its upper
        # part, where the faces of a group photo are.
        fit = min(width / photo.shape[1], height / photo.shape[0])
        for index in range(total):
            progress = index / total * zoom
            scale = fit * (1.0 + progress)
            focus_y = photo.shape[0] * (0.5 - 0.45 * progress)
            matrix = np.array(
                [
                    [scale, 0.0, width / 2 - scale * photo.shape[1] / 2],
                    [0.0, scale, height / 2 - scale * focus_y],
                ]
            )
            picture = cv2.warpAffine(photo, matrix, (width, height), flags=cv2.INTER_LINEAR, borderValue=(40, 40, 44))
            dx, dy = (index * 7) % 16, (index * 11) % 16
            noise = fields[index % len(fields)][dy : dy + height, dx : dx + width]
            yield np.clip(picture.astype(np.int16) + noise, 0, 255).astype(np.uint8)

    return write_mp4(frames(), out, width=width, height=height, fps=fps, audio_seed=0)


def still_photo_clip(out: Path, *, seconds: float = 10.0, width: int = 1280, height: int = 720) -> Path:
    """The group photo held still with light noise (2 grey levels): the clip the whole gate's 4 s target is set on."""
    return zooming_photo_clip(out, seconds=seconds, width=width, height=height, grain=2.0, zoom=0.0)
