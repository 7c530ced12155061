"""Protection: people protected without enrolling (public figures, estates, opt-outs), and operators' face tools.

A protected person's photos leave behind their templates and one face crop per photo (`media/protected/<id>/`), so
a reviewer can compare a face the gate found with the person it resembles; unprotecting removes both."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from policies import MatchThresholds
from safety.errors import CheckFailure, InvalidMediaError, ModelUnavailable, SubmissionError
from safety.faces.analyzer import FaceBox, distance, embedding_bytes
from safety.faces.engine import FaceEngine
from safety.faces.photos import face_crop, faces_in_photo, load_rgb
from safety.media import AUDIO_RATE, read_audio
from safety.mediastore import MediaStore, write_png_atomically
from safety.records import ProtectedPersonRecord, ProtectionKind, TemplateSubject
from safety.storage import Store
from safety.voices import MIN_SPEECH_S, VoiceEmbedder, voiced

NAME_MAX_CHARS = 120


@dataclass(frozen=True)
class _Templates:
    """Templates made from one kind of sample: the model that made them, the vectors and, for photos, the crops."""

    model: str = ""
    vectors: tuple[bytes, ...] = ()
    crops: tuple[NDArray[np.uint8], ...] = ()


@dataclass(frozen=True)
class ProtectionResult:
    """What `protect add` answers."""

    id: str
    """The protected person's id."""
    name: str
    """Their name, as shown in evidence."""
    kind: ProtectionKind
    """Why they are protected."""
    templates: int
    """Templates stored."""
    model: str
    """The face and/or voice models that made them."""
    scan_id: str | None = None
    """The retroactive scan of published videos started for them."""


@dataclass(frozen=True)
class FaceComparison:
    """Are the largest faces of two images the same person?"""

    verdict: str
    """same, uncertain or different."""
    distance: float
    """Embedding distance."""
    threshold: float
    """The policy's match distance for this model."""
    uncertain_below: float
    """Up to this distance the verdict is uncertain, not different."""
    model: str
    """The face model."""

    @property
    def same_person(self) -> bool:
        """True only for a `same` verdict."""
        return self.verdict == "same"


def _speech_of(path: Path) -> NDArray[np.float32]:
    """A recording's voiced audio; `InvalidMediaError` unless it holds at least `MIN_SPEECH_S` of it."""
    if not path.is_file():
        raise InvalidMediaError(f"no such recording: {path}")
    try:
        audio = read_audio(path)
    except CheckFailure as exc:
        raise InvalidMediaError(f"{path}: {exc}") from None
    if audio is None:
        raise InvalidMediaError(f"{path} has no sound")
    speech = voiced(audio)
    if speech.size < MIN_SPEECH_S * AUDIO_RATE:
        raise InvalidMediaError(f"{path} holds less than {MIN_SPEECH_S:g} s of speech")
    return speech


