"""Enrolling a cameo: the liveness challenge, the verification video's assessment (faces, digits heard, the
voice), and the record of the outcome, accepted or rejected.

The analysis runs outside any transaction (it takes seconds and reads nothing in the database); the rows and the
reference crops land together in one transaction at the end, and a rejected enrollment is recorded too, without
face data. `Cameos` offers these steps as its enrollment methods.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

from policies import MatchThresholds, PolicyBook
from safety.checks.speech import Transcriber, heard_digits
from safety.domain import CameoStatus
from safety.enrollment import (
    EnrollmentAssessment,
    EnrollmentReason,
    assess_reference_images,
    assess_verification_video,
)
from safety.errors import CheckFailure, ConflictError
from safety.faces.analyzer import embedding_bytes
from safety.faces.engine import FaceEngine
from safety.faces.photos import load_rgb
from safety.handles import normalise_handle
from safety.media import AUDIO_RATE, probe, read_audio
from safety.mediastore import MediaStore, write_png_atomically
from safety.records import ChallengeRecord, TemplateSubject
from safety.storage import Store, Transaction
from safety.voices import MIN_SPEECH_S, VoiceEmbedder, voiced


@dataclass(frozen=True)
class EnrollmentResult:
    """What `cameo enroll` answers."""

    cameo_id: str
    """The cameo (rejected ones are kept as a record, without face data)."""
    status: CameoStatus
    """active or rejected."""
    assessment: EnrollmentAssessment
    """The checks behind it."""
    voice: bool = False
    """Whether a voice template was kept (the verification video had at least a second of speech)."""
    scan_id: str | None = None
    """The retroactive scan of published videos started for the new cameo."""


class CameoEnrollment:
    """Enrollment of cameos, from a verification video or from photos an operator has verified."""

    def __init__(
        self,
        store: Store,
        media: MediaStore,
        policies: PolicyBook,
        faces: FaceEngine,
        thresholds: Callable[[], MatchThresholds],
        *,
        voices: Callable[[], VoiceEmbedder] | None = None,
        transcriber: Callable[[], Transcriber] | None = None,
        scan: Callable[[TemplateSubject, str], str] | None = None,
    ) -> None:
        self._scan = scan
        self._voices = voices
        self._transcriber = transcriber
        self._store = store
        self._media = media
        self._policies = policies
        self._faces = faces
        self._thresholds = thresholds

    def issue_challenge(self, handle: str) -> ChallengeRecord:
        """A liveness challenge for an enrollment: digits to say and head turns to make, in order."""
        handle = normalise_handle(handle)
        # Four digits and two turns, drawn with `secrets`: too many combinations to have recorded in advance, few enough
        # to say on camera in one go. The turns go both ways so that one recorded turn cannot answer every challenge.
        digits = "".join(secrets.choice("0123456789") for _ in range(4))
        turns = [secrets.choice(["left", "right"])]
        turns.append("right" if turns[0] == "left" else "left")
        with self._store.transaction() as tx:
            policy = self._policies.for_user(tx.accounts.get(handle))
            ttl = timedelta(minutes=policy.enrollment.challenge_ttl_minutes)
            return tx.consent.create_challenge(handle, digits, turns, ttl)

    def enroll_cameo(self, handle: str, video: Path, challenge_id: str | None = None) -> EnrollmentResult:
        """Enroll a cameo from a verification video (one live person, not anyone else)."""
        handle = normalise_handle(handle)
        # Probed before any transaction: an unreadable file is refused without touching the challenge, which stays
        # usable for a second try.
        probe(video)
        with self._store.transaction() as tx:
            user = tx.accounts.get(handle)
            self._refuse_second_cameo(tx, handle)
            turns: tuple[str, ...] = ()
            digits = ""
            if challenge_id is not None:
                # Taken (used up) in the same transaction that checked the account: a challenge answers one enrollment
                # only, even when two uploads race.
                challenge = tx.consent.take_challenge(challenge_id, handle)
                turns, digits = challenge.turns, challenge.digits
        # The face and speech analysis runs outside any transaction: it takes seconds, and nothing it reads is in the
        # database.
        policy = self._policies.for_user(user)
        analyzer = self._faces.analyzer()
        assessment = assess_verification_video(
            video, analyzer, policy.enrollment, self._faces.gallery(), self._thresholds(), handle, turns
        )
        if assessment.accepted and digits:
            assessment = self._hear_challenge(video, digits, assessment)
        voice = self._voice_template(video) if assessment.accepted else None
        return self._record_enrollment(
            handle,
            assessment,
            analyzer.model_id,
            video if policy.enrollment.keep_verification_video else None,
            voice=voice,
        )

    def _hear_challenge(self, video: Path, digits: str, assessment: EnrollmentAssessment) -> EnrollmentAssessment:
        """The challenge's digits must be heard, in order, in the verification video: a video recorded before the
        challenge existed cannot say them. Refused (`enroll.challenge_mismatch`) otherwise; a missing speech model
        refuses too, never waves the check through."""
        readings: list[str] = []
        problem = ""
        try:
            audio = read_audio(video)
            if audio is None:
                problem = "the video has no sound"
            elif self._transcriber is None:
                problem = "no speech model is configured"
            else:
                readings = heard_digits(audio, self._transcriber())
        except CheckFailure as exc:
            problem = str(exc)
        # Either reading may answer (greedy or beam search: the small model drops a digit one way that it keeps the
        # other), and other digits around the challenge's do not refuse it: a misheard word next to them is common.
        if not problem and any(digits in said for said in readings):
            return assessment
        heard = problem or f"heard {' or '.join(' '.join(said) or 'no digits' for said in dict.fromkeys(readings))}"
        reason = EnrollmentReason(
            "enroll.challenge_mismatch", f"say the challenge digits {' '.join(digits)} on camera ({heard})"
        )
        return replace(assessment, accepted=False, reasons=(*assessment.reasons, reason))

    def _voice_template(self, video: Path) -> tuple[str, bytes] | None:
        """The speaker's voice from the verification video, when it has at least a second of speech. Without it
        (a silent video, no voice model) the cameo is protected by face alone, and the answer says so."""
        if self._voices is None:
            return None
        try:
            audio = read_audio(video)
            speech = voiced(audio) if audio is not None else None
            if speech is None or speech.size < MIN_SPEECH_S * AUDIO_RATE:
                return None
            embedder = self._voices()
            return embedder.model_id, embedding_bytes(embedder.embed(speech))
        except CheckFailure:
            return None

    def enroll_cameo_from_images(self, handle: str, images: Sequence[Path]) -> EnrollmentResult:
        """Operator-verified enrollment from photos, where the operator has verified the person another way."""
        handle = normalise_handle(handle)
        pixels = [load_rgb(path) for path in images]
        with self._store.transaction() as tx:
            tx.accounts.get(handle)
            self._refuse_second_cameo(tx, handle)
        analyzer = self._faces.analyzer()
        assessment = assess_reference_images(pixels, analyzer, self._faces.gallery(), self._thresholds(), handle)
        return self._record_enrollment(handle, assessment, analyzer.model_id, None, operator_verified=True)

    @staticmethod
    def _refuse_second_cameo(tx: Transaction, handle: str) -> None:
        if tx.consent.active_cameo(handle) is not None:
            raise ConflictError(f"`{handle}` already has an active cameo; delete it before enrolling again")

    def _record_enrollment(
        self,
        handle: str,
        assessment: EnrollmentAssessment,
        model_id: str,
        keep_video: Path | None,
        *,
        operator_verified: bool = False,
        voice: tuple[str, bytes] | None = None,
    ) -> EnrollmentResult:
        # A rejected enrollment is recorded too (with its reasons, without files): support can then tell a user why, and
        # repeated rejections of one handle are visible.
        status = CameoStatus.ACTIVE if assessment.accepted else CameoStatus.REJECTED
        details = {
            "operator_verified": operator_verified,
            "reasons": [r.code for r in assessment.reasons],
            "usable_frames": assessment.usable_frames,
        }
        if status is CameoStatus.REJECTED:
            with self._store.transaction() as tx:
                cameo_id = tx.consent.create_cameo(handle, model_id, CameoStatus.REJECTED, details=details)
            return EnrollmentResult(cameo_id, status, assessment)
        # Files are written under a pending name first, and renamed to the cameo's id only inside the transaction that
        # creates the row: the folder and the row exist together or not at all (the sweeper removes a `pending-` folder
        # a crash left).
        folder = self._media.area("cameos") / f"pending-{secrets.token_hex(8)}"
        references = [folder / f"reference_{i}.png" for i in range(len(assessment.reference_crops))]
        try:
            for crop, target in zip(assessment.reference_crops, references, strict=True):
                write_png_atomically(crop, target)
            kept: Path | None = None
            if keep_video is not None:
                kept = folder / "verification.mp4"
                shutil.copyfile(keep_video, kept)
            with self._store.transaction() as tx:
                cameo_id = tx.consent.create_cameo(handle, model_id, CameoStatus.ACTIVE, details=details)
                final = self._media.area("cameos") / cameo_id
                refs = [final / p.name for p in references]
                vectors = [embedding_bytes(e) for e in assessment.embeddings]
                tx.templates.add_templates(TemplateSubject.CAMEO, handle, model_id, vectors)
                if voice is not None:
                    tx.templates.add_templates(TemplateSubject.CAMEO, handle, voice[0], [voice[1]])
                tx.consent.set_cameo_files(cameo_id, refs, final / "verification.mp4" if kept else None)
                # Renamed inside the transaction: a failed commit removes the folder below.
                os.replace(folder, final)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        # Videos published before this cameo existed are searched for its owner (in the background).
        scan_id = self._scan(TemplateSubject.CAMEO, handle) if self._scan is not None else None
        return EnrollmentResult(cameo_id, status, assessment, voice=voice is not None, scan_id=scan_id)
