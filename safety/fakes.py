"""Deterministic fakes for every adapter with a real model, file or service behind it, shipped with the package.

Each fake implements the same protocol as its real adapter and behaves predictably; most take `fail_with` so a
test can make the step fail the way the real one would (a signing service down, an encoder crash) without
patching internals. The real adapters run in the tests marked `slow` and in the default suite's end-to-end tests.

| seam | real | fake |
|---|---|---|
| face analyzer | dlib / InsightFace | `safety.faces.fake.FakeFaceAnalyzer` |
| signer | `provenance.ManifestSigner` (C2PA) | `FakeSigner` |
| marker | `safety.publishing.WatermarkMarker` | `FakeMarker` |
| fingerprinter | `safety.publishing.PdqFingerprinter` | `FakeFingerprinter` |
| prompt classifier | `safety.classifiers.prompt.PromptClassifierCache` | `FakePromptClassifier` |
| nudity model | open_nsfw (`safety.checks.frames_nsfw.open_nsfw`) | `FakeNudityModel` |
| deepfake model | `safety.checks.deepfake.OnnxDeepfakeModel` | `FakeDeepfakeModel` |
| speech to text | `safety.checks.speech.WhisperTranscriber` | `FakeTranscriber` |
| voice encoder | `safety.voices.DvectorEmbedder` | `FakeVoiceEmbedder` |
| owners' restrictions | `safety.classifiers.restriction_judge` | `safety.restrictions.LiteralRestrictions` (pure) |
| media store | `safety.mediastore.MediaStore` | `FaultyMediaStore` |
| clock | `safety.clock.SystemClock` | `safety.clock.FakeClock` |
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from provenance import Publication
from safety.checks.models import Models
from safety.checks.speech import SpokenSegment
from safety.classifiers.prompt import BENIGN, PromptScores
from safety.clock import FakeClock
from safety.mediastore import MediaStore
from safety.publishing import FrameCallback
from safety.restrictions import LiteralRestrictions


def _maybe_fail(error: BaseException | None) -> None:
    if error is not None:
        raise error


class FakeSigner:
    """Copies the file instead of embedding a manifest; records what it was asked to sign. Its "manifest store" is
    the publication's label and soft bindings as JSON (not C2PA: no reader validates it)."""

    def __init__(self, fail_with: BaseException | None = None) -> None:
        self.fail_with = fail_with
        self.signed: list[Publication] = []

    def sign(self, source: Path, dest: Path, publication: Publication, *, parent_file: Path | None = None) -> bytes:
        _maybe_fail(self.fail_with)
        shutil.copyfile(source, dest)
        self.signed.append(publication)
        bindings = [{"alg": b.alg, "value": b.value} for b in publication.soft_bindings]
        return json.dumps({"fake_manifest": publication.label, "soft_bindings": bindings}).encode()


class FakeMarker:
    """Copies the file instead of re-encoding it; reports one flat frame per second of `frames` to `on_frame`."""

    def __init__(self, fail_with: BaseException | None = None, frames: int = 2) -> None:
        self.fail_with = fail_with
        self.frames = frames

    def mark(self, source: Path, dest: Path, *, label: str, token: int, on_frame: FrameCallback) -> Path:
        _maybe_fail(self.fail_with)
        shutil.copyfile(source, dest)
        for second in range(self.frames):
            on_frame(float(second), _flat_frame((token + second) % 256))
        return dest


def _flat_frame(shade: int) -> Callable[[], NDArray[np.uint8]]:
    return lambda: np.full((64, 64, 3), shade, np.uint8)


class FakeFingerprinter:
    """sha256 of the frame's bytes as its digest; quality 100."""

    def __init__(self, fail_with: BaseException | None = None) -> None:
        self.fail_with = fail_with

    def frame_hashes(self, t: float, frame: NDArray[np.uint8], *, crops: bool) -> list[tuple[float, bytes, int]]:
        _maybe_fail(self.fail_with)
        return [(t, hashlib.sha256(np.ascontiguousarray(frame).tobytes()).digest(), 100)]


class FakePromptClassifier:
    """Scores a prompt by keywords: each category's score is 0.99 when one of its words is in the prompt."""

    def __init__(self, keywords: Mapping[str, Sequence[str]] | None = None, fail_with: BaseException | None = None):
        self.keywords = dict(keywords or {})
        self.fail_with = fail_with

    def get(self, examples: Path, held_out_share: float) -> FakePromptClassifier:
        _maybe_fail(self.fail_with)
        return self

    def score(self, prompts: Sequence[str]) -> list[PromptScores]:
        out = []
        for prompt in prompts:
            text = prompt.casefold()
            scores = {c: (0.99 if any(w in text for w in words) else 0.001) for c, words in self.keywords.items()}
            scores[BENIGN] = 0.001 if any(v > 0.5 for v in scores.values()) else 0.99
            out.append(PromptScores(scores, text))
        return out


