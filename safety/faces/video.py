"""Faces in a video: sample frames, detect, track, embed.

Frames are sampled at a fixed rate plus the first frame of every shot (a cheap scene-cut detector runs on tiny grey
thumbnails of every frame). The fast detector looks at every sampled frame, except that a frame in which no
16-pixel cell has changed beyond noise since the last frame it looked at (a still shot; `safety.stillness`) keeps
that frame's faces, a few frames in a row at most. The thorough one, which finds small and three-quarter faces at
about fifty times the cost, looks at the first frame of each shot where the fast one found nothing, within a
per-video budget. Decoding and both detectors overlap (see `analyse_video`). Detections are linked into tracks by
overlap within a shot, and each track is embedded on a few of its frames, spread over its life, so identification
costs grow with tracks rather than frames.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from safety.faces.analyzer import DetectedFace, Embedding, FaceAnalyzer, FaceBox, RGBImage
from safety.frames import FrameNeed, SharedFrame, decoded_frames
from safety.stillness import StillFrames, Stillness


@dataclass(frozen=True)
class FacePipelineParams:
    """How hard to look."""

    sample_fps: float = 2.0
    """Frames per second looked at by the fast detector."""
    max_frames: int = 40
    """Most frames sampled from one video (the rate drops for long videos)."""
    thorough_frames: int = 4
    """Most frames the slow detector may look at (one per shot)."""
    thorough_width: int = 640
    """Frames are scaled down to this width for the slow detector."""
    min_face_px: int = 20
    """Faces smaller than this (box height) are ignored."""
    embeds_per_track: int = 4
    """Embeddings computed per track."""
    track_iou: float = 0.25
    """Overlap that links a detection to a track."""
    track_gap_s: float = 1.6
    """Longest gap a track may bridge."""
    scene_cut: float = 0.3
    """Histogram distance between consecutive frames that counts as a cut."""
    still: Stillness = field(default_factory=Stillness)
    """When a frame takes the fast detector's faces from the last frame it looked at (nothing in the picture has
    changed since; `safety.stillness`)."""


@dataclass(frozen=True)
class SampledFrame:
    """A frame the pipeline looked at."""

    index: int
    """Position among sampled frames."""
    t: float
    """Timestamp in seconds."""
    shot: int
    """Which shot it belongs to."""
    image: RGBImage = field(repr=False)
    """The pixels."""


@dataclass(frozen=True)
class TrackObservation:
    """One detection of a tracked face."""

    t: float
    """Timestamp."""
    frame_index: int
    """Index of the sampled frame."""
    box: FaceBox
    """Where the face was."""
    detector: str
    """Which detector found it."""


@dataclass(frozen=True)
class FaceTrack:
    """One face followed through a shot."""

    track_id: int
    """Stable within the report."""
    shot: int
    """The shot it is in."""
    observations: tuple[TrackObservation, ...]
    """Every detection, in time order."""
    embeddings: tuple[Embedding, ...] = field(repr=False)
    """Embeddings of a few observations."""
    best_image: RGBImage = field(repr=False)
    """The frame of the largest observation (to re-embed a near match more carefully)."""
    best_face: DetectedFace = field(repr=False)
    """The largest observation's detection."""

    @property
    def t_start(self) -> float:
        return self.observations[0].t

    @property
    def t_end(self) -> float:
        return self.observations[-1].t

    @property
    def best(self) -> TrackObservation:
        """The observation with the largest face: the one to show a reviewer."""
        return max(self.observations, key=lambda o: o.box.width * o.box.height)


@dataclass(frozen=True)
class VideoFaceReport:
    """What the pipeline found and what it cost."""

    tracks: tuple[FaceTrack, ...]
    """Every face track."""
    frames_sampled: int
    """Frames the fast detector looked at."""
    frames_thorough: int
    """Frames the slow detector looked at."""
    frames_detected: int
    """Frames the fast detector looked at itself; the others were unchanged from one it had looked at."""
    shots: int
    """Shots found."""
    timings_ms: dict[str, float]
    """decode, detect, thorough, embed."""


def face_frame_need(params: FacePipelineParams) -> FrameNeed:
    """The frames the pipeline looks at: `sample_fps` spread over the whole video, plus every shot's first."""
    return FrameNeed(1.0 / params.sample_fps, params.max_frames, shot_starts=True, spread=True)


def _numbered(frames: Iterable[SharedFrame]) -> Iterator[SampledFrame]:
    for index, frame in enumerate(frames):
        yield SampledFrame(index, frame.t, frame.shot, frame.image)


