"""Perceptual fingerprints of videos: PDQ hashes of sampled frames, and an index that matches copies.

PDQ (Meta's perceptual hash, via `pdqhash`) gives 256 bits per frame; a re-encoded, rescaled copy stays within
a few tens of bits of the original while unrelated frames sit above a hundred. A video matches when a large
enough share of its sampled frames each find a near hash of the same indexed video. The index keeps hashes as
four uint64 words per row and compares with xor and popcount over the whole table, so a million hashes take a few
milliseconds per query frame; the registry (published videos) and the hash banks (known-bad, purged) share it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import av
import av.error
import numpy as np
from numpy.typing import NDArray

from provenance.display import Orientation, orientation_of, upright_rgb
from provenance.errors import MarkingError

HASH_BYTES = 32


@dataclass(frozen=True)
class FrameHash:
    """One frame's PDQ hash."""

    t: float
    """Timestamp in seconds."""
    digest: bytes
    """256 bits."""
    quality: int
    """PDQ quality (0-100); flat frames score low and match poorly."""


# PDQ works on a 64x64 downsample in the end; frames beyond 512 pixels a side are shrunk first, which costs nothing in
# the hash and saves most of the time on 4K frames.
_PDQ_MAX_SIDE = 512


def pdq(frame: NDArray[np.uint8]) -> tuple[bytes, int]:
    """PDQ hash and quality of an RGB frame.

    PDQ reduces every image to 64x64 luminance anyway; shrinking a larger frame to 512 px first (area filter) makes
    a 720p frame 4.5x cheaper (19.6 -> 4.3 ms) and moves the hash by 4-12 of 256 bits, far inside the matching
    distance, so hashes from other PDQ tools still match ours."""
    import cv2
    import pdqhash

    height, width = frame.shape[:2]
    if max(height, width) > _PDQ_MAX_SIDE:
        scale = _PDQ_MAX_SIDE / max(height, width)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        frame = np.asarray(cv2.resize(frame, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    bits, quality = pdqhash.compute(np.ascontiguousarray(frame))
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes(), int(quality)


def sampled_frames(
    path: str, every_s: float, max_frames: int, *, within: int = 1
) -> Iterator[tuple[float, NDArray[np.uint8]]]:
    """Frames every `every_s` seconds (at most `max_frames`), decoded in one pass; with `within`, each interval is
    sampled that many times, evenly from the frame that opened it (`next_sample`)."""
    with av.open(path, metadata_errors="ignore") as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        next_t, opened, taken = 0.0, -math.inf, 0
        shown: Orientation | None = None
        for frame in container.decode(stream):
            t = frame.time or 0.0
            if t + 1e-6 >= next_t:
                shown = shown or orientation_of(path, frame)
                yield t, upright_rgb(frame, shown)
                next_t, opened = next_sample(t, opened, every_s, within)
                taken += 1
                if taken >= max_frames:
                    return


def upright_frames(path: str) -> Iterator[tuple[float, Callable[[], NDArray[np.uint8]]]]:
    """Every frame's time, and a call that gives it as a viewer sees it, decoded in one pass (a frame is converted
    to RGB only when asked for: most are not)."""
    with av.open(path, metadata_errors="ignore") as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        shown: Orientation | None = None
        for frame in container.decode(stream):
            shown = shown or orientation_of(path, frame)
            yield frame.time or 0.0, functools.partial(upright_rgb, frame, shown)


def next_sample(t: float, opened: float, every_s: float, within: int, *, reopen: bool = False) -> tuple[float, float]:
    """When the next frame is due after one taken at `t`, in an interval opened at `opened` (and when the interval
    that frame falls in opened): a frame at least `every_s` after the interval's opening frame opens the next one,
    and `within` samples an interval at its opening plus every `every_s / within` from it. The frames a coarser
    sampling of the same video takes (`within` 1) are thus among a finer one's, one for one, however the frame
    times fall: a copy sampled finely meets every frame a bank sampled coarsely. `reopen` opens an interval at `t`
    whatever the time (a frame taken out of turn)."""
    if reopen or t + 1e-6 >= opened + every_s or t < opened:
        opened = t
    step = every_s / within
    # The next of the interval's evenly spaced times after t (the 1e-6 as in the callers: 1/29.97 s does not add
    # up exactly), at most the interval's end.
    k = int((t - opened) / step + 1e-6) + 1
    return min(opened + k * step, opened + every_s), opened


def video_hashes(path: str, *, every_s: float = 0.5, max_frames: int = 60) -> list[FrameHash]:
    """PDQ hashes of sampled frames."""
    try:
        return [FrameHash(t, *pdq(frame)) for t, frame in sampled_frames(path, every_s, max_frames)]
    except (av.error.FFmpegError, OSError, IndexError) as exc:
        raise MarkingError(f"cannot fingerprint {path}: {exc}") from None


@dataclass(frozen=True)
class VideoMatch:
    """The indexed video a query matches best."""

    key: str
    """The indexed video's key (a video id, or a bank item)."""
    distance: float
    """Median best distance of the matching frames (bits of 256)."""
    share: float
    """Share of query frames with a near hash of this video."""
    frames: int
    """Query frames."""


class FingerprintIndex:
    """Frame hashes of many videos, matched by Hamming distance.

    Up to `faiss_threshold` hashes, one vectorised xor+popcount over the table; beyond, a FAISS binary index
    (SIMD popcount) returning the nearest `neighbours` hashes per query frame.
    """

    def __init__(
        self, entries: Sequence[tuple[str, bytes]], *, faiss_threshold: int = 100_000, neighbours: int = 64
    ) -> None:
        self.keys = [key for key, _ in entries]
        raw = b"".join(digest for _, digest in entries)
        self.words: NDArray[np.uint64] = (
            np.frombuffer(raw, dtype=np.uint64).reshape(-1, 4) if raw else np.zeros((0, 4), np.uint64)
        )
        self.neighbours = neighbours
        self._index: Any = None
        if len(self.keys) >= faiss_threshold:
            import faiss

            index = faiss.IndexBinaryFlat(HASH_BYTES * 8)
            index.add(np.frombuffer(raw, dtype=np.uint8).reshape(-1, HASH_BYTES))
            self._index = index

    def __len__(self) -> int:
        return len(self.keys)

    def distances(self, digest: bytes) -> NDArray[np.int64]:
        query = np.frombuffer(digest, dtype=np.uint64)
        out: NDArray[np.int64] = np.bitwise_count(self.words ^ query).sum(axis=1).astype(np.int64)
        return out

    def near(self, digest: bytes, max_distance: int) -> list[tuple[int, int]]:
        """(row, distance) of indexed hashes within `max_distance` bits."""
        if self._index is not None:
            query = np.frombuffer(digest, dtype=np.uint8).reshape(1, HASH_BYTES)
            distances, rows = self._index.search(query, min(self.neighbours, len(self.keys)))
            pairs = zip(rows[0].tolist(), distances[0].tolist(), strict=True)
            return [(r, d) for r, d in pairs if r >= 0 and d <= max_distance]
        dist = self.distances(digest)
        return [(int(r), int(dist[r])) for r in np.nonzero(dist <= max_distance)[0]]

    def match(
        self, hashes: Sequence[FrameHash], *, max_distance: int = 40, min_share: float = 0.5, min_quality: int = 30
    ) -> VideoMatch | None:
        """The best video whose hashes are near at least `min_share` of the query's usable frames."""
        usable = [h for h in hashes if h.quality >= min_quality] or list(hashes)
        if not usable or not self.keys:
            return None
        votes: dict[str, list[int]] = {}
        for frame in usable:
            best: dict[str, int] = {}
            for row, distance in self.near(frame.digest, max_distance):
                key = self.keys[row]
                best[key] = min(best.get(key, 256), distance)
            for key, value in best.items():
                votes.setdefault(key, []).append(value)
        if not votes:
            return None
        key, found = max(votes.items(), key=lambda item: (len(item[1]), -float(np.median(item[1]))))
        share = len(found) / len(usable)
        if share < min_share:
            return None
        return VideoMatch(key, float(np.median(found)), round(share, 3), len(usable))
