"""Segment matching: a bank item is found in a submission when a run of its samples, in order and at a plausible
speed (0.5x to 2x), is near the submission's frames.

Each submission hash is looked up among the banked hashes within `MATCH_DISTANCE` bits; per bank item, the longest
run of matches whose times advance together (the item's at between half and twice the submission's pace) is the
segment. Prepended or appended footage, trims, frame-rate and speed changes do not hide one. `provenance.segments`
makes the hashes matched here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from provenance.fingerprint import FingerprintIndex

MATCH_DISTANCE = 48


MIN_RUN = 4


SPEEDS = (0.5, 2.0)


@dataclass(frozen=True)
class SegmentHash:
    """One PDQ hash of a sampled frame (a frame has several: crops, or dihedral variants)."""

    t: float
    """Seconds into the video."""
    digest: bytes
    """256-bit PDQ hash."""
    quality: int
    """PDQ quality, 0-100."""


@dataclass(frozen=True)
class SegmentMatch:
    """A bank item found in a submission."""

    key: str
    """The bank item's key."""
    query_start: float
    """Where the matching run starts in the submission (seconds)."""
    query_end: float
    """Where it ends."""
    item_start: float
    """Where it starts in the bank item."""
    item_end: float
    """Where it ends in the bank item."""
    samples: int
    """Submission samples in the run."""
    distance: float
    """Median distance of the run's matches (bits of 256)."""
    share: float = 1.0
    """Share of the item's samples the run covers."""


class SegmentIndex:
    """Bank hashes with the time of their frame, for `match_segments`."""

    def __init__(self, entries: Sequence[tuple[str, bytes, float]]) -> None:
        self.index = FingerprintIndex([(key, digest) for key, digest, _ in entries])
        self.times = [t for _, _, t in entries]

    def __len__(self) -> int:
        return len(self.index)

    def match(self, query: Sequence[SegmentHash]) -> list[SegmentMatch]:
        """Bank items a run of the query matches, best first."""
        return match_segments(query, self.index, self.times)


def _longest_run(pairs: Sequence[tuple[float, float, int]]) -> list[tuple[float, float, int]]:
    """The longest chain of (item t, query t, distance), one per item sample, with both clocks moving forward at a
    plausible speed (0.5x to 2x, with a quarter second of slack for sampling)."""
    ordered = sorted(pairs)
    best: list[int] = [1] * len(ordered)
    back: list[int] = [-1] * len(ordered)
    for j, (tb, tq, _) in enumerate(ordered):
        for i in range(j):
            pb, pq, _ = ordered[i]
            if tb <= pb or tq <= pq:
                continue
            item_step, query_step = tb - pb, tq - pq
            if not SPEEDS[0] * query_step - 0.25 <= item_step <= SPEEDS[1] * query_step + 0.25:
                continue
            if best[i] + 1 > best[j]:
                best[j], back[j] = best[i] + 1, i
    if not ordered:
        return []
    end = max(range(len(ordered)), key=lambda k: best[k])
    run = []
    while end >= 0:
        run.append(ordered[end])
        end = back[end]
    return run[::-1]


def match_segments(
    query: Sequence[SegmentHash], index: FingerprintIndex, item_times: Sequence[float], *, min_run: int = MIN_RUN
) -> list[SegmentMatch]:
    """Bank items (keys of `index`, whose rows have the times `item_times`) that a run of the query matches: at
    least `min_run` of the item's samples (fewer for an item that short), each near a query frame, in order."""
    if not len(index) or not query:
        return []
    # item → item sample time → (distance, query time) of its nearest query frame
    nearest: dict[str, dict[float, tuple[int, float]]] = {}
    for h in query:
        for row, distance in index.near(h.digest, MATCH_DISTANCE):
            slot = nearest.setdefault(index.keys[row], {})
            at = item_times[row]
            if at not in slot or distance < slot[at][0]:
                slot[at] = (distance, h.t)
    samples: dict[str, set[float]] = {}
    for row, key in enumerate(index.keys):
        samples.setdefault(key, set()).add(item_times[row])
    matches = []
    for key, found in nearest.items():
        run = _longest_run([(tb, tq, d) for tb, (d, tq) in found.items()])
        # An item shorter than a run is matched by all of its samples.
        needed = min(min_run, len(samples[key]))
        if len(run) >= needed:
            matches.append(
                SegmentMatch(
                    key,
                    run[0][1],
                    run[-1][1],
                    run[0][0],
                    run[-1][0],
                    len(run),
                    float(np.median([d for _, _, d in run])),
                    round(len(run) / len(samples[key]), 3),
                )
            )
    return sorted(matches, key=lambda m: (-m.samples, m.distance))
