"""A deterministic face analyzer for tests and drills: it "sees" magenta cards (R = B = 230) as faces.

It exercises everything around the model (sampling, tracking, galleries, consent) in milliseconds and without
model files. Each square's embedding is a fixed projection of its mean colour, so squares of one colour are the
same "person". It is never selected by settings; tests inject it.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from safety.faces.analyzer import DetectedFace, Embedding, FaceBox, RGBImage

# Scaled so one grey level of the mean colour moves an embedding by about 0.004.
_PROJECTION = (np.random.default_rng(1234).normal(size=(3, 128)) / np.sqrt(128)).astype(np.float32)


class FakeFaceAnalyzer:
    """Magenta-ish squares are faces; their green level is their identity."""

    model_id = "fake-squares-v1"

    def detect(self, image: RGBImage, *, thorough: bool = False) -> list[DetectedFace]:
        red, green, blue = (image[..., i].astype(np.int16) for i in range(3))
        mask = ((np.abs(red - 230) < 25) & (np.abs(blue - 230) < 25) & (green < 140)).astype(np.uint8)
        count, _, stats, _ = cv2.connectedComponentsWithStats(mask)
        faces = []
        for label in range(1, count):
            x, y, w, h, area = (int(v) for v in stats[label])
            if area >= 64 and 0.5 < w / max(h, 1) < 2 and area / (w * h) > 0.7:
                faces.append(DetectedFace(FaceBox(x, y, x + w, y + h), 1.0, "fake"))
        return faces

    def embed(self, image: RGBImage, face: DetectedFace, *, jitters: int = 0) -> Embedding:
        # The centre only: compositing blends a face's edges into the scene.
        box = face.box
        dx, dy = box.width // 4, box.height // 4
        patch = image[box.top + dy : box.bottom - dy, box.left + dx : box.right - dx].reshape(-1, 3).astype(np.float32)
        colour = patch.mean(axis=0) / 255.0
        vector: Embedding = (colour @ _PROJECTION).astype(np.float32)
        return vector

    def landmarks68(self, image: RGBImage, face: DetectedFace) -> NDArray[np.float64] | None:
        return None


def face_card(green: int, size: int = 96) -> RGBImage:
    """A square the fake analyzer detects; `green` (0-120) picks the identity."""
    card = np.zeros((size, size, 3), np.uint8)
    card[..., 0] = 230
    card[..., 1] = green
    card[..., 2] = 230
    return card
