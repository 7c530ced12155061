"""The speech check: what a generated video says is read and judged like its prompt, in the language it is said in.

The video's audio track is decoded to 16 kHz mono and transcribed stretch by stretch, each in its own language
(`safety.transcription`: Whisper base, multilingual, from the two packages that ship it; English stretches are read
by base too, which reads real English better than tiny.en, bench/speech.py).
Nothing is downloaded. Every spoken segment goes, untranslated, through the policy's phrase rules (written in six
languages), the prompt classifier (a multilingual encoder) and the declared owners' restrictions ("don't let me say
'bazinga'"). A rule match keeps the prompt's code (`prompt.sexual_minors`, ...): the words are the words. The
classifier's scores come as `speech.<category>`, with bands of their own in the pack, higher than a prompt's:
speech is open-ended (lyrics, conversation), and the classifier learned from prompts. Every finding has
`evidence.source = "speech"`, the segment's time span, words and language, so a reviewer can jump to it and hear
it. Each stretch of at least a second is also matched 1:N against the voices of cameo owners and protected people
(`safety.voices`): `likeness.voice_identified` names an owner, whose consent the gate then asks (a refusal is
`likeness.voice_no_consent`, held for review); `likeness.protected_voice` holds the video. No sound is kept: the
reviewer's console cuts a finding's stretch from the video file itself, so the sound goes when the video does.

A missing model (either package absent, a half that does not match its checksum), an undecodable audio track or a
timeout is a `check.error`: held, never passed. A video without an audio track has nothing to say and passes this
check.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from policies import PolicyPack
from safety.checks.base import CheckContext, CheckOutcome
from safety.checks.prompt_classifier import examples_path
from safety.checks.prompt_rules import rule_findings
from safety.classifiers.prompt import BENIGN, PromptClassifierSource
from safety.consent import consent_verdict
from safety.domain import Finding, Submission, TrackEmbedding
from safety.errors import ModelUnavailable
from safety.faces.analyzer import embedding_bytes
from safety.faces.gallery import GalleryTemplate
from safety.media import AUDIO_RATE as SAMPLE_RATE
from safety.restrictions import LiteralRestrictions, RestrictionJudge
from safety.transcription import (
    CONFIDENT_LANGUAGE,
    DIGITS_HINT,
    SPOKEN_LANGUAGES,
    MultilingualTranscriber,
    SpokenSegment,
    Transcriber,
    WhisperModelFiles,
    WhisperTranscriber,
    choose_language,
    digits_in,
    heard_digits,
    speech_stretches,
)
from safety.voices import MIN_SPEECH_S, VoiceEmbedder, closest_voice


class SpeechCheck:
    """Findings for what the video says, each with its time span."""

    name = "speech"

    def __init__(
        self,
        transcriber: Callable[[], Transcriber],
        prompts: PromptClassifierSource,
        restrictions: RestrictionJudge | None = None,
        *,
        voices: Callable[[], VoiceEmbedder] | None = None,
        voice_gallery: Callable[[str], Sequence[GalleryTemplate]] | None = None,
    ) -> None:
        self.voices = voices
        self.voice_gallery = voice_gallery
        self.transcriber = transcriber
        self.prompts = prompts
        self.restrictions: RestrictionJudge = restrictions or LiteralRestrictions()

    def warm_up(self, policy: PolicyPack) -> None:
        # A second of silence loads the models (speech and voice activity) without anything to hear.
        self.transcriber().transcribe(np.zeros(SAMPLE_RATE, np.float32))

    def hears(self, policy: PolicyPack, submission: Submission) -> bool:
        # Every submission: whether it has a sound track is only known once the feed decodes it.
        return True

    def run(self, context: CheckContext) -> CheckOutcome:
        # The sound comes from the submission's one decode (`safety.frames`), like every check's frames.
        audio = context.frames.sound()
        if audio is None:
            return CheckOutcome(facts={"audio": False})
        segments = self.transcriber().transcribe(audio)
        findings: list[Finding] = []
        for segment in segments:
            findings += self._judge(context, segment)
        voice_findings, embeddings = self._voices_in(context, audio, segments)
        findings += voice_findings
        facts = {
            "audio": True,
            "model": self.transcriber().model_id,
            "segments": [
                {
                    "t_start": round(s.start, 2),
                    "t_end": round(s.end, 2),
                    "text": s.text,
                    "language": s.language,
                    "language_probability": s.language_probability,
                    "model": s.model,
                }
                for s in segments
            ],
            "languages": sorted({s.language for s in segments}),
        }
        return CheckOutcome(tuple(findings), facts, embeddings)

    def _judge(self, context: CheckContext, segment: SpokenSegment) -> list[Finding]:
        where = {"source": "speech", "t_start": round(segment.start, 2), "t_end": round(segment.end, 2)}
        spoken = {
            **where,
            "text": segment.text[:500],
            "language": segment.language,
            **({"model": segment.model} if segment.model else {}),
        }
        findings = [
            Finding(f.code, self.name, f"speech {f.message}", f.score, {**f.evidence, **spoken})
            for f in rule_findings(context.policy, segment.text, check=self.name)
        ]
        settings = context.policy.prompt_classifier
        if settings is None:
            # Fail closed: speech the classifier cannot score must not pass as if it had scored nothing.
            raise ModelUnavailable(f"policy {context.policy.ref} names no prompt classifier examples")
        scores = self.prompts.get(examples_path(settings.examples), settings.held_out_share).score([segment.text])[0]
        findings += [
            Finding(
                f"speech.{category}",
                self.name,
                f"speech at {segment.start:.1f}-{segment.end:.1f} s ({segment.language}) scores {score:.2f} "
                f"for {category}",
                score=score,
                evidence={"category": category, "score": round(score, 4), **spoken},
            )
            for category, score in sorted(scores.scores.items())
            if category != BENIGN
        ]
        # Only the owners' restrictions are read here: whether they consent at all is the consent check's
        # question; what they are made to say is this one's.
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

    def _voices_in(
        self, context: CheckContext, audio: NDArray[np.float32], segments: Sequence[SpokenSegment]
    ) -> tuple[list[Finding], tuple[TrackEmbedding, ...]]:
        """Each stretch of speech matched 1:N against the cameo owners' and protected people's voices; the
        stretches' embeddings are kept for people protected later."""
        if self.voices is None or self.voice_gallery is None:
            return [], ()
        embedder = self.voices()
        gallery = self.voice_gallery(embedder.model_id)
        thresholds = context.policy.likeness.models.get(embedder.model_id)
        if gallery and thresholds is None:
            # Fail closed: voices that cannot be compared must not pass as voices that matched no one.
            raise ModelUnavailable(f"policy {context.policy.ref} has no match thresholds for `{embedder.model_id}`")
        findings: list[Finding] = []
        embeddings: list[TrackEmbedding] = []
        for number, segment in enumerate(segments):
            if segment.end - segment.start < MIN_SPEECH_S:
                continue
            stretch = audio[int(segment.start * SAMPLE_RATE) : int(segment.end * SAMPLE_RATE)]
            vector = embedder.embed(stretch)
            # Kept matched or not: a person protected later is searched for in these (`usecases.retro_scans`).
            embeddings.append(
                TrackEmbedding("voice", number, round(segment.start, 2), embedder.model_id, embedding_bytes(vector))
            )
            match = closest_voice(vector, gallery) if gallery else None
            # The policy's thresholds are distances, the same scale for faces and voices: one minus the similarity.
            if match is None or thresholds is None or 1.0 - match.similarity > thresholds.match_distance:
                continue
            where = {
                "source": "speech",
                "t_start": round(segment.start, 2),
                "t_end": round(segment.end, 2),
                "similarity": round(match.similarity, 3),
                "model": embedder.model_id,
            }
            if match.subject_kind == "protected":
                findings.append(
                    Finding(
                        "likeness.protected_voice",
                        self.name,
                        f"the voice at {segment.start:.1f}-{segment.end:.1f} s matches protected {match.subject}",
                        score=match.similarity,
                        evidence={"person": match.subject, **where},
                    )
                )
            else:
                findings.append(
                    Finding(
                        "likeness.voice_identified",
                        self.name,
                        f"{match.subject}'s voice at {segment.start:.1f}-{segment.end:.1f} s",
                        score=match.similarity,
                        evidence={"owner": match.subject, **where},
                    )
                )
        return findings, tuple(embeddings)


def transcripts(facts: dict[str, Any]) -> Sequence[str]:
    """The spoken segments' texts from a decision's facts (for the gate's consent re-reads)."""
    speech = facts.get("speech", {})
    return [str(s["text"]) for s in speech.get("segments", [])] if isinstance(speech, dict) else []


__all__ = [
    "CONFIDENT_LANGUAGE",
    "DIGITS_HINT",
    "SPOKEN_LANGUAGES",
    "MultilingualTranscriber",
    "SpeechCheck",
    "SpokenSegment",
    "Transcriber",
    "WhisperModelFiles",
    "WhisperTranscriber",
    "choose_language",
    "digits_in",
    "heard_digits",
    "speech_stretches",
    "transcripts",
]
