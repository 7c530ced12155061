"""Faces: detection, embeddings, tracks in video, liveness, and the gallery they are matched against.

Everything model-specific sits behind `FaceAnalyzer`. The default adapter is dlib with the models the
`face_recognition_models` package ships; `InsightFaceAnalyzer` loads an operator-installed model pack from a local
directory. Every template records the model that made it, and the gallery never compares across models.
"""

from safety.faces.analyzer import DetectedFace, FaceAnalyzer, FaceBox
from safety.faces.gallery import Gallery, GalleryMatch, GalleryTemplate
from safety.faces.video import FaceTrack, VideoFaceReport, analyse_video

__all__ = [
    "DetectedFace",
    "FaceAnalyzer",
    "FaceBox",
    "FaceTrack",
    "Gallery",
    "GalleryMatch",
    "GalleryTemplate",
    "VideoFaceReport",
    "analyse_video",
]
