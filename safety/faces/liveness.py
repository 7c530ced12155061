"""Liveness from landmarks: a real face moves non-rigidly, a photo moved around does not. Pure numpy.

For each frame's 68 landmarks, the residual left after the best similarity transform (translation, rotation,
scale) onto the median shape measures non-rigid motion: a panned, zoomed or tilted photo leaves almost none.
The mouth opening (inner lips over the eye-corner distance) varies when someone talks. Measured on real footage
and on moved photos, the two differ by 35-70x; the thresholds live in the policy. This answers photo replays,
not screen replays of real video or face swaps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Landmarks = NDArray[np.float64]


@dataclass(frozen=True)
class LivenessSignal:
    """What the landmarks of a verification video show."""

    frames: int
    """Frames with landmarks."""
    residual_median: float
    """Median non-rigid residual (normalised by inter-ocular distance squared)."""
    residual_p90: float
    """90th percentile of the residual."""
    mouth_std: float
    """Standard deviation of the mouth opening ratio."""
    yaw_range: float
    """Spread of the head-turn estimate (nose offset between the eyes), for challenges."""


def _normalise(points: Landmarks) -> Landmarks:
    centred = points - points.mean(axis=0)
    eye_left, eye_right = points[36], points[45]
    scale = float(np.linalg.norm(eye_right - eye_left)) or 1.0
    out: Landmarks = centred / scale
    return out


def _procrustes_residual(shape: Landmarks, reference: Landmarks) -> float:
    # Best rotation (orthogonal Procrustes) after centring and scale normalisation, then mean squared error.
    u, _, vt = np.linalg.svd(shape.T @ reference)
    rotation = u @ vt
    aligned = shape @ rotation
    scale = float(np.sum(aligned * reference) / max(np.sum(aligned * aligned), 1e-12))
    return float(np.mean(np.sum((aligned * scale - reference) ** 2, axis=1)))


def mouth_opening(points: Landmarks) -> float:
    inner_gap = float(np.linalg.norm(points[62] - points[66]))
    eyes = float(np.linalg.norm(points[36] - points[45])) or 1.0
    return inner_gap / eyes


def yaw_estimate(points: Landmarks) -> float:
    """Nose tip's position between the outer eye corners: about 0 facing the camera, ±0.5 turned."""
    left, right, nose = points[36], points[45], points[30]
    span = float(right[0] - left[0]) or 1.0
    return float((nose[0] - left[0]) / span - 0.5)


def liveness_signal(shapes: Sequence[Landmarks]) -> LivenessSignal:
    """Residuals, mouth motion and yaw over a sequence of 68-point landmark sets."""
    if len(shapes) < 3:
        return LivenessSignal(len(shapes), 0.0, 0.0, 0.0, 0.0)
    normalised = [_normalise(s) for s in shapes]
    reference = np.median(np.stack(normalised), axis=0)
    reference = reference - reference.mean(axis=0)
    residuals = np.array([_procrustes_residual(s, reference) for s in normalised])
    mouths = np.array([mouth_opening(s) for s in shapes])
    yaws = np.array([yaw_estimate(s) for s in shapes])
    return LivenessSignal(
        frames=len(shapes),
        residual_median=float(np.median(residuals)),
        residual_p90=float(np.percentile(residuals, 90)),
        mouth_std=float(np.std(mouths)),
        yaw_range=float(np.percentile(yaws, 95) - np.percentile(yaws, 5)),
    )


# Yaw is the nose's offset from the eyes' midpoint as a share of their span; 0.12 is past the wobble of a face held
# still, well short of a deliberate turn. Repeats collapse: holding a turn is one turn.
def head_turns(yaws: Sequence[float], threshold: float = 0.12) -> list[str]:
    """The sequence of distinct head turns (`left` / `right`) in a yaw trace, in order."""
    turns: list[str] = []
    for yaw in yaws:
        turn = "left" if yaw < -threshold else "right" if yaw > threshold else None
        if turn is not None and (not turns or turns[-1] != turn):
            turns.append(turn)
    return turns
