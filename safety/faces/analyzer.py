"""The face analysis interface and its value types.

An analyzer detects faces (boxes, landmarks, a detector score) and turns a detected face into an embedding.
Embeddings of one model are compared by Euclidean distance; `model_id` names the model so that templates from
different models are never compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

RGBImage = NDArray[np.uint8]
Embedding = NDArray[np.float32]


@dataclass(frozen=True)
class FaceBox:
    """A face's bounding box in pixels of the analysed image."""

    left: int
    """Left edge."""
    top: int
    """Top edge."""
    right: int
    """Right edge (exclusive)."""
    bottom: int
    """Bottom edge (exclusive)."""

    @property
    def width(self) -> int:
        return max(0, self.right - self.left)

    @property
    def height(self) -> int:
        return max(0, self.bottom - self.top)

    def iou(self, other: FaceBox) -> float:
        left, top = max(self.left, other.left), max(self.top, other.top)
        right, bottom = min(self.right, other.right), min(self.bottom, other.bottom)
        inter = max(0, right - left) * max(0, bottom - top)
        union = self.width * self.height + other.width * other.height - inter
        return inter / union if union else 0.0

    def scaled(self, factor: float) -> FaceBox:
        return FaceBox(
            round(self.left * factor), round(self.top * factor), round(self.right * factor), round(self.bottom * factor)
        )

    def as_list(self) -> list[int]:
        return [self.left, self.top, self.right, self.bottom]


@dataclass(frozen=True)
class DetectedFace:
    """One face found in one image."""

    box: FaceBox
    """Where it is."""
    score: float
    """Detector confidence (detector-specific scale)."""
    detector: str
    """Which detector found it (e.g. `hog`, `cnn`, `scrfd`)."""
    landmarks: tuple[tuple[float, float], ...] = ()
    """Landmark points, when the detector gives them."""


class FaceAnalyzer(Protocol):
    """Detect faces and embed them, with one model."""

    @property
    def model_id(self) -> str:
        """Identifies the embedding model; stored with every template."""
        ...

    def detect(self, image: RGBImage, *, thorough: bool = False) -> list[DetectedFace]:
        """Faces in `image`; `thorough` may use a slower detector that finds small and profile faces."""
        ...

    def embed(self, image: RGBImage, face: DetectedFace, *, jitters: int = 0) -> Embedding:
        """The face's embedding; `jitters` averages over that many perturbed crops where the model supports it."""
        ...

    def landmarks68(self, image: RGBImage, face: DetectedFace) -> NDArray[np.float64] | None:
        """68-point landmarks (for liveness), or None when the model has none."""
        ...


def distance(a: Embedding, b: Embedding) -> float:
    """Euclidean distance between two embeddings of the same model."""
    return float(np.linalg.norm(a.astype(np.float32) - b.astype(np.float32)))


def embedding_bytes(vector: Embedding) -> bytes:
    """How a template is stored: float32 bytes."""
    return np.asarray(vector, dtype=np.float32).tobytes()


def embedding_from_bytes(blob: bytes) -> Embedding:
    """A stored template as a vector."""
    return np.frombuffer(blob, dtype=np.float32)
