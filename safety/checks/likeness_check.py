"""The likeness check: every face track in the video, matched 1:N against all cameos and protected persons.

Declared or not: a model can leak a likeness nobody asked for. A confident match with a cameo owner becomes
`likeness.identified` (the gate then checks that owner's consent against the database, at decision time and
again at publish); with a protected person, `likeness.protected_person`. A near match becomes `likeness.uncertain`
for a reviewer, after a steadier re-embedding (jitter) of the track's best frame. Unknown faces are fine:
generated video is full of synthetic people. Every track is reported in the facts as `faces`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from policies import MatchThresholds, PolicyPack
from safety.checks.base import CheckContext, CheckOutcome
from safety.domain import Finding, Submission, TrackEmbedding
from safety.errors import ModelUnavailable
from safety.faces.analyzer import DetectedFace, FaceAnalyzer, FaceBox, embedding_bytes
from safety.faces.engine import FaceEngine
from safety.faces.gallery import Gallery, GalleryMatch
from safety.faces.video import FacePipelineParams, FaceTrack, analyse_video, face_frame_need
from safety.frames import FrameNeed

# Embeddings kept per face track for retroactive scans: a few spread over the track, not every frame's.
TRACK_EMBEDDINGS_KEPT = 3


@dataclass(frozen=True)
class TrackIdentity:
    """What one track was matched to."""

    track: FaceTrack
    """The track."""
    match: GalleryMatch | None
    """The nearest subject, or None with an empty gallery."""
    verdict: str
    """`match`, `uncertain` or `unknown`."""


def identify_track(
    track: FaceTrack, gallery: Gallery, analyzer: FaceAnalyzer, thresholds: MatchThresholds
) -> TrackIdentity:
    """Nearest subject over the track's embeddings, re-embedded with jitter when it is a near match."""
    best: dict[tuple[str, str], float] = {}
    for embedding in track.embeddings:
        for match in gallery.search(embedding):
            key = (match.subject_kind, match.subject)
            best[key] = min(best.get(key, match.distance), match.distance)
    if not best:
        return TrackIdentity(track, None, "unknown")
    (kind, subject), dist = min(best.items(), key=lambda item: item[1])
    # Only the uncertain band is refined: a jittered embedding is several times slower, and a clear match or a clear
    # stranger would not change side. k=32 leaves room for the subject's other templates ahead of the one that matters.
    if thresholds.match_distance < dist <= thresholds.uncertain_distance and thresholds.refine_jitters:
        steady = analyzer.embed(track.best_image, track.best_face, jitters=thresholds.refine_jitters)
        refined = [m for m in gallery.search(steady, k=32) if (m.subject_kind, m.subject) == (kind, subject)]
        if refined:
            dist = min(dist, refined[0].distance)
    match = GalleryMatch(kind, subject, dist)
    if dist <= thresholds.match_distance:
        return TrackIdentity(track, match, "match")
    if dist <= thresholds.uncertain_distance:
        return TrackIdentity(track, match, "uncertain")
    return TrackIdentity(track, match, "unknown")


def _face_fact(identity: TrackIdentity) -> dict[str, Any]:
    track, match = identity.track, identity.match
    best = track.best
    known = identity.verdict == "match" and match is not None
    return {
        "track": track.track_id,
        "t_start": round(track.t_start, 3),
        "t_end": round(track.t_end, 3),
        "box": best.box.as_list(),
        "frame_t": round(best.t, 3),
        "detector": best.detector,
        "identity": match.subject if known and match else None,
        "identity_kind": match.subject_kind if known and match else None,
        "nearest": match.subject if match else None,
        "nearest_kind": match.subject_kind if match else None,
        "similarity": round(1.0 - match.distance, 3) if match else None,
        "distance": round(match.distance, 3) if match else None,
        "verdict": identity.verdict,
    }


