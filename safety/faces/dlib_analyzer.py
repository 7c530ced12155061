"""The default face analyzer: dlib with the models shipped by the `face_recognition_models` package.

HOG finds frontal faces quickly; the CNN (MMOD) detector finds small and three-quarter faces HOG misses, at about
fifty times the cost, so it runs only when asked (`thorough`). The CNN and the descriptor run in two child
processes (their binding holds the GIL; see `dlib_workers`); HOG and the 68-point landmarks run here. Faces are
aligned with the 5-point predictor and embedded with the 128-D ResNet descriptor (LFW 99.38%). Model files are
located without importing `face_recognition_models`, whose import needs `pkg_resources`. Nothing is downloaded.
"""

from __future__ import annotations

import importlib.util
import queue
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from safety.errors import ModelUnavailable
from safety.faces.analyzer import DetectedFace, Embedding, FaceBox, RGBImage
from safety.faces.dlib_workers import DlibWorkers

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


class _DlibTools:
    """The models used in this process (HOG and the 68-point landmarks). dlib keeps working buffers inside them,
    so one set must not be used by two threads at once (two threads sharing the HOG detector crashed the
    process)."""

    def __init__(self, dlib: Any, folder: Path) -> None:
        self._dlib = dlib
        self._folder = folder
        self.hog: Any = dlib.get_frontal_face_detector()
        self._landmarks68: Any = None

    @property
    def landmarks68(self) -> Any:
        # Loaded on first use: it is 100 MB, and only enrollment and liveness need it, while detection threads
        # (several per video under load) need only HOG.
        if self._landmarks68 is None:
            self._landmarks68 = self._dlib.shape_predictor(str(self._folder / _FILES["landmarks68"]))
        return self._landmarks68


class DlibFaceAnalyzer:
    """dlib HOG/CNN detection, 5/68-point landmarks and the ResNet descriptor; safe to call from many threads."""

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
        self._folder = folder
        # Idle tool sets; a thread takes one (or makes one) for a call and puts it back, so concurrent calls run
        # in parallel (dlib releases the GIL in HOG) without sharing buffers.
        self._idle: queue.LifoQueue[_DlibTools] = queue.LifoQueue()
        # The 68-point model (100 MB, a second to load) loads when enrollment or liveness first needs it; its file
        # was checked above.
        self._idle.put(_DlibTools(dlib, folder))
        self._workers = DlibWorkers(folder)
        self.hog_upsample = hog_upsample
        self.cnn_upsample = cnn_upsample

    @contextmanager
    def _tools(self) -> Iterator[_DlibTools]:
        try:
            tools = self._idle.get_nowait()
        except queue.Empty:
            tools = _DlibTools(self._dlib, self._folder)
        try:
            yield tools
        finally:
            self._idle.put(tools)

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
        with self._tools() as tools:
            rects, scores, _ = tools.hog.run(image, upsample, 0.0)
        for rect, score in zip(rects, scores, strict=True):
            faces.append(DetectedFace(_box(rect, image.shape), float(score), "hog"))
        if thorough:
            height, width = image.shape[:2]
            for left, top, right, bottom, confidence in self._workers.detect_cnn(image, self.cnn_upsample):
                box = FaceBox(max(0, left), max(0, top), min(width, right), min(height, bottom))
                if all(box.iou(f.box) < 0.3 for f in faces):
                    faces.append(DetectedFace(box, confidence, "cnn"))
        return [f for f in faces if f.box.width > 0 and f.box.height > 0]

    def embed(self, image: RGBImage, face: DetectedFace, *, jitters: int = 0) -> Embedding:
        box = face.box
        # Only the face and a margin of one face-size go to the worker: alignment and the face chip never look
        # further, and a 720p frame would otherwise be copied through a pipe for every embedding.
        height, width = image.shape[:2]
        left, top = max(0, box.left - box.width), max(0, box.top - box.height)
        right, bottom = min(width, box.right + box.width), min(height, box.bottom + box.height)
        region = np.ascontiguousarray(image[top:bottom, left:right])
        shifted = (box.left - left, box.top - top, box.right - left, box.bottom - top)
        descriptors = self._workers.embed(region, [shifted], jitters)
        embedding: Embedding = descriptors[0]
        return embedding

    def landmarks68(self, image: RGBImage, face: DetectedFace) -> NDArray[np.float64] | None:
        with self._tools() as tools:
            shape = tools.landmarks68(np.ascontiguousarray(image), self._rect(face.box))
        return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)


def _box(rect: Any, shape: tuple[int, ...]) -> FaceBox:
    height, width = shape[:2]
    return FaceBox(
        max(0, int(rect.left())),
        max(0, int(rect.top())),
        min(width, int(rect.right())),
        min(height, int(rect.bottom())),
    )
