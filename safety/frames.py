"""One decode per submission: the frames every check looks at, decoded once and shared.

The gate opens a `FrameFeed` on the draft before the checks start. One thread demuxes and decodes every frame of
the video stream exactly once. On the way it counts packets and keyframes and notes the last timestamp (what the
media check needs to call a stream sound or cut short), compares each frame's tiny grey histogram with the
previous one to find shot cuts, and hands each check the frames it asked for in its `FrameNeed` (one every so many
seconds, at most so many, the first frame of every shot too), converted once to upright RGB and shared read-only.
Checks read their frames while the rest is still being decoded, so decoding overlaps the models; each check's
queue is short, so memory grows with what the checks choose to keep, not with the video's length. A file that
stops decoding reaches every reader as `FrameFeedError`, which the runner turns into a failed check (never a pass).
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import av.error
import cv2
import numpy as np
from numpy.typing import NDArray

from provenance.display import Orientation, orientation_of, upright_rgb
from provenance.fingerprint import next_sample
from safety.errors import FrameFeedError
from safety.media import AUDIO_RATE

RGBImage = NDArray[np.uint8]

# Frames a reader may fall behind the decoder before the decoder waits for it.
_QUEUE_FRAMES = 6
# How often a waiting decoder looks whether its reader has gone.
_POLL_S = 0.05
# Histogram distance between consecutive frames that counts as a cut (thumbnails of 64x36 grey, 32 bins).
SCENE_CUT = 0.3
# Sound kept for the speech check, at most ten minutes: about 38 MB of mono float samples at 16 kHz, past which memory,
# not insight, grows.
MAX_SOUND_S = 600.0
"""Sound kept for speech models, at most (a policy caps durations well below)."""


@dataclass(frozen=True)
class FrameNeed:
    """Which frames one reader looks at."""

    every_s: float
    """One frame at least this many seconds after the previous one taken."""
    max_frames: int
    """Most frames taken."""
    shot_starts: bool = False
    """Also the first frame of every shot (a shot shorter than the interval is still seen)."""
    spread: bool = False
    """Widen the interval so that `max_frames` cover the whole video instead of its start."""
    within: int = 1
    """Frames taken in each interval, evenly from the one that opened it: the frames a reader of `within` 1 takes
    are among them (the staydown banks sample twice a second, a submission eight times, on the same frames)."""


@dataclass(frozen=True)
class SharedFrame:
    """A decoded frame as a viewer sees it, shared read-only by every reader that asked for it."""

    t: float
    """Presentation time in seconds."""
    shot: int
    """Which shot it belongs to (0 unless some reader asked for shot starts)."""
    image: RGBImage = field(repr=False)
    """Upright RGB pixels; not writable (copy before changing them)."""


@dataclass(frozen=True)
class DecodeReport:
    """What the single pass over the stream found."""

    packets: int
    """Video packets with data."""
    keyframes: int
    """Keyframe packets."""
    frames: int
    """Frames decoded."""
    last_pts_s: float
    """Presentation time of the last packet, in seconds."""
    shots: int
    """Shots found (when some reader asked for shot starts)."""
    error: str | None
    """Why the pass stopped early, if it did."""
    decode_ms: float
    """Wall time of the pass."""


class _Sampler:
    """Decides, frame by frame, what one reader takes (the same rule whether the video is shared or not)."""

    def __init__(self, need: FrameNeed, duration_s: float) -> None:
        self.need = need
        spread = duration_s / need.max_frames if need.spread and duration_s > 0 else 0.0
        # Spread only ever widens the interval: a reader that asked for a frame every half second never gets them denser
        # than that, and on a long video its `max_frames` reach the end instead of stopping early.
        self.interval = max(need.every_s, spread)
        self.next_t = 0.0
        self.opened = -math.inf
        self.taken = 0

    @property
    def done(self) -> bool:
        return self.taken >= self.need.max_frames

    def wants(self, t: float, cut: bool) -> bool:
        # The 1e-6 absorbs timestamps a rounding error short of the next sample time (1/29.97 s does not add up
        # exactly); a shot's first frame is taken out of turn when asked for, so a shot shorter than the interval is
        # still seen.
        if self.done or not (t + 1e-6 >= self.next_t or (cut and self.need.shot_starts)):
            return False
        self.taken += 1
        # A frame taken out of turn (a shot's first) opens an interval of its own, as it always has.
        reopen = not t + 1e-6 >= self.next_t
        self.next_t, self.opened = next_sample(t, self.opened, self.interval, self.need.within, reopen=reopen)
        return True


class _Reader:
    def __init__(self, name: str, sampler: _Sampler) -> None:
        self.name = name
        self.sampler = sampler
        self.frames: queue.Queue[SharedFrame | BaseException | None] = queue.Queue(maxsize=_QUEUE_FRAMES)
        self.gone = threading.Event()


class FrameFeed:
    """Decodes a video once and feeds every subscribed reader its frames; a context manager.

        with FrameFeed(path) as feed:
            faces = feed.subscribe("likeness", FrameNeed(0.5, 40, shot_starts=True, spread=True))
            feed.start()
            for frame in feed.frames("likeness"): ...
            report = feed.report()

    Readers subscribe before `start`. A reader that stops early must `release` its name (the runner does it for
    every check when it finishes or times out), or the decoder would wait for it."""

    def __init__(self, path: Path, *, scene_cut: float = SCENE_CUT) -> None:
        self.path = path
        self.scene_cut = scene_cut
        self._readers: dict[str, _Reader] = {}
        self._thread: threading.Thread | None = None
        self._closed = threading.Event()
        self._finished = threading.Event()
        self._report: DecodeReport | None = None
        self._sound_wanted = False
        self._sound: list[NDArray[np.float32]] | None = None

    def __enter__(self) -> FrameFeed:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def readers(self) -> tuple[str, ...]:
        return tuple(self._readers)

    def subscribe(self, name: str, need: FrameNeed) -> None:
        """Ask for frames under `name`; only before `start`."""
        if self._thread is not None:
            raise RuntimeError("subscribe before the feed starts")
        if need.every_s <= 0 or need.max_frames <= 0:
            raise ValueError(f"{name}: a frame need takes a positive interval and count")
        self._readers[name] = _Reader(name, _Sampler(need, 0.0))

    def want_sound(self) -> None:
        """Also decode the first audio track, in the same pass (16 kHz mono, for speech models); before `start`."""
        if self._thread is not None:
            raise RuntimeError("ask for the sound before the feed starts")
        self._sound_wanted = True

    def sound(self, timeout_s: float | None = None) -> NDArray[np.float32] | None:
        """The whole sound track once the pass has ended, or None when the video has none; `FrameFeedError` if
        the pass failed or did not end within `timeout_s`."""
        if not self._sound_wanted:
            raise FrameFeedError("the sound was not asked for before the feed started")
        report = self.report(timeout_s)
        if report.error is not None:
            raise FrameFeedError(f"the video stopped decoding: {report.error}")
        if self._sound is None:
            return None
        return np.concatenate(self._sound) if self._sound else np.zeros(0, np.float32)

    def start(self) -> None:
        """Start decoding in the background."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="frame-feed", daemon=True)
            self._thread.start()

    def frames(self, name: str) -> Iterator[SharedFrame]:
        """The frames `name` asked for, as they are decoded; `FrameFeedError` if decoding fails."""
        reader = self._readers.get(name)
        if reader is None:
            raise FrameFeedError(f"`{name}` did not ask for frames before the feed started")
        self.start()
        while True:
            try:
                # A timeout rather than a plain wait: a reader whose feed was closed (a check timed out, the gate gave
                # up) must notice and stop, not block for ever on a queue nobody fills.
                item = reader.frames.get(timeout=_POLL_S * 4)
            except queue.Empty:
                if self._closed.is_set():
                    raise FrameFeedError("the frame feed was closed") from None
                continue
            if item is None:
                return
            if isinstance(item, BaseException):
                raise FrameFeedError(str(item)) from None
            yield item

    def release(self, name: str) -> None:
        """`name` wants no more frames (done, failed or abandoned)."""
        reader = self._readers.get(name)
        if reader is not None:
            reader.gone.set()

    def report(self, timeout_s: float | None = None) -> DecodeReport:
        """What the pass found, once it has ended; `FrameFeedError` if it has not ended within `timeout_s`."""
        self.start()
        if not self._finished.wait(timeout_s) or self._report is None:
            raise FrameFeedError("the frame feed has not finished decoding")
        return self._report

    def close(self) -> None:
        """Stop decoding; readers still waiting get `FrameFeedError`."""
        self._closed.set()
        for reader in self._readers.values():
            reader.gone.set()
        if self._thread is not None:
            # Bounded: the decoder looks at `_closed` between packets, but one packet may take long in a hostile file;
            # the daemon thread is then left to finish on its own rather than hang the gate.
            self._thread.join(timeout=5.0)

    def _deliver(self, reader: _Reader, item: SharedFrame | BaseException | None) -> None:
        # Waits while a reader is behind (the queue is short on purpose: memory stays bounded), but gives up on a reader
        # that left, so one failed check cannot stall the decode for the others.
        while not reader.gone.is_set() and not self._closed.is_set():
            try:
                reader.frames.put(item, timeout=_POLL_S)
                return
            except queue.Full:
                continue

    def _run(self) -> None:
        started = time.perf_counter()
        counts = {"packets": 0, "keyframes": 0, "frames": 0, "shots": 0}
        last = 0.0
        error: str | None = None
        try:
            last = self._decode(counts)
        except _Stopped:
            error = "closed before the end"
        # Hostile files fail in many ways inside the decoder; every one ends the pass with the error recorded, and each
        # reader is told, so the checks fail (and the video is held) rather than see a shorter video.
        except (av.error.FFmpegError, OSError, ValueError, RuntimeError, IndexError) as exc:
            error = f"{exc.__class__.__name__}: {exc}"[:500]
        self._report = DecodeReport(
            counts["packets"],
            counts["keyframes"],
            counts["frames"],
            last,
            counts["shots"],
            error,
            (time.perf_counter() - started) * 1000,
        )
        ending: BaseException | None = FrameFeedError(f"the video stopped decoding: {error}") if error else None
        for reader in self._readers.values():
            self._deliver(reader, ending)
        self._finished.set()

    def _decode(self, counts: dict[str, int]) -> float:
        readers = list(self._readers.values())
        track_shots = any(r.sampler.need.shot_starts for r in readers)
        last = 0.0
        with av.open(str(self.path), mode="r", metadata_errors="ignore") as container:
            stream = container.streams.video[0]
            # Frame and slice threads in the decoder: it releases the GIL, so checks in other threads keep running while
            # it works.
            stream.thread_type = "AUTO"
            audio = container.streams.audio[0] if self._sound_wanted and container.streams.audio else None
            resampler = av.AudioResampler(format="flt", layout="mono", rate=AUDIO_RATE) if audio else None
            if audio is not None:
                self._sound = []
            base = stream.time_base
            duration = float(stream.duration * base) if stream.duration and base else 0.0
            for reader in readers:
                reader.sampler = _Sampler(reader.sampler.need, duration)
            previous: NDArray[np.float32] | None = None
            shown: Orientation | None = None
            shot = 0
            for packet in container.demux(*([stream, audio] if audio is not None else [stream])):
                if self._closed.is_set():
                    raise _Stopped
                if audio is not None and packet.stream is audio:
                    self._hear(packet, resampler)
                    continue
                if packet.size:
                    counts["packets"] += 1
                    counts["keyframes"] += int(packet.is_keyframe)
                    if packet.pts is not None and base is not None:
                        last = max(last, float(packet.pts * base))
                for frame in packet.decode():
                    if not isinstance(frame, av.VideoFrame):
                        continue
                    counts["frames"] += 1
                    t = float(frame.pts * base) if frame.pts is not None and base is not None else 0.0
                    cut = False
                    if track_shots:
                        # Every frame is compared, not only the taken ones: a cut between two samples would
                        # otherwise join two shots' faces into one track.
                        hist = _thumb_hist(frame)
                        cut = previous is not None and float(np.abs(hist - previous).sum()) > self.scene_cut
                        previous = hist
                        shot += int(cut)
                    takers = [r for r in readers if not r.gone.is_set() and r.sampler.wants(t, cut)]
                    if not takers:
                        continue
                    shown = shown or orientation_of(self.path, frame)
                    image = upright_rgb(frame, shown)
                    # One array shared by every reader that took this frame: read-only so that no check can change what
                    # another sees.
                    image.flags.writeable = False
                    shared = SharedFrame(t, shot, image)
                    for reader in takers:
                        self._deliver(reader, shared)
            counts["shots"] = shot + 1 if track_shots and counts["frames"] else 0
            if resampler is not None and self._sound is not None:
                self._sound += [out.to_ndarray().reshape(-1).astype(np.float32) for out in resampler.resample(None)]
        return last

    def _hear(self, packet: Any, resampler: av.AudioResampler | None) -> None:
        if resampler is None or self._sound is None:
            return
        held = sum(chunk.size for chunk in self._sound)
        # Audio past the cap is skipped without decoding; the video still decodes to its end for the frame readers.
        if held >= MAX_SOUND_S * AUDIO_RATE:
            return
        for frame in packet.decode():
            if not isinstance(frame, av.AudioFrame):
                continue
            for out in resampler.resample(frame):
                self._sound.append(out.to_ndarray().reshape(-1).astype(np.float32))


