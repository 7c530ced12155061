"""The hash-bank check's query hashes: a still frame repeats the hashes of the last frame hashed anew, under its own
time; a frame that moved is hashed as the plain query hasher hashes it."""

from __future__ import annotations

import numpy as np

from provenance.segments import QueryHasher
from safety.checks.hash_bank import STILL, StillQueryHasher


def _scene(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.asarray(rng.integers(0, 256, (18, 32, 3)), np.uint8).repeat(10, 0).repeat(10, 1)


def _noisy(scene: np.ndarray, seed: int) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(0, 2, scene.shape)
    return np.asarray(np.clip(scene + noise, 0, 255), np.uint8)


def test_a_still_shot_repeats_the_hashes_of_the_frames_hashed_anew() -> None:
    scene = _scene(1)
    frames = [(i * 0.125, _noisy(scene, i)) for i in range(12)]
    still, plain = StillQueryHasher(), QueryHasher()
    for t, frame in frames:
        still.add(t, frame)
        plain.add(t, frame)
    # Every fourth frame (one whose layout is looked for) is hashed anew; each frame has as many hashes as before.
    assert still.anew == 12 // (STILL.max_run + 1)
    assert len(still.hashes) == len(plain.hashes)
    by_time: dict[float, list[bytes]] = {}
    for h in still.hashes:
        by_time.setdefault(h.t, []).append(h.digest)
    assert sorted(by_time) == [t for t, _ in frames]
    assert by_time[0.125] == by_time[0.0] and by_time[0.5] != by_time[0.0]


def test_frames_that_move_are_hashed_as_the_plain_hasher_hashes_them() -> None:
    still, plain = StillQueryHasher(), QueryHasher()
    for i in range(8):
        frame = _scene(10 + i)
        still.add(i * 0.125, frame)
        plain.add(i * 0.125, frame)
    assert still.anew == 8
    assert still.hashes == plain.hashes


def test_a_still_frame_after_one_that_moved_waits_for_a_layout_frame() -> None:
    # Frame 1 moved: it is hashed anew but may not be repeated (its layout was not looked for), so frames 2 and 3
    # are hashed anew too; frame 4 looks for its layout and frames 5 to 7 repeat it.
    scene, other = _scene(1), _scene(2)
    still = StillQueryHasher()
    for i in range(8):
        still.add(i * 0.125, _noisy(scene if i == 0 else other, i))
    assert still.anew == 5
