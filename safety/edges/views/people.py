"""JSON views of people and their consent: enrollment and its challenge, a cameo and its uses, restrictions,
deletion, protection and face comparison, retroactive scans, a guardian's controls and owners' use requests."""

from __future__ import annotations

from typing import TYPE_CHECKING

from safety.edges.views.videos import Json, receipt_json, receipts_json
from safety.records import (
    CameoRecord,
    ChallengeRecord,
    OwnerAppearance,
    ProtectedPersonRecord,
    RetroScanRecord,
    UseRequestRecord,
)

if TYPE_CHECKING:
    from safety.usecases.cameos import CameoDeletion, EnrollmentResult, RestrictionResult
    from safety.usecases.guardians import TeenControls
    from safety.usecases.protection import FaceComparison, ProtectionResult


def enrollment_json(result: EnrollmentResult) -> Json:
    a = result.assessment
    return {
        "cameo_id": result.cameo_id,
        "status": result.status.value,
        "voice": result.voice,
        "scan_id": result.scan_id,
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


def challenge_json(c: ChallengeRecord) -> Json:
    return {"challenge_id": c.id, "digits": c.digits, "turns": list(c.turns), "expires_at": c.expires_at.isoformat()}


def cameo_use_json(a: OwnerAppearance) -> Json:
    v = a.video
    return {
        "video_id": v.id,
        "creator": v.creator,
        "status": v.status.value,
        "declared": a.declared,
        "prompt": v.prompt,
        "remix_of": v.remix_of,
        "created_at": v.created_at.isoformat(),
    }


def cameo_status_json(owner: str, cameo: CameoRecord | None) -> Json:
    if cameo is None:
        return {"owner": owner, "cameo_id": None, "status": None}
    return {
        "owner": cameo.owner,
        "cameo_id": cameo.id,
        "status": "active",
        "level": cameo.level.value,
        "approve_each_use": cameo.approve_each_use,
        "restrictions": list(cameo.restrictions),
        "face_model": cameo.face_model,
        "references": [str(p) for p in cameo.reference_paths],
    }


def restriction_json(owner: str, result: RestrictionResult) -> Json:
    return {
        "owner": owner,
        "topics": list(result.topics),
        "phrases": list(result.phrases),
        **receipts_json(result.receipts),
    }


def deletion_json(d: CameoDeletion) -> Json:
    return {
        "cameo_id": d.cameo_id,
        "deleted": True,
        "kept_protection": d.kept_protection,
        "purged": list(d.purged),
        "receipts": [receipt_json(r) for r in d.receipts],
    }


def protection_json(p: ProtectionResult) -> Json:
    return {
        "id": p.id,
        "name": p.name,
        "kind": p.kind.value,
        "templates": p.templates,
        "model": p.model,
        "scan_id": p.scan_id,
    }


def scan_json(s: RetroScanRecord) -> Json:
    return {
        "scan_id": s.id,
        "subject_kind": s.subject_kind,
        "subject": s.subject,
        "state": s.state.value,
        "videos_searched": s.videos_searched,
        "found": list(s.found),
        "started_at": s.created_at.isoformat(),
        "finished_at": s.finished_at.isoformat() if s.finished_at else None,
    }


def protected_person_json(p: ProtectedPersonRecord) -> Json:
    return {
        "id": p.id,
        "name": p.name,
        "kind": p.kind.value,
        "templates": p.templates,
        "created_at": p.created_at.isoformat(),
    }


def comparison_json(c: FaceComparison) -> Json:
    return {
        "same_person": c.same_person,
        "verdict": c.verdict,
        "distance": c.distance,
        "threshold": c.threshold,
        "uncertain_below": c.uncertain_below,
        "model": c.model,
    }


def controls_json(c: TeenControls) -> Json:
    return {
        "teen": c.teen,
        "guardians": list(c.guardians),
        "level_cap": c.level_cap.value if c.level_cap else None,
        "policy_pack": c.policy_pack,
        "allowed_creators": list(c.allowed_creators),
    }


def use_request_json(r: UseRequestRecord) -> Json:
    return {
        "request_id": r.id,
        "video_id": r.video_id,
        "owner": r.owner,
        "creator": r.creator,
        "state": r.state.value,
        "requested_at": r.created_at.isoformat(),
        "decided_at": r.decided_at.isoformat() if r.decided_at else None,
    }
