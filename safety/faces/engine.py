"""The face engine: the analyzer, loaded once and lazily, and the gallery, reloaded only when it changed.

Loading a model takes about a second, so it happens on first use, not at import or start-up; a model that
cannot load raises `ModelUnavailable`, which the gate records as a failed check (never a pass). The gallery is
rebuilt when the templates of the analyzer's model change (their count or newest id), so enrollments and
deletions in other processes are seen on the next video.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from safety.errors import ConfigurationError, ModelUnavailable
from safety.faces.analyzer import FaceAnalyzer
from safety.faces.gallery import Gallery, GalleryTemplate

GalleryStamp = Callable[[str], tuple[int, int]]
TemplateLoader = Callable[[str], list[GalleryTemplate]]


_SHARED: dict[str, FaceAnalyzer] = {}
_SHARED_LOCK = threading.Lock()


def build_analyzer(backend: str, pack_dir: Path | None) -> FaceAnalyzer:
    """The analyzer a backend name selects; `ModelUnavailable` when its models are missing.

    The dlib models ship with the install and are the same for every caller, so one analyzer serves the whole
    process (several `CameoGuard` instances in one process, as in the demo's drill, do not load them again)."""
    if backend == "dlib":
        from safety.faces.dlib_analyzer import DlibFaceAnalyzer

        with _SHARED_LOCK:
            if "dlib" not in _SHARED:
                _SHARED["dlib"] = DlibFaceAnalyzer()
            return _SHARED["dlib"]
    if backend == "insightface":
        if pack_dir is None:
            raise ModelUnavailable("the insightface backend needs an installed model pack (cameoguard models install)")
        from safety.faces.insightface_analyzer import InsightFaceAnalyzer

        return InsightFaceAnalyzer(pack_dir)
    raise ConfigurationError(f"unknown face backend `{backend}` (dlib or insightface)")


class FaceEngine:
    """A lazily loaded analyzer and a gallery kept in step with the database."""

    def __init__(
        self, load_analyzer: Callable[[], FaceAnalyzer], stamp_of: GalleryStamp, templates_of: TemplateLoader
    ) -> None:
        self._load_analyzer = load_analyzer
        self._stamp_of = stamp_of
        self._templates_of = templates_of
        self._analyzer: FaceAnalyzer | None = None
        self._gallery: Gallery | None = None
        self._stamp: tuple[int, int] | None = None
        self._lock = threading.Lock()

    def analyzer(self) -> FaceAnalyzer:
        with self._lock:
            if self._analyzer is None:
                self._analyzer = self._load_analyzer()
            return self._analyzer

    def gallery(self) -> Gallery:
        model_id = self.analyzer().model_id
        with self._lock:
            stamp = self._stamp_of(model_id)
            if self._gallery is None or stamp != self._stamp:
                self._gallery = Gallery(model_id, self._templates_of(model_id))
                self._stamp = stamp
            return self._gallery
