"""The frame nudity check: every frame it is fed is scored, a few at a time, and a short answer fails the check."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, cast

import numpy as np
import pytest
from PIL import Image

from policies import load_bundled_pack
from safety.checks.base import CheckContext
from safety.checks.frames_nsfw import SCORE_BATCH, FramesNsfwCheck
from safety.errors import ModelUnavailable
from safety.frames import FrameFeed, SharedFrame


class _Frames:
    def __init__(self, count: int) -> None:
        self.count = count

    def frames(self, name: str) -> Iterator[SharedFrame]:
        for i in range(self.count):
            image = np.full((36, 64, 3), int(255 * i / self.count), np.uint8)
            yield SharedFrame(i * 0.5, 0, image)


class _Recording:
    """Scores an image by its brightness and notes the size of every batch it is given."""

    def __init__(self, short: bool = False) -> None:
        self.batches: list[int] = []
        self.short = short

    def score_images(self, images: Iterable[Image.Image]) -> Any:
        given = list(images)
        self.batches.append(len(given))
        scores = [float(np.asarray(image).mean()) / 255 for image in given]
        return scores[:-1] if self.short else scores


def _context(count: int) -> CheckContext:
    context: Any = CheckContext.__new__(CheckContext)
    object.__setattr__(context, "frames", cast(FrameFeed, _Frames(count)))
    object.__setattr__(context, "policy", load_bundled_pack("default"))
    return cast(CheckContext, context)


@pytest.mark.parametrize("count", [1, 5, 24])
def test_every_frame_is_scored_in_small_batches(count: int) -> None:
    model = _Recording()
    outcome = FramesNsfwCheck(lambda: model).run(_context(count))
    assert sum(model.batches) == count and max(model.batches) <= SCORE_BATCH
    assert outcome.facts["frames_scored"] == count
    evidence = outcome.findings[0].evidence
    # The brightest frame is the last one, and it is the worst.
    assert evidence["worst_frames"][0]["t"] == pytest.approx((count - 1) * 0.5)


def test_a_model_that_skips_a_frame_fails_the_check() -> None:
    with pytest.raises(ModelUnavailable):
        FramesNsfwCheck(lambda: _Recording(short=True)).run(_context(4))


def test_no_frames_fails_the_check() -> None:
    with pytest.raises(ModelUnavailable):
        FramesNsfwCheck(_Recording).run(_context(0))


@pytest.mark.real_models
def test_open_nsfw_scores_the_same_in_small_batches() -> None:
    from safety.checks.frames_nsfw import open_nsfw

    rng = np.random.default_rng(7)
    images = [Image.fromarray(rng.integers(0, 256, (72, 128, 3), dtype=np.uint8)) for _ in range(6)]
    model = open_nsfw()
    together = np.asarray(model.score_images(images), dtype=np.float64)
    apart = np.concatenate([np.asarray(model.score_images(images[i : i + SCORE_BATCH])) for i in range(0, 6, 2)])
    assert np.allclose(together, apart, atol=1e-5)