def sample_frames(path: Path, params: FacePipelineParams) -> Iterator[SampledFrame]:
    """Sampled frames of a file with their shot index, through the gate's decode path."""
    return _numbered(decoded_frames(path, face_frame_need(params), scene_cut=params.scene_cut))


def _link(
    detections: list[tuple[SampledFrame, DetectedFace]], params: FacePipelineParams
) -> list[list[tuple[SampledFrame, DetectedFace]]]:
    tracks: list[list[tuple[SampledFrame, DetectedFace]]] = []
    for frame, face in sorted(detections, key=lambda d: d[0].t):
        best: list[tuple[SampledFrame, DetectedFace]] | None = None
        best_iou = params.track_iou
        for track in tracks:
            last_frame, last_face = track[-1]
            # Tracks never cross a cut, and one frame adds at most one face to a track.
            if last_frame.shot != frame.shot or last_frame.index == frame.index:
                continue
            if frame.t - last_frame.t > params.track_gap_s:
                continue
            overlap = max(last_face.box.iou(face.box), _nearness(last_face.box, face.box))
            if overlap >= best_iou:
                best, best_iou = track, overlap
        if best is None:
            tracks.append([(frame, face)])
        else:
            best.append((frame, face))
    return tracks


def _nearness(a: FaceBox, b: FaceBox) -> float:
    """1 for boxes with the same centre, falling to 0 at one face width apart: links a face that moved."""
    ax, ay = (a.left + a.right) / 2, (a.top + a.bottom) / 2
    bx, by = (b.left + b.right) / 2, (b.top + b.bottom) / 2
    size = max(a.width, b.width, 1)
    similar_size = min(a.height, b.height) / max(a.height, b.height, 1) > 0.6
    return max(0.0, 1.0 - float(np.hypot(ax - bx, ay - by)) / size) if similar_size else 0.0


def _spread(items: list[tuple[SampledFrame, DetectedFace]], count: int) -> list[tuple[SampledFrame, DetectedFace]]:
    if len(items) <= count:
        return items
    # The largest face (most detail) plus an even spread over the track (every pose it shows).
    ranked = sorted(range(len(items)), key=lambda i: -items[i][1].box.height)
    chosen = {ranked[0]}
    step = len(items) / count
    chosen.update(int(i * step) for i in range(count - 1))
    return [items[i] for i in sorted(chosen)]


def _keep(faces: list[DetectedFace], params: FacePipelineParams) -> list[DetectedFace]:
    return [f for f in faces if f.box.height >= params.min_face_px]


class _Detection:
    """The detection pass over a video's sampled frames: the fast detector on every frame as it arrives, the slow
    one's closer looks at the first empty frame of a shot, and what each frame was found to hold."""

    def __init__(self, analyzer: FaceAnalyzer, params: FacePipelineParams) -> None:
        self.analyzer = analyzer
        self.params = params
        self.fast = ThreadPoolExecutor(max_workers=2, thread_name_prefix="faces-fast")
        self.slow = ThreadPoolExecutor(max_workers=2, thread_name_prefix="faces-thorough")
        self.frames: list[SampledFrame] = []
        self.pending: dict[int, Future[list[DetectedFace]]] = {}
        self.found: dict[int, list[DetectedFace]] = {}
        self.looks: dict[int, tuple[SampledFrame, Future[list[DetectedFace]]]] = {}
        self.stillness: StillFrames[int] = StillFrames(params.still)
        self.detected = 0

    def close(self) -> None:
        """Stop both detectors; work not yet started is dropped (on an error, nothing more is queued behind it)."""
        self.fast.shutdown(wait=False, cancel_futures=True)
        self.slow.shutdown(wait=False, cancel_futures=True)

    def look_closely(self, frame: SampledFrame) -> list[DetectedFace]:
        """The slow detector's faces in a frame, narrowed to `thorough_width` first (its cost grows with the area)."""
        height, width = frame.image.shape[:2]
        scale = min(1.0, self.params.thorough_width / width)
        image = frame.image
        small = cv2.resize(image, (round(width * scale), round(height * scale))) if scale < 1 else image
        faces = self.analyzer.detect(np.asarray(small, dtype=np.uint8), thorough=True)
        return [DetectedFace(f.box.scaled(1 / scale), f.score, f.detector, ()) for f in faces]

    def add(self, frame: SampledFrame) -> None:
        """A decoded frame: the fast detector starts on it at once."""
        self.frames.append(frame)
        same = self.stillness.same_as(frame.index, frame.shot, frame.image)
        if same is None:
            self.pending[frame.index] = self.fast.submit(self.analyzer.detect, frame.image)
            self.detected += 1
        else:
            # Nothing moved since that frame: its faces are where they were (each frame still gets its own copy
            # of the list, and embeddings are taken from its own pixels).
            self.pending[frame.index] = self.pending[same]
        self.collect(block=False)

    def collect(self, block: bool) -> None:
        """Take the fast detector's results in frame order (waiting for them with `block`); a shot's first empty
        frame gets the slow detector's look right away."""
        for frame in self.frames[len(self.found) :]:
            future = self.pending[frame.index]
            if not block and not future.done():
                return
            self.found[frame.index] = _keep(future.result(), self.params)
            if not self.found[frame.index] and frame.shot not in self.looks and self._may_look():
                self.looks[frame.shot] = (frame, self.slow.submit(self.look_closely, frame))

    def _may_look(self) -> bool:
        return len(self.looks) < self.params.thorough_frames

    def look_at_uncovered(self) -> int:
        """Closer looks at shots still uncovered once every frame has been seen, emptiest first, while the budget
        lasts; the number of shots."""
        found = self.found
        shots: dict[int, list[SampledFrame]] = {}
        for frame in self.frames:
            shots.setdefault(frame.shot, []).append(frame)
        uncovered = [shot for shot, members in shots.items() if any(not found[m.index] for m in members)]
        uncovered.sort(key=lambda s: (sum(len(found[m.index]) for m in shots[s]) / len(shots[s]), shots[s][0].t))
        for shot in uncovered:
            if shot not in self.looks and self._may_look():
                first_empty = next(m for m in shots[shot] if not found[m.index])
                self.looks[shot] = (first_empty, self.slow.submit(self.look_closely, first_empty))
        return len(shots)

    def merge_looks(self) -> None:
        """Add the faces the closer looks found to their frames."""
        for frame, future in self.looks.values():
            for face in _keep(future.result(), self.params):
                # A face the closer look found again overlaps one already kept: only faces that overlap nothing (IoU
                # under 0.3) are new, so one person is not counted twice.
                if all(face.box.iou(f.box) < 0.3 for f in self.found[frame.index]):
                    self.found[frame.index].append(face)


