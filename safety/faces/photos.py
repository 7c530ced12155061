"""Still photos: loading any image as RGB, and finding faces in it (fast detector first, slow one as fallback)."""

from __future__ import annotations

import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from safety.errors import InvalidMediaError
from safety.faces.analyzer import DetectedFace, FaceAnalyzer, FaceBox, RGBImage


def load_rgb(path: Path) -> RGBImage:
    """An image file as RGB pixels (alpha and palettes handled); `InvalidMediaError` when it is not an image."""
    # Only regular files (a FIFO would block the open), and a decompression bomb is an error, not a warning:
    # a small file that expands to gigabytes of pixels must not be decoded at all.
    if not path.is_file():
        raise InvalidMediaError(f"not a regular file: {path}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                return np.asarray(image.convert("RGB"), dtype=np.uint8)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InvalidMediaError(f"image too large to decode safely: {path}: {exc}") from None
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise InvalidMediaError(f"not a readable image: {path}: {exc}") from None


def faces_in_photo(analyzer: FaceAnalyzer, image: RGBImage, max_side: int = 800) -> list[DetectedFace]:
    """Faces in a still photo: the fast detector first, the slow one (on a copy at most `max_side` px) if it
    found nothing. The slow detector on a full-size photo costs seconds for no gain on portraits."""
    faces = analyzer.detect(image)
    if faces:
        return faces
    scale = min(1.0, max_side / max(image.shape[:2]))
    small = (
        image
        if scale == 1.0
        else np.asarray(
            Image.fromarray(image).resize((round(image.shape[1] * scale), round(image.shape[0] * scale))),
            dtype=np.uint8,
        )
    )
    return [
        DetectedFace(face.box.scaled(1 / scale), face.score, face.detector, ())
        for face in analyzer.detect(small, thorough=True)
    ]


def face_crop(image: RGBImage, box: FaceBox, pad: float = 0.35, size: int = 256) -> RGBImage:
    """The face in `box` with some of its surroundings (hair, chin), at most `size` pixels on a side: what a
    reviewer compares, and what an enrolled or protected person's reference photo keeps (not the whole photo)."""
    grow_w, grow_h = int(box.width * pad), int(box.height * pad)
    height, width = image.shape[:2]
    left, top = max(0, box.left - grow_w), max(0, box.top - grow_h)
    right, bottom = min(width, box.right + grow_w), min(height, box.bottom + grow_h)
    crop: RGBImage = image[top:bottom, left:right]
    if crop.size == 0:
        raise InvalidMediaError(f"the box {box.as_list()} lies outside the {width}x{height} image")
    scale = size / max(crop.shape[:2])
    if scale < 1:
        size_wh = (round(crop.shape[1] * scale), round(crop.shape[0] * scale))
        crop = np.asarray(cv2.resize(crop, size_wh, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    return np.ascontiguousarray(crop, dtype=np.uint8)
