"""`Services`: everything cameoguard needs, built once from `Settings` and passed to the edges.

The CLI, the HTTP hook, the generator and the review console all hold one `Services`. It opens the database,
prepares the media store, loads the policy packs and builds the gate with its checks; models load here once,
not per request. Its methods are the operations those edges offer, each one transaction.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from policies import MatchThresholds, PolicyError, PolicyPack, bundled_pack_names, load_bundled_pack, load_pack
from provenance import (
    FingerprintIndex,
    FrameHash,
    InvisibleWatermark,
    pdq,
    read_manifest,
    sampled_frames,
    video_hashes,
)
from safety.audit import ChainReport, verify_chain
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
from safety.checks.deepfake import installed_cards
from safety.classifiers.prompt import PromptClassifierCache, shared_prompt_classifiers
from safety.consent import parse_restrictions
from safety.domain import AgeBand, CameoStatus, ConsentLevel, GateResult, Submission, User, VideoStatus
from safety.enrollment import EnrollmentAssessment, assess_reference_images, assess_verification_video
from safety.errors import ConfigurationError, ConflictError, InvalidMediaError, ModelUnavailable, SubmissionError
from safety.faces.analyzer import FaceAnalyzer, FaceBox, RGBImage, distance
from safety.faces.engine import FaceEngine, build_analyzer
from safety.faces.photos import faces_in_photo, load_rgb
from safety.gate import Gate, PolicyBook
from safety.media import probe
from safety.mediastore import MediaStore
from safety.publishing import Publisher, load_keys
from safety.revocation import PurgeReceipt, finish, purge_in, reconcile_in
from safety.settings import Settings
from safety.store import Store, open_database
from safety.store.repository import Challenge, DecisionRecord, ProtectedPerson, ReviewItemRecord, VideoRecord

_HANDLE_MAX = 32


def normalise_handle(handle: str) -> str:
    """The canonical form of a handle; refuses what could impersonate or break things."""
    text = unicodedata.normalize("NFKC", handle).strip().casefold()
    if not text or len(text) > _HANDLE_MAX:
        raise SubmissionError(f"a handle has 1 to {_HANDLE_MAX} characters, got {len(text)}")
    if not all(ch.isascii() and (ch.isalnum() or ch in "_.-") for ch in text):
        raise SubmissionError(f"handle `{handle}` may use only ASCII letters, digits, `_`, `.` and `-`")
    return text


MAX_PROMPT_CHARS = 10_000


def clean_prompt(text: str) -> str:
    """The prompt as stored: valid Unicode, control characters (other than newlines and tabs) removed."""
    if len(text) > MAX_PROMPT_CHARS:
        raise SubmissionError(f"a prompt has at most {MAX_PROMPT_CHARS} characters, got {len(text)}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise SubmissionError("the prompt is not valid Unicode text") from None
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")


def _load_policy(ref: str) -> PolicyPack:
    try:
        if ref in bundled_pack_names():
            return load_bundled_pack(ref)
        return load_pack(Path(ref))
    except PolicyError as exc:
        raise ConfigurationError(f"policy `{ref}` cannot be used:\n{exc}") from None


def default_checks(
    faces: FaceEngine,
    banks: Callable[[], FingerprintIndex],
    prompts: PromptClassifierCache,
    watermark: Callable[[], InvisibleWatermark],
    deepfake_cards: Sequence[Path] = (),
) -> list[Check]:
    """The checks every submission passes through, in the order they are reported. The deepfake slot runs only
    when an operator has installed a model card: no deepfake detector ships with the default install."""
    checks: list[Check] = [
        MediaCheck(),
        PromptRulesCheck(),
        PromptClassifierCheck(prompts),
        ConsentCheck(),
        LikenessCheck(faces),
        InputImageCheck(faces, watermark),
        FramesNsfwCheck(),
        HashBankCheck(banks),
    ]
    if deepfake_cards:
        checks.append(DeepfakeCheck(list(deepfake_cards)))
    return checks


def _write_png_atomically(pixels: RGBImage, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".incoming-", suffix=".png", dir=target.parent)
    os.close(fd)
    try:
        Image.fromarray(pixels).save(tmp_name, format="PNG")
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class EnrollmentResult:
    """What `cameo enroll` answers."""

    cameo_id: str
    """The cameo (rejected ones are kept as a record, without face data)."""
    status: CameoStatus
    """active or rejected."""
    assessment: EnrollmentAssessment
    """The checks behind it."""

    def to_json(self) -> dict[str, Any]:
        a = self.assessment
        return {
            "cameo_id": self.cameo_id,
            "status": self.status.value,
            "reasons": [{"code": r.code, "message": r.message} for r in a.reasons],
            "frames": a.frames,
            "usable_frames": a.usable_frames,
            "liveness": None
            if a.liveness is None
            else {
                "residual_median": round(a.liveness.residual_median, 5),
                "mouth_std": round(a.liveness.mouth_std, 4),
                "frames": a.liveness.frames,
            },
        }


@dataclass(frozen=True)
class VideoView:
    """A video with its decisions, for `show`."""

    video: VideoRecord
    """The video."""
    decisions: tuple[DecisionRecord, ...]
    """Every decision about it, oldest first."""
    remixes: tuple[str, ...]
    """Ids of videos that remix it."""

    def to_json(self) -> dict[str, Any]:
        v = self.video
        latest = self.decisions[-1] if self.decisions else None
        return {
            "video_id": v.id,
            "creator": v.creator,
            "prompt": v.prompt,
            "status": v.status.value,
            "published_path": str(v.published_path) if v.published_path else None,
            "remix_of": v.remix_of,
            "remixes": list(self.remixes),
            "cameos": list(v.declared_cameos),
            "sha256": v.content_sha256,
            "duration_s": round(v.duration_s, 3),
            "size": [v.width, v.height],
            "policy": v.policy_ref,
            "created_at": v.created_at.isoformat(),
            "decision": latest.action if latest else None,
            "decisions": [
                {
                    "decision_id": d.id,
                    "decision": d.action,
                    "decided_by": d.decided_by,
                    "policy": d.policy_ref,
                    "reasons": list(d.reasons),
                    "checks_run": list(d.checks_run),
                    "at": d.created_at.isoformat(),
                }
                for d in self.decisions
            ],
        }


class Services:
    """The database, the media store, the policies and the gate, opened once."""

    def __init__(
        self,
        settings: Settings,
        checks: Sequence[Check] | None = None,
        *,
        face_analyzer: FaceAnalyzer | None = None,
    ) -> None:
        self.settings = settings
        settings.home.mkdir(parents=True, exist_ok=True)
        self.media = MediaStore(settings.media_root)
        self.media.ensure()
        self.database = open_database(settings.resolved_database_url)
        self.store = Store(self.database)
        self.policies = PolicyBook(adult=_load_policy(settings.adult_policy), teen=_load_policy(settings.teen_policy))
        pack_dir = settings.models_root / settings.face_pack if settings.face_pack else None
        self.faces = FaceEngine(
            (lambda: face_analyzer) if face_analyzer else (lambda: build_analyzer(settings.face_backend, pack_dir)),
            self._gallery_stamp,
            self._gallery_templates,
        )
        self.prompt_classifiers = shared_prompt_classifiers()
        self.keys = load_keys(settings)
        self._fingerprints: tuple[tuple[int, int], FingerprintIndex] | None = None
        self._banks: tuple[tuple[int, int], FingerprintIndex] | None = None
        self._index_lock = threading.Lock()
        self.publisher = Publisher(self.keys, settings.tsa_url)
        self.gate = Gate(
            self.store,
            self.media,
            self.policies,
            default_checks(
                self.faces,
                self.bank_index,
                self.prompt_classifiers,
                lambda: self.publisher.watermark,
                installed_cards(settings.models_root / "deepfake"),
            )
            if checks is None
            else checks,
            publisher=self.publisher,
            fail_checks=settings.fail_checks,
            check_workers=settings.check_workers,
        )

    def close(self) -> None:
        self.database.dispose()

    def __enter__(self) -> Services:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # the gate

    def prepublish(self, submission: Submission) -> GateResult:
        """Run a submission through the gate (handles are normalised first)."""
        normalised = Submission(
            creator=normalise_handle(submission.creator),
            prompt=clean_prompt(submission.prompt),
            video_path=submission.video_path,
            cameos=tuple(dict.fromkeys(normalise_handle(c) for c in submission.cameos)),
            remix_of=submission.remix_of,
            input_image_path=submission.input_image_path,
        )
        return self.gate.prepublish(normalised)

    def prepublish_file(self, creator: str, prompt: str, video: Path) -> dict[str, Any]:
        """Shorthand: submit a file with no cameos; the decision JSON."""
        return self.prepublish(Submission(creator=creator, prompt=prompt, video_path=video)).to_json()

    def take_down(self, video_id: str, decision: Any, actor: str, note: str = "") -> None:
        """Unpublish a published video after review; its file moves to quarantine (kept for appeal)."""
        with self.store.transaction() as tx:
            video = tx.get_video(video_id)
        if video.status is not VideoStatus.PUBLISHED or video.published_path is None:
            raise ConflictError(f"video `{video_id}` is {video.status.value}, not published")
        staged, final = self.media.stage(video.published_path, "quarantine", video_id)
        try:
            with self.store.transaction() as tx:
                tx.save_decision(video_id, decision, actor, note=note)
                tx.withdraw_published(video_id, final, actor)
                self.media.commit_staged(staged, final)
        except BaseException:
            self.media.discard(staged, final)
            raise
        self.media.discard(video.published_path)

    def hook_token(self, name: str) -> str:
        """Create or rotate an HTTP hook client's token; the token is returned once and stored hashed."""
        name = normalise_handle(name)
        token = secrets.token_urlsafe(32)
        with self.store.transaction() as tx:
            tx.set_hook_client(name, hashlib.sha256(token.encode()).hexdigest())
        return token

    def hook_client(self, token: str) -> str | None:
        with self.store.transaction() as tx:
            return tx.hook_client_for(hashlib.sha256(token.encode()).hexdigest())

    # accounts

    def add_user(self, handle: str, age_band: AgeBand = AgeBand.ADULT) -> User:
        with self.store.transaction() as tx:
            return tx.add_user(normalise_handle(handle), age_band)

    def ensure_user(self, handle: str, age_band: AgeBand = AgeBand.ADULT) -> User:
        """The user, created when missing (idempotent, for demos and fixtures)."""
        with self.store.transaction() as tx:
            existing = tx.find_user(normalise_handle(handle))
            return existing or tx.add_user(normalise_handle(handle), age_band)

    def follow(self, follower: str, followee: str) -> bool:
        with self.store.transaction() as tx:
            return tx.follow(normalise_handle(follower), normalise_handle(followee))

    # videos

    def show(self, video_id: str) -> VideoView:
        with self.store.transaction() as tx:
            video = tx.get_video(video_id)
            return VideoView(video, tuple(tx.decisions_for(video_id)), tuple(tx.remixes_of(video_id)))

    def published_file(self, video_id: str) -> Path:
        """The public file of a published video (for remixing); `ConflictError` when it is not published."""
        with self.store.transaction() as tx:
            video = tx.get_video(video_id)
        if video.status is not VideoStatus.PUBLISHED or video.published_path is None:
            raise ConflictError(f"video `{video_id}` is {video.status.value}, not published")
        return video.published_path

    def report(self, video_id: str, reporter: str, reason: str) -> str:
        """A user report: the video goes into the review queue. Returns the review item id."""
        reporter = normalise_handle(reporter)
        if not reason.strip():
            raise SubmissionError("a report needs a reason")
        with self.store.transaction() as tx:
            tx.get_user(reporter)
            video = tx.get_video(video_id)
            policy = self.policies.by_ref(video.policy_ref) or self.policies.adult
            rule = policy.reason("report.user")
            item = tx.open_review_item(
                video_id,
                source="report",
                reason_codes=["report.user"],
                severity=rule.severity if rule else 2,
                sla_hours=rule.sla_hours if rule else 24.0,
                policy_ref=policy.ref,
            )
            tx.add_report(video_id, reporter, reason.strip()[:2000], item)
        return item

    def review_queue(self) -> list[ReviewItemRecord]:
        """Open review items, most severe and most urgent first."""
        with self.store.transaction() as tx:
            return tx.open_review_items()

    def recent_videos(self, limit: int = 50) -> list[VideoView]:
        with self.store.transaction() as tx:
            return [
                VideoView(v, tuple(tx.decisions_for(v.id)), tuple(tx.remixes_of(v.id)))
                for v in tx.list_videos(limit=limit)
            ]

    # faces and cameos

    def _gallery_stamp(self, model_id: str) -> tuple[int, int]:
        with self.store.transaction() as tx:
            return tx.gallery_stamp(model_id)

    def _gallery_templates(self, model_id: str) -> list[Any]:
        with self.store.transaction() as tx:
            return list(tx.gallery_templates(model_id))

    def _thresholds(self) -> MatchThresholds:
        model_id = self.faces.analyzer().model_id
        thresholds = self.policies.adult.likeness.models.get(model_id)
        if thresholds is None:
            raise ModelUnavailable(f"policy {self.policies.adult.ref} has no match thresholds for `{model_id}`")
        return thresholds

    def issue_challenge(self, handle: str) -> Challenge:
        """A liveness challenge for an enrollment: digits to say and head turns to make, in order."""
        handle = normalise_handle(handle)
        digits = "".join(secrets.choice("0123456789") for _ in range(4))
        turns = [secrets.choice(["left", "right"])]
        turns.append("right" if turns[0] == "left" else "left")
        with self.store.transaction() as tx:
            policy = self.policies.for_user(tx.get_user(handle))
            return tx.create_challenge(handle, digits, turns, policy.enrollment.challenge_ttl_minutes)

    def enroll_cameo(self, handle: str, video: Path, challenge_id: str | None = None) -> EnrollmentResult:
        """Enroll a cameo from a verification video (one live person, not anyone else)."""
        handle = normalise_handle(handle)
        probe(video)
        with self.store.transaction() as tx:
            user = tx.get_user(handle)
            if tx.active_cameo(handle) is not None:
                raise ConflictError(f"`{handle}` already has an active cameo; delete it before enrolling again")
            turns: tuple[str, ...] = ()
            if challenge_id is not None:
                turns = tx.take_challenge(challenge_id, handle).turns
        policy = self.policies.for_user(user)
        analyzer = self.faces.analyzer()
        assessment = assess_verification_video(
            video, analyzer, policy.enrollment, self.faces.gallery(), self._thresholds(), handle, turns
        )
        return self._record_enrollment(
            handle, assessment, analyzer.model_id, video if policy.enrollment.keep_verification_video else None
        )

    def enroll_cameo_from_images(self, handle: str, images: Sequence[Path]) -> EnrollmentResult:
        """Operator-verified enrollment from photos, where the operator has verified the person another way."""
        handle = normalise_handle(handle)
        pixels = [load_rgb(path) for path in images]
        with self.store.transaction() as tx:
            tx.get_user(handle)
            if tx.active_cameo(handle) is not None:
                raise ConflictError(f"`{handle}` already has an active cameo; delete it before enrolling again")
        analyzer = self.faces.analyzer()
        assessment = assess_reference_images(pixels, analyzer, self.faces.gallery(), self._thresholds(), handle)
        return self._record_enrollment(handle, assessment, analyzer.model_id, None, operator_verified=True)

    def _record_enrollment(
        self,
        handle: str,
        assessment: EnrollmentAssessment,
        model_id: str,
        keep_video: Path | None,
        *,
        operator_verified: bool = False,
    ) -> EnrollmentResult:
        status = CameoStatus.ACTIVE if assessment.accepted else CameoStatus.REJECTED
        details = {
            "operator_verified": operator_verified,
            "reasons": [r.code for r in assessment.reasons],
            "usable_frames": assessment.usable_frames,
        }
        if status is CameoStatus.REJECTED:
            with self.store.transaction() as tx:
                cameo_id = tx.create_cameo(handle, model_id, CameoStatus.REJECTED, details=details)
            return EnrollmentResult(cameo_id, status, assessment)
        folder = self.media.area("cameos") / f"pending-{secrets.token_hex(8)}"
        references = [folder / f"reference_{i}.png" for i in range(len(assessment.reference_crops))]
        try:
            for crop, target in zip(assessment.reference_crops, references, strict=True):
                _write_png_atomically(crop, target)
            kept: Path | None = None
            if keep_video is not None:
                kept = folder / "verification.mp4"
                shutil.copyfile(keep_video, kept)
            with self.store.transaction() as tx:
                cameo_id = tx.create_cameo(handle, model_id, CameoStatus.ACTIVE, details=details)
                final = self.media.area("cameos") / cameo_id
                refs = [final / p.name for p in references]
                tx.add_face_templates("cameo", handle, model_id, assessment.embeddings)
                tx.set_cameo_files(cameo_id, refs, final / "verification.mp4" if kept else None)
                os.replace(folder, final)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return EnrollmentResult(cameo_id, status, assessment)

    def _change_consent(self, owner: str, change: Any, reason: str) -> list[PurgeReceipt]:
        """Apply a consent change and purge what it no longer allows, in one transaction; then remove files."""
        owner = normalise_handle(owner)
        with self.store.transaction() as tx:
            # Locks the owner's cameo row (PostgreSQL) so a publish reading consent is ordered with this change.
            tx.consent_snapshot(owner, owner)
            change(tx, owner)
            jobs = reconcile_in(tx, self.policies, owner, reason=reason, actor=owner)
        return [finish(self.store, self.media, job) for job in jobs]

    def set_consent_level(self, owner: str, level: ConsentLevel) -> list[PurgeReceipt]:
        """Set who may use the cameo; lowering it purges what it no longer allows."""
        return self._change_consent(owner, lambda tx, o: tx.set_consent_level(o, level), "consent_level_lowered")

    def approve(self, owner: str, user: str) -> None:
        with self.store.transaction() as tx:
            tx.set_grant(normalise_handle(owner), normalise_handle(user), "approve")

    def revoke(self, owner: str, user: str) -> list[PurgeReceipt]:
        """Withdraw one user's approval and purge what it allowed."""
        user = normalise_handle(user)
        return self._change_consent(owner, lambda tx, o: tx.revoke_grant(o, user, "approve"), "consent_revoked")

    def block(self, owner: str, user: str) -> list[PurgeReceipt]:
        user = normalise_handle(user)
        return self._change_consent(owner, lambda tx, o: tx.set_grant(o, user, "block"), "creator_blocked")

    def restrict(self, owner: str, text: str) -> tuple[list[str], list[PurgeReceipt]]:
        phrases = parse_restrictions(text)
        receipts = self._change_consent(owner, lambda tx, o: tx.set_restrictions(o, phrases), "restriction_added")
        return phrases, receipts

    def cameo_uses(self, owner: str) -> list[dict[str, Any]]:
        """Every video the owner appears in, identified or declared, whatever its status."""
        with self.store.transaction() as tx:
            tx.get_user(normalise_handle(owner))
            return [
                {
                    "video_id": v.id,
                    "creator": v.creator,
                    "status": v.status.value,
                    "declared": declared,
                    "prompt": v.prompt,
                    "remix_of": v.remix_of,
                    "created_at": v.created_at.isoformat(),
                }
                for v, declared in tx.videos_with_owner(normalise_handle(owner))
            ]

    def remove_video(self, owner: str, video_id: str) -> PurgeReceipt:
        """The owner takes down one video they appear in (and everything derived from it)."""
        owner = normalise_handle(owner)
        with self.store.transaction() as tx:
            video = tx.get_video(video_id)
            if owner not in tx.owners_in(video_id):
                raise ConflictError(f"`{owner}` does not appear in {video_id}")
            job = purge_in(tx, [video_id], owner=owner, creator=video.creator, reason="owner_removed", actor=owner)
        return finish(self.store, self.media, job)

    def delete_cameo(self, owner: str, *, keep_protection: bool = False) -> dict[str, Any]:
        """Delete a cameo: templates, reference crops and verification media; with `keep_protection` one
        template stays in the protected bank so the person stays protected. Others' videos of them are purged."""
        owner = normalise_handle(owner)
        with self.store.transaction() as tx:
            kept = tx.templates_of("cameo", owner)[:1] if keep_protection else []
            info = tx.delete_cameo(owner)
            if kept:
                name = f"@{owner}"
                tx.add_protected(name, "opt_out")
                model_id, vector = kept[0]
                tx.add_face_templates("protected", name, model_id, [np.frombuffer(vector, dtype=np.float32)])
            jobs = reconcile_in(tx, self.policies, owner, reason="cameo_deleted", actor=owner)
        folder = self.media.area("cameos") / info.id
        shutil.rmtree(folder, ignore_errors=True)
        receipts = [finish(self.store, self.media, job) for job in jobs]
        return {
            "cameo_id": info.id,
            "deleted": True,
            "kept_protection": bool(kept),
            "purged": [v for r in receipts for v in r.purged],
            "receipts": [r.to_json() for r in receipts],
        }

    def cameo_status(self, owner: str) -> dict[str, Any]:
        with self.store.transaction() as tx:
            cameo = tx.active_cameo(normalise_handle(owner))
        if cameo is None:
            return {"owner": owner, "cameo_id": None, "status": None}
        return {
            "owner": cameo.owner,
            "cameo_id": cameo.id,
            "status": "active",
            "level": cameo.level.value,
            "restrictions": list(cameo.restrictions),
            "face_model": cameo.face_model,
            "references": [str(p) for p in cameo.reference_paths],
        }

    def cameo_reference_images(self, owner: str) -> list[Path]:
        """Reference face crops of an owner's active cameo (what the generator composites)."""
        with self.store.transaction() as tx:
            cameo = tx.active_cameo(normalise_handle(owner))
        if cameo is None:
            raise ConflictError(f"`{owner}` has no active cameo")
        return list(cameo.reference_paths)

    # protected persons

    def protect(self, name: str, images: Sequence[Path], kind: str = "public_figure") -> dict[str, Any]:
        """Protect a person from their photos (operator-run); every photo must show exactly one face."""
        name = " ".join(name.split())
        if not name or len(name) > 120:
            raise SubmissionError("a protected person needs a name of 1 to 120 characters")
        if kind not in {"public_figure", "estate", "opt_out"}:
            raise SubmissionError("kind is public_figure, estate or opt_out")
        if not images:
            raise SubmissionError("at least one --image is needed")
        pixels = [load_rgb(path) for path in images]
        analyzer = self.faces.analyzer()
        embeddings = []
        for path, image in zip(images, pixels, strict=True):
            faces = faces_in_photo(analyzer, image)
            if len(faces) != 1:
                raise InvalidMediaError(f"{path} shows {len(faces)} faces; a protection photo must show exactly one")
            embeddings.append(analyzer.embed(image, faces[0], jitters=5))
        with self.store.transaction() as tx:
            person_id = tx.add_protected(name, kind)
            tx.add_face_templates("protected", name, analyzer.model_id, embeddings)
        return {"id": person_id, "name": name, "kind": kind, "templates": len(embeddings), "model": analyzer.model_id}

    def protected_people(self) -> list[ProtectedPerson]:
        with self.store.transaction() as tx:
            return tx.list_protected()

    def unprotect(self, id_or_name: str) -> ProtectedPerson:
        with self.store.transaction() as tx:
            return tx.remove_protected(id_or_name)

    # operator tools

    def faces_in_image(self, path: Path) -> list[FaceBox]:
        return [face.box for face in faces_in_photo(self.faces.analyzer(), load_rgb(path))]

    def compare_faces(self, first: Path, second: Path) -> dict[str, Any]:
        """Are the largest faces in two images the same person?"""
        analyzer = self.faces.analyzer()
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
        verdict = (
            "same"
            if dist <= thresholds.match_distance
            else ("uncertain" if dist <= thresholds.uncertain_distance else "different")
        )
        return {
            "same_person": verdict == "same",
            "verdict": verdict,
            "distance": round(dist, 4),
            "threshold": thresholds.match_distance,
            "uncertain_below": thresholds.uncertain_distance,
            "model": analyzer.model_id,
        }

    # provenance

    def _fingerprint_index(self) -> FingerprintIndex:
        with self._index_lock, self.store.transaction() as tx:
            stamp = tx.fingerprint_stamp()
            if self._fingerprints is None or stamp != self._fingerprints[0]:
                self._fingerprints = (stamp, FingerprintIndex(tx.fingerprint_entries()))
            return self._fingerprints[1]

    def bank_index(self) -> FingerprintIndex:
        """Frame hashes of every bank item (known-bad and purged), rebuilt when the banks change."""
        with self._index_lock, self.store.transaction() as tx:
            stamp = tx.bank_stamp()
            if self._banks is None or stamp != self._banks[0]:
                self._banks = (stamp, FingerprintIndex(tx.bank_index_entries()))
            return self._banks[1]

    def bank_add(self, bank: str, video: Path, note: str = "") -> dict[str, Any]:
        """Add a video's frame hashes to a bank (operators add `known_bad`; revocation fills `purged`)."""
        if bank not in {"known_bad", "purged"}:
            raise SubmissionError("bank is known_bad or purged")
        probe(video)
        hashes = video_hashes(str(video), every_s=0.5, max_frames=60)
        with self.store.transaction() as tx:
            entry = tx.add_bank_entry(bank, [(h.digest, h.quality) for h in hashes], note=note)
        return {"id": entry, "bank": bank, "hashes": len(hashes), "note": note}

    def bank_list(self, bank: str | None = None) -> list[dict[str, Any]]:
        with self.store.transaction() as tx:
            return tx.list_bank(bank)

    def bank_remove(self, entry_id: str) -> None:
        with self.store.transaction() as tx:
            tx.remove_bank_entry(entry_id)

    def verify(self, path: Path) -> dict[str, Any]:
        """Trace a file to a published video: by its C2PA manifest, else its watermark, else its fingerprints."""
        probe(path)
        manifest = read_manifest(path, trust_anchors_pem=self.keys.trust_anchors_pem)
        frames = list(sampled_frames(str(path), every_s=0.25, max_frames=80))
        reading = self.publisher.watermark.read(frame for _, frame in frames)
        hashes = [FrameHash(t, *pdq(frame)) for t, frame in frames[::2]]
        match = self._fingerprint_index().match(hashes)
        with self.store.transaction() as tx:
            watermark_video = tx.video_for_token(reading.token) if reading.found and reading.token is not None else None
            traced_by = None
            video_id = None
            if manifest.valid and manifest.video_id:
                video_id, traced_by = manifest.video_id, "c2pa"
            elif watermark_video:
                video_id, traced_by = watermark_video, "watermark"
            elif match is not None:
                video_id, traced_by = match.key, "fingerprint"
            status = (tx.registry_status(video_id) if video_id else None) or "unknown"
        return {
            "video_id": video_id,
            "status": status,
            "traced_by": traced_by,
            "c2pa": manifest.to_json(),
            "watermark": {"found": reading.found, "video_id": watermark_video, "confidence": reading.confidence},
            "fingerprint": {
                "video_id": match.key if match else None,
                "distance": match.distance if match else None,
                "share": match.share if match else None,
            },
        }

    # audit

    def verify_audit(self) -> ChainReport:
        with self.store.transaction() as tx:
            return verify_chain(tx.audit_entries())