_LUMA_FORMATS = frozenset({"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12"})


def _thumb_hist(frame: av.VideoFrame) -> NDArray[np.float32]:
    """A 32-bin histogram of a 64x36 grey thumbnail; for 8-bit YUV, straight from the luma plane (a tenth of the
    cost of a scaled conversion, which every frame of every video pays)."""
    if frame.format.name in _LUMA_FORMATS:
        plane = frame.planes[0]
        luma = np.frombuffer(memoryview(plane), np.uint8).reshape(plane.height, plane.line_size)[:, : plane.width]
        grey = cv2.resize(luma, (64, 36), interpolation=cv2.INTER_AREA)
        if not frame.format.name.startswith("yuvj") and int(getattr(frame, "color_range", 0) or 0) != 2:
            # Limited range (16-235) stretched to full, as a grey conversion would.
            grey = np.clip((grey.astype(np.int32) - 16) * 255 // 219, 0, 255).astype(np.uint8)
    else:
        grey = frame.reformat(width=64, height=36, format="gray").to_ndarray()
    hist = np.bincount((grey // 8).ravel(), minlength=32).astype(np.float32)
    out: NDArray[np.float32] = hist / max(float(hist.sum()), 1.0)
    return out


class _Stopped(Exception):
    pass


def decoded_frames(path: Path, need: FrameNeed, *, scene_cut: float = SCENE_CUT) -> Iterator[SharedFrame]:
    """One reader's frames of a file, through the same decode path as the gate's (enrollment, tools, tests)."""
    with FrameFeed(path, scene_cut=scene_cut) as feed:
        feed.subscribe("frames", need)
        feed.start()
        yield from feed.frames("frames")


def frame_images(frames: Iterable[SharedFrame]) -> Iterator[RGBImage]:
    """Just the pixels."""
    return (frame.image for frame in frames)
