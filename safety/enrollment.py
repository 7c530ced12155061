"""Cameo enrollment: is this verification video one live person who is not someone else?

The video must show exactly one person throughout, in enough usable frames, moving like a live face (non-rigid
landmark motion and a talking mouth; a photo panned, zoomed or tilted across the frame is refused as a replay),
and must not match another user's cameo or a protected person. A challenge, when given, must have been issued to
this user, be unexpired and unused, and its head turns must appear in order; its digits are heard by the use case
that has the speech model (`usecases.cameo_enrollment`), not here. What is kept: a few embeddings as the template
and a few reference face crops.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from policies import EnrollmentPolicy, MatchThresholds
from safety.faces.analyzer import DetectedFace, Embedding, FaceAnalyzer, RGBImage, distance
from safety.faces.gallery import Gallery
from safety.faces.liveness import Landmarks, LivenessSignal, head_turns, liveness_signal, yaw_estimate
from safety.faces.photos import face_crop
from safety.faces.video import FacePipelineParams, sample_frames

_SAMPLE_FPS = 8.0
_MAX_FRAMES = 64
_TEMPLATE_SIZE = 5
_REFERENCE_CROPS = 3


@dataclass(frozen=True)
class EnrollmentReason:
    """Why an enrollment was refused (or a note on one that was accepted)."""

    code: str
    """e.g. `enroll.multiple_people`, `enroll.replay_suspected`."""
    message: str
    """One line for the user."""


@dataclass(frozen=True)
class EnrollmentAssessment:
    """The verdict on a verification video and what enrollment would keep."""

    accepted: bool
    """True when every rule passed."""
    reasons: tuple[EnrollmentReason, ...]
    """Refusals (and notes)."""
    embeddings: tuple[Embedding, ...] = field(repr=False, default=())
    """The template to store."""
    reference_crops: tuple[RGBImage, ...] = field(repr=False, default=())
    """Face crops for the generator and reviewers."""
    liveness: LivenessSignal | None = None
    """The liveness measurements."""
    frames: int = 0
    """Frames examined."""
    usable_frames: int = 0
    """Frames with exactly one usable face."""


def _spread_indices(count: int, wanted: int) -> list[int]:
    if count <= wanted:
        return list(range(count))
    return [round(i * (count - 1) / (wanted - 1)) for i in range(wanted)] if wanted > 1 else [count // 2]


def impersonation_reasons(
    embeddings: Sequence[Embedding], gallery: Gallery, thresholds: MatchThresholds, handle: str
) -> list[EnrollmentReason]:
    """Refusals when the face matches another user's cameo or a protected person."""
    reasons: list[EnrollmentReason] = []
    seen: set[tuple[str, str]] = set()
    for embedding in embeddings:
        for match in gallery.search(embedding):
            if match.distance > thresholds.match_distance or (match.subject_kind, match.subject) in seen:
                continue
            if match.subject_kind == "cameo" and match.subject == handle:
                continue
            seen.add((match.subject_kind, match.subject))
            if match.subject_kind == "protected":
                reasons.append(
                    EnrollmentReason(
                        "enroll.protected_person", f"this face matches a protected person: {match.subject}"
                    )
                )
            else:
                reasons.append(
                    EnrollmentReason("enroll.matches_other_user", "this face is already another user's cameo")
                )
    return reasons


Usable = tuple[RGBImage, DetectedFace]
"""A frame that shows one clear face, with that face."""


def assess_verification_video(
    path: Path,
    analyzer: FaceAnalyzer,
    policy: EnrollmentPolicy,
    gallery: Gallery,
    thresholds: MatchThresholds,
    handle: str,
    required_turns: Sequence[str] = (),
) -> EnrollmentAssessment:
    """Judge a verification video against the enrollment policy."""
    params = FacePipelineParams(sample_fps=_SAMPLE_FPS, max_frames=_MAX_FRAMES, scene_cut=2.0)
    frames = [frame.image for frame in sample_frames(path, params)]
    if not frames:
        return EnrollmentAssessment(False, (EnrollmentReason("enroll.no_frames", "the video has no frames"),))
    usable, multi = _usable_frames(frames, analyzer, policy)
    reasons = _presence_reasons(len(frames), multi, len(usable), policy)
    if len(usable) < policy.min_usable_frames:
        return EnrollmentAssessment(False, tuple(reasons), frames=len(frames), usable_frames=len(usable))
    embeddings, identity = _identity(usable, analyzer, thresholds)
    reasons.extend(identity)
    shapes = [s for image, face in usable if (s := analyzer.landmarks68(image, face)) is not None]
    signal = liveness_signal(shapes)
    reasons.extend(_liveness_reasons(shapes, signal, policy, required_turns))
    template = tuple(embeddings[i] for i in _spread_indices(len(embeddings), _TEMPLATE_SIZE))
    # Someone else's face, or a protected person's, cannot become this account's cameo.
    reasons.extend(impersonation_reasons(template, gallery, thresholds, handle))
    return EnrollmentAssessment(
        accepted=not reasons,
        reasons=tuple(reasons),
        embeddings=template,
        reference_crops=_reference_crops(usable),
        liveness=signal,
        frames=len(frames),
        usable_frames=len(usable),
    )