class FakeNudityModel:
    """The same score for every image (alternating with half of it, so the worst frame is well defined)."""

    def __init__(self, score: float, fail_with: BaseException | None = None) -> None:
        self.score = score
        self.fail_with = fail_with

    def score_images(self, images: Iterable[Any]) -> NDArray[np.float64]:
        _maybe_fail(self.fail_with)
        return np.array([self.score * (0.5 + 0.5 * (i % 2)) for i, _ in enumerate(images)], dtype=np.float64)


class FakeDeepfakeModel:
    """The same manipulation probability for every frame."""

    def __init__(self, probability: float, name: str = "fake-deepfake", fail_with: BaseException | None = None):
        self.probability = probability
        self.name = name
        self.fail_with = fail_with

    def fake_probabilities(self, frames: list[np.ndarray]) -> NDArray[np.float64]:
        _maybe_fail(self.fail_with)
        return np.full(len(frames), self.probability, dtype=np.float64)


class FakeTranscriber:
    """Hears the segments it was given, whatever the audio: (start, end, text) in English, or (start, end, text,
    language); `fail_with` makes it fail as a missing model does."""

    model_id = "fake-speech"

    def __init__(
        self,
        segments: Sequence[tuple[float, float, str] | tuple[float, float, str, str]] = (),
        fail_with: BaseException | None = None,
    ):
        self.segments = list(segments)
        self.fail_with = fail_with

    def transcribe(self, audio: NDArray[np.float32], *, hint: str | None = None, beams: int = 1) -> list[SpokenSegment]:
        _maybe_fail(self.fail_with)
        return [
            SpokenSegment(segment[0], segment[1], segment[2], segment[3] if len(segment) > 3 else "en", 1.0, "fake")
            for segment in self.segments
        ]


class FakeVoiceEmbedder:
    """A voice as the normalised energy of 16 frequency bands: the same recording embeds the same way, different
    tones embed apart; no model. Good enough to exercise matching, not to tell real speakers apart."""

    model_id = "fake-voice"

    def __init__(self, fail_with: BaseException | None = None) -> None:
        self.fail_with = fail_with

    def embed(self, audio: NDArray[np.float32]) -> NDArray[np.float32]:
        _maybe_fail(self.fail_with)
        spectrum = np.abs(np.fft.rfft(np.asarray(audio, np.float32)))
        bands = np.array([band.sum() for band in np.array_split(spectrum, 16)], dtype=np.float64) + 1e-9
        vector = np.log(bands) - np.log(bands).mean()
        norm = float(np.linalg.norm(vector)) or 1.0
        embedded: NDArray[np.float32] = (vector / norm).astype(np.float32)
        return embedded


# Words that a fake prompt classifier takes as each category, for tests that need a category to fire without the
# multilingual model; the real classifier's behaviour is tested where the `real_models` marker asks for it.
FAKE_CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "sexual": ("nude", "naked", "explicit sex", "porn"),
    "sexual_minors": ("underage", "minor in lingerie"),
    "graphic_violence": ("gore", "beheading", "dismembered", "blood everywhere"),
    "self_harm": ("suicide", "self-harm", "cutting myself"),
    "hate_harassment": ("subhuman", "vermin race"),
    "violent_extremism": ("terrorist recruitment", "join the jihad"),
    "impersonation": ("pretending to be the president",),
    "election_deception": ("ballots are fake", "election is rigged", "election is cancelled", "polls closed early"),
}


class FaultyMediaStore(MediaStore):
    """A real media store on disk whose named operations raise, for fault tests."""

    def __init__(self, root: Path, fail: Mapping[str, BaseException] | None = None) -> None:
        super().__init__(root)
        self.fail = dict(fail or {})

    def __getattribute__(self, name: str) -> Any:
        fail = object.__getattribute__(self, "fail")
        if name in fail:
            error = fail[name]

            def raising(*_args: object, **_kwargs: object) -> Any:
                raise error

            return raising
        return object.__getattribute__(self, name)


def constant(value: Any) -> Callable[[], Any]:
    """A loader that returns `value` (for checks that take a model loader)."""
    return lambda: value


def fake_models() -> Models:
    """Every classifier model faked: keyword prompts, a calm nudity score, silence heard, band-energy voices and
    owners' restrictions read word for word. With the fake face analyzer, a gate run loads no model at all."""
    return Models(
        prompts=FakePromptClassifier(FAKE_CATEGORY_WORDS),
        nudity=constant(FakeNudityModel(0.01)),
        restrictions=LiteralRestrictions(),
        transcriber=constant(FakeTranscriber()),
        voices=constant(FakeVoiceEmbedder()),
    )


__all__ = [
    "FakeClock",
    "FakeDeepfakeModel",
    "FakeFingerprinter",
    "FakeMarker",
    "FakeNudityModel",
    "FakePromptClassifier",
    "FakeSigner",
    "FakeTranscriber",
    "FakeVoiceEmbedder",
    "FaultyMediaStore",
    "constant",
    "fake_models",
]
