"""The gallery: every enrolled cameo's and protected person's templates for one model, searched 1:N.

Exact search (one matrix-vector product) is the default and is exact by construction. Past `faiss_threshold`
templates an HNSW index (faiss-cpu) answers in about a millisecond at a million templates; its results are
re-ranked with exact distances, and a match is always confirmed against the database before it decides anything,
so a stale index can delay a match but never invent a consent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from safety.faces.analyzer import Embedding


@dataclass(frozen=True)
class GalleryTemplate:
    """One stored embedding of a subject."""

    subject_kind: str
    """`cameo` or `protected`."""
    subject: str
    """The cameo owner's handle or the protected person's name."""
    vector: Embedding
    """The embedding."""


@dataclass(frozen=True)
class GalleryMatch:
    """The nearest template of one subject."""

    subject_kind: str
    """`cameo` or `protected`."""
    subject: str
    """Handle or name."""
    distance: float
    """Euclidean distance to the subject's nearest template."""


class Gallery:
    """Templates of one model, searchable by nearest neighbour."""

    def __init__(
        self,
        model_id: str,
        templates: Sequence[GalleryTemplate],
        *,
        faiss_threshold: int = 50_000,
        hnsw_m: int = 32,
        ef_search: int = 128,
    ) -> None:
        self.model_id = model_id
        self.subjects: list[tuple[str, str]] = [(t.subject_kind, t.subject) for t in templates]
        dim = templates[0].vector.shape[0] if templates else 0
        self.matrix: NDArray[np.float32] = (
            np.stack([t.vector.astype(np.float32) for t in templates]) if templates else np.zeros((0, dim), np.float32)
        )
        self._norms = np.einsum("ij,ij->i", self.matrix, self.matrix)
        self._index: Any = None
        if len(templates) >= faiss_threshold:
            import faiss

            index = faiss.IndexHNSWFlat(dim, hnsw_m)
            index.hnsw.efConstruction = 80
            index.add(self.matrix)
            index.hnsw.efSearch = ef_search
            self._index = index

    def __len__(self) -> int:
        return len(self.subjects)

    @property
    def uses_index(self) -> bool:
        return self._index is not None

    def _candidates(self, query: NDArray[np.float32], k: int) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        if self._index is not None:
            squared, ids = self._index.search(query[None, :], k)
            keep = ids[0] >= 0
            return ids[0][keep].astype(np.int64), np.sqrt(np.maximum(squared[0][keep], 0)).astype(np.float32)
        squared = self._norms - 2 * (self.matrix @ query) + float(query @ query)
        k = min(k, len(squared))
        ids = np.argpartition(squared, k - 1)[:k]
        return ids.astype(np.int64), np.sqrt(np.maximum(squared[ids], 0)).astype(np.float32)

    def search(self, query: Embedding, k: int = 8) -> list[GalleryMatch]:
        """The nearest subjects (one entry each), closest first."""
        if not self.subjects:
            return []
        ids, distances = self._candidates(query.astype(np.float32), k)
        best: dict[tuple[str, str], float] = {}
        for index, dist in zip(ids.tolist(), distances.tolist(), strict=True):
            subject = self.subjects[index]
            best[subject] = min(best.get(subject, dist), dist)
        return sorted((GalleryMatch(kind, name, d) for (kind, name), d in best.items()), key=lambda m: m.distance)
