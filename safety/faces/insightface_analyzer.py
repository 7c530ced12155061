"""The production face analyzer: InsightFace (SCRFD detector + ArcFace recognizer) on onnxruntime.

It loads from a model pack directory the operator installed from a local file (`cameoguard models install`);
nothing is downloaded. The pack's manifest names the detector and recognizer files; `model_zoo.get_model` loads
each by path and routes it by its input and output shapes. onnxruntime-gpu's CUDA provider is used when present.
ArcFace embeddings are L2-normalised, so Euclidean distance is monotone in cosine similarity (d² = 2 − 2·cos).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from safety.errors import ModelUnavailable
from safety.faces.analyzer import DetectedFace, Embedding, FaceBox, RGBImage
from safety.faces.packs import read_manifest


def _providers() -> list[str]:
    import onnxruntime

    available = set(onnxruntime.get_available_providers())
    return [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]


class InsightFaceAnalyzer:
    """SCRFD + ArcFace from an installed pack."""

    def __init__(self, pack_dir: Path, *, det_size: int = 640, det_thresh: float = 0.5) -> None:
        manifest = read_manifest(pack_dir)
        try:
            from insightface.app.common import Face
            from insightface.model_zoo import model_zoo
        except ImportError as exc:
            raise ModelUnavailable(f"insightface is not importable: {exc}") from None
        providers = _providers()
        self._face_type: Any = Face
        self._detector: Any = model_zoo.get_model(str(pack_dir / manifest.detector), providers=providers)
        self._recognizer: Any = model_zoo.get_model(str(pack_dir / manifest.recognizer), providers=providers)
        if self._detector is None or not hasattr(self._detector, "detect"):
            raise ModelUnavailable(f"{manifest.detector} is not a face detector InsightFace recognises")
        if self._recognizer is None or not hasattr(self._recognizer, "get_feat"):
            raise ModelUnavailable(f"{manifest.recognizer} is not a face recognizer InsightFace recognises")
        self._detector.prepare(ctx_id=-1, input_size=(det_size, det_size), det_thresh=det_thresh)
        self._recognizer.prepare(ctx_id=-1)
        self._model_id = manifest.model_id

    @property
    def model_id(self) -> str:
        return self._model_id

    def detect(self, image: RGBImage, *, thorough: bool = False) -> list[DetectedFace]:
        bgr = np.ascontiguousarray(image[..., ::-1])
        boxes, points = self._detector.detect(bgr, max_num=0)
        height, width = image.shape[:2]
        faces = []
        for index, row in enumerate(boxes):
            left, top, right, bottom, score = (float(v) for v in row)
            box = FaceBox(max(0, round(left)), max(0, round(top)), min(width, round(right)), min(height, round(bottom)))
            landmarks = tuple((float(x), float(y)) for x, y in points[index]) if points is not None else ()
            faces.append(DetectedFace(box, score, "scrfd", landmarks))
        return [f for f in faces if f.box.width > 0 and f.box.height > 0]

    def embed(self, image: RGBImage, face: DetectedFace, *, jitters: int = 0) -> Embedding:
        if len(face.landmarks) != 5:
            raise ModelUnavailable("ArcFace alignment needs the detector's five landmarks")
        bgr = np.ascontiguousarray(image[..., ::-1])
        target = self._face_type(
            bbox=np.array(face.box.as_list(), np.float32), kps=np.array(face.landmarks, np.float32)
        )
        vector = np.asarray(self._recognizer.get(bgr, target), dtype=np.float32).ravel()
        norm = float(np.linalg.norm(vector)) or 1.0
        out: Embedding = (vector / norm).astype(np.float32)
        return out

    def landmarks68(self, image: RGBImage, face: DetectedFace) -> NDArray[np.float64] | None:
        return None
