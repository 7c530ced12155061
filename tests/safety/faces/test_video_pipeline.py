"""Which frames the slow detector looks at, within its budget, and that its failure fails the analysis; which frames
the fast one looks at, when frames are still."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from generator.render import write_mp4
from safety.errors import ModelUnavailable
from safety.faces.analyzer import DetectedFace, Embedding, FaceBox, RGBImage
from safety.faces.fake import FakeFaceAnalyzer, face_card
from safety.faces.video import FacePipelineParams, analyse_video
from safety.frames import SharedFrame
from safety.stillness import Stillness

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


class CountingAnalyzer(FakeFaceAnalyzer):
    """The fake analyzer, noting the time of every frame the fast detector was given."""

    def __init__(self) -> None:
        self.looked: list[int] = []

    def detect(self, image: RGBImage, *, thorough: bool = False) -> list[DetectedFace]:
        if not thorough:
            self.looked.append(int(image[0, 0, 0]))  # each test frame carries its number in its first pixel
        return super().detect(image, thorough=thorough)


def _still_frames(count: int, *, shots: tuple[int, ...] = (), extra_from: int | None = None) -> list[SharedFrame]:
    """A still picture with a card, light noise on every frame, numbered in the first pixel; from `extra_from` on,
    a second card (another identity) in what was empty background; each number in `shots` opens a shot."""
    rng = np.random.default_rng(3)
    scene = np.full((180, 320, 3), 60, np.uint8)
    scene[40:136, 40:136] = face_card(40)
    frames = []
    for i in range(count):
        picture = scene.copy()
        if extra_from is not None and i >= extra_from:
            picture[40:136, 200:296] = face_card(100)
        noisy = np.clip(picture + rng.normal(0, 2, picture.shape), 0, 255).astype(np.uint8)
        noisy[0, 0] = i
        frames.append(SharedFrame(i * 0.5, sum(i >= s for s in shots), noisy))
    return frames


def test_a_still_frame_keeps_the_faces_of_the_last_frame_looked_at() -> None:
    analyzer = CountingAnalyzer()
    report = analyse_video(_still_frames(12), analyzer, FacePipelineParams(still=Stillness(max_run=3)))
    # The detector looks at every fourth frame; every frame still holds the face, embedded from its own pixels.
    assert sorted(analyzer.looked) == [0, 4, 8]
    assert report.frames_sampled == 12 and report.frames_detected == 3
    (track,) = report.tracks
    assert len(track.observations) == 12 and len(track.embeddings) == 3


def test_the_detector_looks_at_every_frame_when_told_to() -> None:
    analyzer = CountingAnalyzer()
    report = analyse_video(_still_frames(6), analyzer, FacePipelineParams(still=Stillness(max_run=0)))
    assert sorted(analyzer.looked) == list(range(6)) and report.frames_detected == 6


def test_a_face_put_into_a_still_frame_is_seen_in_that_frame() -> None:
    analyzer = CountingAnalyzer()
    report = analyse_video(_still_frames(12, extra_from=6), analyzer, FacePipelineParams(still=Stillness(max_run=3)))
    assert 6 in analyzer.looked
    assert sorted((t.t_start, t.t_end) for t in report.tracks) == [(0.0, 5.5), (3.0, 5.5)]


def test_a_new_shot_is_always_looked_at() -> None:
    analyzer = CountingAnalyzer()
    analyse_video(_still_frames(10, shots=(2, 3)), analyzer, FacePipelineParams(still=Stillness(max_run=3)))
    assert sorted(analyzer.looked) == [0, 2, 3, 7]