def _embedded_tracks(detection: _Detection) -> tuple[FaceTrack, ...]:
    """The faces found linked into tracks, each embedded at a spread of its frames, with its best view."""
    analyzer, params = detection.analyzer, detection.params
    by_index = {frame.index: frame for frame in detection.frames}
    linked = _link([(by_index[i], f) for i, faces in detection.found.items() for f in faces], params)
    chosen = [_spread(members, params.embeds_per_track) for members in linked]
    # Two at a time: dlib's descriptor runs in two worker processes.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="faces-embed") as pool:
        embedded = [list(pool.map(lambda item: analyzer.embed(item[0].image, item[1]), picks)) for picks in chosen]
    tracks: list[FaceTrack] = []
    for track_id, members in enumerate(linked):
        embeddings = tuple(embedded[track_id])
        observations = tuple(TrackObservation(frame.t, frame.index, face.box, face.detector) for frame, face in members)
        best_frame, best_face = max(members, key=lambda m: m[1].box.width * m[1].box.height)
        tracks.append(FaceTrack(track_id, members[0][0].shot, observations, embeddings, best_frame.image, best_face))
    return tuple(tracks)


def analyse_video(
    source: Path | Iterable[SharedFrame], analyzer: FaceAnalyzer, params: FacePipelineParams
) -> VideoFaceReport:
    """Find, track and embed every face in a video: a file, or the frames the gate's feed decoded for this check
    (which must have been asked for with `face_frame_need(params)`).

    Decoding, the fast detector and the slow one overlap: the fast detector starts on each frame as soon as it is
    decoded, on two threads (dlib's HOG releases the GIL), and the first frame of a shot where it finds nothing
    goes at once to the slow detector (dlib's runs in its own process), which therefore only ever looks where the
    fast one missed. Shots still uncovered when every frame has been seen get their looks afterwards, emptiest
    first, while the budget lasts."""
    timings = {"decode": 0.0, "detect": 0.0, "thorough": 0.0, "embed": 0.0}
    detection = _Detection(analyzer, params)
    try:
        started = time.perf_counter()
        for frame in sample_frames(source, params) if isinstance(source, Path) else _numbered(source):
            detection.add(frame)
        timings["decode"] = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        detection.collect(block=True)
        timings["detect"] = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        shots = detection.look_at_uncovered()
        detection.merge_looks()
        timings["thorough"] = (time.perf_counter() - started) * 1000
    finally:
        detection.close()
    started = time.perf_counter()
    tracks = _embedded_tracks(detection)
    timings["embed"] = (time.perf_counter() - started) * 1000
    return VideoFaceReport(tracks, len(detection.frames), len(detection.looks), detection.detected, shots, timings)