class Protection:
    """Protected people and face tools."""

    def __init__(
        self,
        store: Store,
        faces: FaceEngine,
        thresholds: Callable[[], MatchThresholds],
        voices: Callable[[], VoiceEmbedder] | None = None,
        media: MediaStore | None = None,
        *,
        scan: Callable[[TemplateSubject, str], str] | None = None,
    ) -> None:
        self._scan = scan
        self._media = media
        self._voices = voices
        self._store = store
        self._faces = faces
        self._thresholds = thresholds

    def protect(
        self, name: str, images: Sequence[Path] = (), kind: str = "public_figure", *, audio: Sequence[Path] = ()
    ) -> ProtectionResult:
        """Protect a person from their photos and/or recordings of their voice (operator-run); every photo must
        show exactly one face, every recording hold at least a second of speech by them alone."""
        name = " ".join(name.split())
        if not name or len(name) > NAME_MAX_CHARS:
            raise SubmissionError(f"a protected person needs a name of 1 to {NAME_MAX_CHARS} characters")
        if kind not in set(ProtectionKind):
            raise SubmissionError("kind is public_figure, estate or opt_out")
        if not images and not audio:
            raise SubmissionError("at least one --image or --audio is needed")
        # Every sample is read and embedded before the transaction: a bad photo refuses the whole request, and the
        # models' seconds hold no lock.
        faces = self._face_templates(images) if images else _Templates()
        voices = self._voice_templates(audio) if audio else _Templates()
        with self._store.transaction() as tx:
            person_id = tx.templates.add_protected(name, ProtectionKind(kind))
            for templates in (faces, voices):
                if templates.vectors:
                    tx.templates.add_templates(
                        TemplateSubject.PROTECTED, name, templates.model, list(templates.vectors)
                    )
            if faces.crops and self._media is not None:
                folder = self._media.area("protected") / person_id
                photos = [folder / f"photo_{index}.png" for index in range(len(faces.crops))]
                try:
                    for crop, photo in zip(faces.crops, photos, strict=True):
                        write_png_atomically(crop, photo)
                    tx.templates.set_protected_photos(person_id, photos)
                except BaseException:
                    # Written inside the transaction: a failure here rolls the protection back with its files.
                    shutil.rmtree(folder, ignore_errors=True)
                    raise
        # Videos published before the protection are searched for them (in the background).
        scan_id = self._scan(TemplateSubject.PROTECTED, name) if self._scan is not None else None
        return ProtectionResult(
            person_id,
            name,
            ProtectionKind(kind),
            len(faces.vectors) + len(voices.vectors),
            " + ".join(t.model for t in (faces, voices) if t.vectors),
            scan_id=scan_id,
        )

    def _face_templates(self, images: Sequence[Path]) -> _Templates:
        """One template and one face crop per photo; `InvalidMediaError` for a photo without exactly one face."""
        pixels = [load_rgb(path) for path in images]
        analyzer = self._faces.analyzer()
        vectors: list[bytes] = []
        crops: list[NDArray[np.uint8]] = []
        for path, image in zip(images, pixels, strict=True):
            faces = faces_in_photo(analyzer, image)
            if len(faces) != 1:
                raise InvalidMediaError(f"{path} shows {len(faces)} faces; a protection photo must show exactly one")
            # Five jitters: a protection rests on a few photos, so each template is averaged over small shifts.
            vectors.append(embedding_bytes(analyzer.embed(image, faces[0], jitters=5)))
            crops.append(face_crop(image, faces[0].box))
        return _Templates(analyzer.model_id, tuple(vectors), tuple(crops))

    def _voice_templates(self, audio: Sequence[Path]) -> _Templates:
        """One voice template per recording."""
        if self._voices is None:
            raise ModelUnavailable("no voice encoder is configured")
        embedder = self._voices()
        return _Templates(embedder.model_id, tuple(embedding_bytes(embedder.embed(_speech_of(path))) for path in audio))

    def protected_people(self) -> list[ProtectedPersonRecord]:
        """Everyone protected, by name."""
        with self._store.transaction() as tx:
            return tx.templates.list_protected()

    def unprotect(self, id_or_name: str) -> ProtectedPersonRecord:
        """End a protection; its templates are deleted."""
        with self._store.transaction() as tx:
            removed = tx.templates.remove_protected(id_or_name)
        if self._media is not None:
            shutil.rmtree(self._media.area("protected") / removed.id, ignore_errors=True)
        return removed

    def faces_in_image(self, path: Path) -> list[FaceBox]:
        """Boxes of the faces in a photo."""
        return [face.box for face in faces_in_photo(self._faces.analyzer(), load_rgb(path))]

    def compare_faces(self, first: Path, second: Path) -> FaceComparison:
        """Are the largest faces in two images the same person?"""
        analyzer = self._faces.analyzer()
        vectors = []
        for path in (first, second):
            image = load_rgb(path)
            faces = faces_in_photo(analyzer, image)
            if not faces:
                raise InvalidMediaError(f"no face found in {path}")
            largest = max(faces, key=lambda f: f.box.width * f.box.height)
            vectors.append(analyzer.embed(image, largest))
        thresholds = self._thresholds()
        dist = distance(vectors[0], vectors[1])
        if dist <= thresholds.match_distance:
            verdict = "same"
        elif dist <= thresholds.uncertain_distance:
            verdict = "uncertain"
        else:
            verdict = "different"
        return FaceComparison(
            verdict, round(dist, 4), thresholds.match_distance, thresholds.uncertain_distance, analyzer.model_id
        )
