"""The checks every submission passes through by default, and the process-wide models they share.

Models are expensive to load (seconds and hundreds of megabytes each), so the speech models and the voice encoder
are built once per process here and loaded on first use; every `CameoGuard` built in the process shares them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from provenance import InvisibleWatermark, SegmentIndex
from safety.checks import (
    Check,
    ConsentCheck,
    DeepfakeCheck,
    FramesNsfwCheck,
    HashBankCheck,
    InputImageCheck,
    LikenessCheck,
    MediaCheck,
    PromptClassifierCheck,
    PromptRulesCheck,
)
from safety.checks.models import Models
from safety.checks.speech import MultilingualTranscriber, SpeechCheck, Transcriber, WhisperTranscriber
from safety.classifiers.prompt import shared_prompt_classifiers
from safety.faces.engine import FaceEngine
from safety.faces.gallery import GalleryTemplate
from safety.restrictions import RestrictionJudge
from safety.voices import DvectorEmbedder, VoiceEmbedder

# Built at import, loaded on first use: every CameoGuard of a process shares one copy of each model.
_TRANSCRIBER = WhisperTranscriber()


ENGLISH_STRETCHES: WhisperTranscriber | None = None
"""The model that hears stretches in English beside the multilingual one: none, because Whisper base reads real
English better than tiny.en (word error rate 0.14 against 0.20, bench/speech.py), though at four times the cost."""


_MULTILINGUAL: dict[str, MultilingualTranscriber] = {}


def shared_transcriber() -> Transcriber:
    """The process-wide English speech model (the enrollment challenge's digits; it loads on first use)."""
    return _TRANSCRIBER


def shared_multilingual_transcriber(cache_root: Path) -> Callable[[], Transcriber]:
    """The process-wide multilingual speech model: put together under the first service's cache that asks for it
    (`safety.speech_models`) and loaded once, on first use."""

    def transcriber() -> Transcriber:
        # `setdefault`: two threads asking at once keep one model; the other, not yet loaded, costs nothing.
        if "model" not in _MULTILINGUAL:
            _MULTILINGUAL.setdefault("model", MultilingualTranscriber(cache_root, english=ENGLISH_STRETCHES))
        return _MULTILINGUAL["model"]

    return transcriber


_VOICES = DvectorEmbedder()


def shared_voices() -> VoiceEmbedder:
    """The process-wide voice encoder (it loads on first use)."""
    return _VOICES


def default_checks(
    faces: FaceEngine,
    banks: Callable[[], SegmentIndex],
    watermark: Callable[[], InvisibleWatermark],
    deepfake_cards: Sequence[Path] = (),
    models: Models = Models(),
    prompt_heads: Path | None = None,
    restrictions: RestrictionJudge | None = None,
    voice_gallery: Callable[[str], Sequence[GalleryTemplate]] | None = None,
    cache_root: Path = Path("var/cache"),
) -> list[Check]:
    """The checks every submission passes through, in the order they are reported. The deepfake slot runs only
    when an operator has installed a model card (or a model is given): no deepfake detector ships by default."""
    prompts = models.prompts or shared_prompt_classifiers(prompt_heads)
    checks: list[Check] = [
        MediaCheck(),
        PromptRulesCheck(),
        PromptClassifierCheck(prompts),
        ConsentCheck(restrictions),
        LikenessCheck(faces),
        InputImageCheck(faces, watermark),
        FramesNsfwCheck(models.nudity),
        HashBankCheck(banks),
        SpeechCheck(
            models.transcriber or shared_multilingual_transcriber(cache_root),
            prompts,
            restrictions,
            voices=models.voices or shared_voices,
            voice_gallery=voice_gallery,
        ),
    ]
    if deepfake_cards or models.deepfake is not None:
        checks.append(DeepfakeCheck(list(deepfake_cards), models=models.deepfake))
    return checks
