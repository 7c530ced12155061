"""Which frames the slow detector looks at, within its budget, and that its failure fails the analysis."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from generator.render import write_mp4
from safety.errors import ModelUnavailable
from safety.faces.analyzer import DetectedFace, Embedding, FaceBox, RGBImage
from safety.faces.video import FacePipelineParams, analyse_video

SHOT_GREYS = (30, 90, 150, 210, 250)
"""Five one-second shots of flat grey; the fast detector "sees" a face only in the first."""


class ScriptedAnalyzer:
    """Fast detection finds a face only on the darkest shot; slow detection finds one anywhere."""

    model_id = "scripted"

    def __init__(self, *, slow_fails: bool = False) -> None:
        self.slow_looks: list[int] = []
        self.slow_fails = slow_fails
        self._lock = threading.Lock()

    def detect(self, image: RGBImage, *, thorough: bool = False) -> list[DetectedFace]:
        grey = int(round(float(image.mean()) / 10) * 10)
        box = FaceBox(10, 10, 60, 70)
        if thorough:
            with self._lock:
                self.slow_looks.append(grey)
            if self.slow_fails:
                raise ModelUnavailable("the slow detector is gone")
            return [DetectedFace(box, 0.9, "slow")]
        return [DetectedFace(box, 1.0, "fast")] if grey == SHOT_GREYS[0] else []

    def embed(self, image: RGBImage, face: DetectedFace, *, jitters: int = 0) -> Embedding:
        return np.full(128, float(image.mean()) / 255, np.float32)

    def landmarks68(self, image: RGBImage, face: DetectedFace) -> None:
        return None


@pytest.fixture(scope="module")
def shots_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    def frames() -> Iterator[np.ndarray]:
        for grey in SHOT_GREYS:
            for _ in range(24):
                yield np.full((180, 320, 3), grey, np.uint8)

    return write_mp4(
        frames(), tmp_path_factory.mktemp("shots") / "shots.mp4", width=320, height=180, fps=24, audio_seed=0
    )


def test_slow_detector_looks_only_where_the_fast_one_found_nothing_within_budget(shots_clip: Path) -> None:
    analyzer = ScriptedAnalyzer()
    report = analyse_video(shots_clip, analyzer, FacePipelineParams(thorough_frames=2))
    assert report.shots == len(SHOT_GREYS)
    # The covered first shot gets no look; of the four empty shots, the budget allows two, taken in order.
    assert sorted(analyzer.slow_looks) == [90, 150]
    assert report.frames_thorough == 2
    detectors = {obs.detector for track in report.tracks for obs in track.observations}
    assert detectors == {"fast", "slow"}
    slow_tracks = [t for t in report.tracks if t.observations[0].detector == "slow"]
    assert {t.shot for t in slow_tracks} == {1, 2}


def test_a_budget_of_zero_never_looks(shots_clip: Path) -> None:
    analyzer = ScriptedAnalyzer()
    report = analyse_video(shots_clip, analyzer, FacePipelineParams(thorough_frames=0))
    assert analyzer.slow_looks == [] and report.frames_thorough == 0


def test_a_failing_slow_detector_fails_the_analysis(shots_clip: Path) -> None:
    with pytest.raises(ModelUnavailable):
        analyse_video(shots_clip, ScriptedAnalyzer(slow_fails=True), FacePipelineParams(thorough_frames=4))
