"""The arithmetic of a retroactive scan: each stored video's nearest distance to a person's templates.

Stored embeddings arrive grouped by video; one matrix product against the person's few templates gives every
track's distance, and a per-group minimum gives each video's. Faces are compared by Euclidean distance (as the
gallery does), voices by 1 - cosine similarity (their vectors are unit length), so the policy's thresholds apply
unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray


def nearest_by_video(
    video_ids: Sequence[str], vectors: NDArray[np.float32], templates: NDArray[np.float32], *, kind: str
) -> dict[str, float]:
    """For rows grouped by video (`video_ids[i]` owns `vectors[i]`), each video's smallest distance to any template."""
    if len(video_ids) == 0 or len(templates) == 0:
        return {}
    if kind == "voice":
        distances = 1.0 - vectors @ templates.T
    else:
        squared = (
            np.einsum("ij,ij->i", vectors, vectors)[:, None]
            - 2.0 * (vectors @ templates.T)
            + np.einsum("ij,ij->i", templates, templates)[None, :]
        )
        distances = np.sqrt(np.maximum(squared, 0.0))
    per_row = distances.min(axis=1)
    labels = np.asarray(video_ids)
    starts = np.flatnonzero(np.r_[True, labels[1:] != labels[:-1]])
    per_video = np.minimum.reduceat(per_row, starts)
    return {str(labels[i]): float(d) for i, d in zip(starts, per_video, strict=True)}


def stack(blobs: Sequence[bytes]) -> NDArray[np.float32]:
    """Stored float32 vectors as one matrix."""
    if not blobs:
        return np.zeros((0, 0), np.float32)
    return np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), -1)
