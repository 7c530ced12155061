"""The default face analyzer: dlib with the models shipped by the `face_recognition_models` package.

HOG finds frontal faces quickly; the CNN (MMOD) detector finds small and three-quarter faces HOG misses, at about
fifty times the cost, so it runs only when asked (`thorough`). Faces are aligned with the 5-point predictor and
embedded with the 128-D ResNet descriptor (LFW 99.38%). Model files are located without importing
`face_recognition_models`, whose import needs `pkg_resources`. Nothing is downloaded.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from safety.errors import ModelUnavailable
from safety.faces.analyzer import DetectedFace, Embedding, FaceBox, RGBImage

MODEL_ID = "dlib-resnet-v1"
_FILES = {
    "recognizer": "dlib_face_recognition_resnet_model_v1.dat",
    "landmarks5": "shape_predictor_5_face_landmarks.dat",
    "landmarks68": "shape_predictor_68_face_landmarks.dat",
    "cnn": "mmod_human_face_detector.dat",
}


def models_dir() -> Path:
    """Where `face_recognition_models` keeps its model files; `ModelUnavailable` when it is not installed."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable("the face_recognition_models package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


class DlibFaceAnalyzer:
    """dlib HOG/CNN detection, 5/68-point landmarks and the ResNet descriptor."""

    def __init__(self, model_dir: Path | None = None, *, hog_upsample: int = 1, cnn_upsample: int = 0) -> None:
        folder = model_dir or models_dir()
        missing = [name for name in _FILES.values() if not (folder / name).is_file()]
        if missing:
            raise ModelUnavailable(f"dlib model files missing in {folder}: {', '.join(missing)}")
        try:
            import dlib
        except ImportError as exc:
            raise ModelUnavailable(f"dlib is not importable: {exc}") from None
        self._dlib: Any = dlib
        self._hog = dlib.get_frontal_face_detector()
        self._cnn: Any = None
        self._cnn_path = folder / _FILES["cnn"]
        self._sp5 = dlib.shape_predictor(str(folder / _FILES["landmarks5"]))
        self._sp68 = dlib.shape_predictor(str(folder / _FILES["landmarks68"]))
        self._rec = dlib.face_recognition_model_v1(str(folder / _FILES["recognizer"]))
        self.hog_upsample = hog_upsample
        self.cnn_upsample = cnn_upsample
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return MODEL_ID

    def _rect(self, box: FaceBox) -> Any:
        return self._dlib.rectangle(box.left, box.top, box.right, box.bottom)

    def detect(self, image: RGBImage, *, thorough: bool = False) -> list[DetectedFace]:
        image = np.ascontiguousarray(image)
        faces: list[DetectedFace] = []
        # Upsampling lets HOG find faces down to ~40 px, at four times the cost: worth it on small frames only.
        upsample = self.hog_upsample if max(image.shape[:2]) <= 1000 else 0
        rects, scores, _ = self._hog.run(image, upsample, 0.0)
        for rect, score in zip(rects, scores, strict=True):
            faces.append(DetectedFace(_box(rect, image.shape), float(score), "hog"))
        if thorough:
            with self._lock:
                if self._cnn is None:
                    self._cnn = self._dlib.cnn_face_detection_model_v1(str(self._cnn_path))
            for found in self._cnn(image, self.cnn_upsample):
                box = _box(found.rect, image.shape)
                if all(box.iou(f.box) < 0.3 for f in faces):
                    faces.append(DetectedFace(box, float(found.confidence), "cnn"))
        return [f for f in faces if f.box.width > 0 and f.box.height > 0]

    def embed(self, image: RGBImage, face: DetectedFace, *, jitters: int = 0) -> Embedding:
        image = np.ascontiguousarray(image)
        shape = self._sp5(image, self._rect(face.box))
        descriptor = self._rec.compute_face_descriptor(image, shape, jitters)
        return np.asarray(descriptor, dtype=np.float32)

    def landmarks68(self, image: RGBImage, face: DetectedFace) -> NDArray[np.float64] | None:
        shape = self._sp68(np.ascontiguousarray(image), self._rect(face.box))
        return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)


def _box(rect: Any, shape: tuple[int, ...]) -> FaceBox:
    height, width = shape[:2]
    return FaceBox(
        max(0, int(rect.left())),
        max(0, int(rect.top())),
        min(width, int(rect.right())),
        min(height, int(rect.bottom())),
    )