def _usable_frames(
    frames: Sequence[RGBImage], analyzer: FaceAnalyzer, policy: EnrollmentPolicy
) -> tuple[list[Usable], int]:
    """The frames that show one clear face, and how many frames show more than one."""
    usable: list[Usable] = []
    multi = 0
    for image in frames:
        # Faces half the usable size still count as "someone else in the frame": a second person in the
        # background must not slip past because they are too small to embed.
        faces = [f for f in analyzer.detect(image) if f.box.height >= policy.min_face_px / 2]
        big = [f for f in faces if f.box.height >= policy.min_face_px]
        if len(faces) > 1:
            multi += 1
        elif len(big) == 1:
            usable.append((image, big[0]))
    return usable, multi


def _presence_reasons(frames: int, multi: int, usable: int, policy: EnrollmentPolicy) -> list[EnrollmentReason]:
    """One person throughout, in enough usable frames."""
    reasons: list[EnrollmentReason] = []
    if multi / frames > policy.max_multi_face_share:
        reasons.append(EnrollmentReason("enroll.multiple_people", f"more than one face in {multi} of {frames} frames"))
    if usable < policy.min_usable_frames:
        reasons.append(
            EnrollmentReason(
                "enroll.not_enough_frames",
                f"{usable} frames show one clear face; {policy.min_usable_frames} are needed",
            )
        )
    return reasons


def _identity(
    usable: list[Usable], analyzer: FaceAnalyzer, thresholds: MatchThresholds
) -> tuple[list[Embedding], list[EnrollmentReason]]:
    """Embeddings spread over the video, and a reason when they are not all one person."""
    # Spread over the whole video, not the first frames: the template should see the face from every angle the
    # person showed, and a swap halfway through must show up as two identities.
    chosen = [usable[i] for i in _spread_indices(len(usable), _TEMPLATE_SIZE + 3)]
    embeddings = [analyzer.embed(image, face) for image, face in chosen]
    centre = np.median(np.stack(embeddings), axis=0).astype(np.float32)
    if max(distance(e, centre) for e in embeddings) > thresholds.match_distance:
        return embeddings, [EnrollmentReason("enroll.multiple_people", "the face changes identity during the video")]
    return embeddings, []


def _liveness_reasons(
    shapes: Sequence[Landmarks], signal: LivenessSignal, policy: EnrollmentPolicy, required_turns: Sequence[str]
) -> list[EnrollmentReason]:
    """A live face (non-rigid motion, a talking mouth) that makes the challenge's head turns in order."""
    reasons: list[EnrollmentReason] = []
    if not shapes:
        # Fail closed: a model without landmarks cannot tell a person from a photo, so it cannot enroll anyone.
        reasons.append(EnrollmentReason("enroll.no_landmarks", "liveness cannot be checked with this face model"))
    elif signal.residual_median < policy.liveness_residual_min or signal.mouth_std < policy.liveness_mouth_std_min:
        reasons.append(
            EnrollmentReason(
                "enroll.replay_suspected",
                f"the face moves like a still picture (non-rigid motion {signal.residual_median:.4f}, "
                f"mouth {signal.mouth_std:.3f}; a live face shows at least {policy.liveness_residual_min:.4f} "
                f"and {policy.liveness_mouth_std_min:.3f})",
            )
        )
    if required_turns:
        # In order: a clip recorded for another challenge (or a generic head-shake) does not answer this one.
        seen = head_turns([yaw_estimate(s) for s in shapes])
        if not _is_subsequence(list(required_turns), seen):
            reasons.append(
                EnrollmentReason(
                    "enroll.challenge_failed", f"asked for head turns {list(required_turns)}, saw {seen or 'none'}"
                )
            )
    return reasons


def _reference_crops(usable: list[Usable]) -> tuple[RGBImage, ...]:
    """A few face crops for reviewers, from the largest faces, spread over them."""
    largest = sorted(usable, key=lambda u: -u[1].box.height)
    return tuple(face_crop(image, face.box) for image, face in largest[:: max(1, len(largest) // _REFERENCE_CROPS)][:3])


def assess_reference_images(
    images: Sequence[RGBImage], analyzer: FaceAnalyzer, gallery: Gallery, thresholds: MatchThresholds, handle: str
) -> EnrollmentAssessment:
    """Operator-verified enrollment from photos: each must show exactly one face, all of one person."""
    reasons: list[EnrollmentReason] = []
    embeddings: list[Embedding] = []
    crops: list[RGBImage] = []
    for index, image in enumerate(images):
        faces = analyzer.detect(image)
        if len(faces) != 1:
            reasons.append(
                EnrollmentReason("enroll.faces_in_image", f"image {index + 1} shows {len(faces)} faces, not 1")
            )
            continue
        embeddings.append(analyzer.embed(image, faces[0]))
        crops.append(face_crop(image, faces[0].box))
    if embeddings:
        centre = np.median(np.stack(embeddings), axis=0).astype(np.float32)
        if max(distance(e, centre) for e in embeddings) > thresholds.match_distance:
            reasons.append(EnrollmentReason("enroll.multiple_people", "the images show different people"))
        reasons.extend(impersonation_reasons(embeddings, gallery, thresholds, handle))
    elif not reasons:
        reasons.append(EnrollmentReason("enroll.no_frames", "no images given"))
    return EnrollmentAssessment(
        accepted=not reasons,
        reasons=tuple(reasons),
        embeddings=tuple(embeddings),
        reference_crops=tuple(crops),
        frames=len(images),
        usable_frames=len(embeddings),
    )


def _is_subsequence(wanted: list[str], seen: list[str]) -> bool:
    position = 0
    for turn in seen:
        if position < len(wanted) and turn == wanted[position]:
            position += 1
    return position == len(wanted)