class LikenessCheck:
    """Finds, tracks and identifies every face in the video."""

    name = "likeness"

    def __init__(self, engine: FaceEngine) -> None:
        self.engine = engine

    @staticmethod
    def _params(policy: PolicyPack) -> FacePipelineParams:
        likeness = policy.likeness
        return FacePipelineParams(
            sample_fps=likeness.sample_fps,
            max_frames=likeness.max_frames,
            thorough_frames=likeness.thorough_frames,
            min_face_px=likeness.min_face_px,
        )

    def frame_need(self, policy: PolicyPack, submission: Submission) -> FrameNeed:
        return face_frame_need(self._params(policy))

    def warm_up(self, policy: PolicyPack) -> None:
        analyzer = self.engine.analyzer()
        self.engine.gallery()
        # Models load and threads start on first use; doing that here, at service start, keeps the first real submission
        # from paying for it within its timeout.
        blank = np.zeros((96, 96, 3), np.uint8)
        analyzer.detect(blank)
        # The embedding workers start on first use; a made-up box makes them start now.
        analyzer.embed(blank, DetectedFace(FaceBox(24, 24, 72, 72), 1.0, "warm-up"))

    def run(self, context: CheckContext) -> CheckOutcome:
        analyzer = self.engine.analyzer()
        thresholds = context.policy.likeness.models.get(analyzer.model_id)
        if thresholds is None:
            raise ModelUnavailable(f"policy {context.policy.ref} has no match thresholds for `{analyzer.model_id}`")
        gallery = self.engine.gallery()
        report = analyse_video(context.frames.frames(self.name), analyzer, self._params(context.policy))
        identities = [identify_track(track, gallery, analyzer, thresholds) for track in report.tracks]
        faces = [_face_fact(i) for i in identities]
        findings: list[Finding] = []
        for (kind, subject, verdict), members in _group(identities).items():
            closest = min(members, key=lambda i: i.match.distance if i.match else 9.0)
            assert closest.match is not None
            evidence: dict[str, Any] = {
                "similarity": round(1.0 - closest.match.distance, 3),
                "distance": round(closest.match.distance, 3),
                "threshold": thresholds.match_distance,
                "model": analyzer.model_id,
                "tracks": [_face_fact(i) for i in members],
            }
            if verdict == "uncertain":
                evidence.update({"candidate": subject, "candidate_kind": kind})
                if kind == "protected":
                    evidence["person"] = subject
                else:
                    evidence["owner"] = subject
                code, message = "likeness.uncertain", f"a face is close to {subject} ({kind}) but not clearly them"
            elif kind == "protected":
                evidence["person"] = subject
                code, message = "likeness.protected_person", f"{subject} (protected) appears in the video"
            else:
                evidence["owner"] = subject
                code, message = "likeness.identified", f"{subject}'s cameo face appears in the video"
            findings.append(Finding(code, self.name, message, score=1.0 - closest.match.distance, evidence=evidence))
        facts = {
            "faces": faces,
            "model": analyzer.model_id,
            "gallery_size": len(gallery),
            "frames_sampled": report.frames_sampled,
            "frames_thorough": report.frames_thorough,
            "frames_detected": report.frames_detected,
            "shots": report.shots,
            "timings_ms": {k: round(v, 1) for k, v in report.timings_ms.items()},
        }
        embeddings = tuple(
            TrackEmbedding("face", track.track_id, round(track.t_start, 3), analyzer.model_id, embedding_bytes(vector))
            for track in report.tracks
            for vector in track.embeddings[:: max(1, len(track.embeddings) // TRACK_EMBEDDINGS_KEPT)][
                :TRACK_EMBEDDINGS_KEPT
            ]
        )
        return CheckOutcome(tuple(findings), facts, embeddings)


def _group(identities: list[TrackIdentity]) -> dict[tuple[str, str, str], list[TrackIdentity]]:
    groups: dict[tuple[str, str, str], list[TrackIdentity]] = {}
    for identity in identities:
        if identity.match is None or identity.verdict == "unknown":
            continue
        key = (identity.match.subject_kind, identity.match.subject, identity.verdict)
        groups.setdefault(key, []).append(identity)
    # A subject matched confidently somewhere needs no separate "uncertain" finding.
    confident = {(k, s) for k, s, v in groups if v == "match"}
    return {key: value for key, value in groups.items() if key[2] == "match" or key[:2] not in confident}
