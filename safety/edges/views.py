"""JSON views of what the use cases return, for the edges (CLI `--json`, HTTP bodies, the console).

Use cases return typed values; this is the one place that decides their JSON shape, so the CLI and the HTTP API
answer alike. `to_json` dispatches on the value's type name, so this module need not import the use cases (they
import it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from safety.audit import ChainReport
from safety.domain import GateResult
from safety.records import (
    BankEntryRecord,
    CameoRecord,
    ChallengeRecord,
    OwnerAppearance,
    ProtectedPersonRecord,
    ReportRecord,
    RetroScanRecord,
    ReviewerRecord,
    ReviewItemRecord,
    UseRequestRecord,
)
from safety.revocation import PurgeReceipt

if TYPE_CHECKING:
    from safety.edges.sweeps import SweepReport
    from safety.usecases.cameos import CameoDeletion, EnrollmentResult, RestrictionResult
    from safety.usecases.guardians import TeenControls
    from safety.usecases.protection import FaceComparison, ProtectionResult
    from safety.usecases.review_values import CaseFile, ReviewDashboard, ReviewOutcome
    from safety.usecases.tracing import TraceResult
    from safety.usecases.videos import PublishedVideo, VideoView

Json = dict[str, Any]


def _gate_result(value: GateResult) -> Json:
    return value.to_json()


def receipt_json(r: PurgeReceipt) -> Json:
    return {
        "receipt_id": r.receipt_id,
        "owner": r.owner,
        "creator": r.creator,
        "reason": r.reason,
        "purged": list(r.purged),
        "at": r.at.isoformat(),
        "files_removed": r.files_removed,
    }


def receipts_json(receipts: list[PurgeReceipt] | tuple[PurgeReceipt, ...]) -> Json:
    """A consent change's receipts: every purged video, and the receipt itself when there is one."""
    return {
        "purged": [v for r in receipts for v in r.purged],
        "receipt": receipt_json(receipts[0]) if len(receipts) == 1 else None,
        "receipts": [receipt_json(r) for r in receipts],
    }


def video_json(view: VideoView) -> Json:
    v = view.video
    latest = view.latest
    return {
        "video_id": v.id,
        "creator": v.creator,
        "prompt": v.prompt,
        "status": v.status.value,
        "published_path": str(v.published_path) if v.published_path else None,
        "remix_of": v.remix_of,
        "remixes": list(view.remixes),
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
            for d in view.decisions
        ],
    }


def published_video_json(p: PublishedVideo) -> Json:
    """The published facts of a video, for a caller who may not read its full record."""
    return {
        "video_id": p.video_id,
        "creator": p.creator,
        "status": "published",
        "created_at": p.created_at.isoformat(),
        "remix_of": p.remix_of,
        "remixes": list(p.remixes),
        # Every published file is signed (C2PA) and watermarked before it is registered; `verify` traces copies.
        "provenance": {"registry": p.registry, "c2pa_signed": True},
    }


def case_video_json(case: CaseFile) -> Json:
    """A case's video as the console shows it: a blind re-review shows no status and no decisions."""
    shown = video_json(case.video)
    if case.item.blind_of:
        shown = {**shown, "status": "hidden (blind re-review)", "decisions": []}
    return shown


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


def bank_entry_json(e: BankEntryRecord) -> Json:
    return {
        "id": e.id,
        "bank": e.bank.value,
        "note": e.note,
        "source_video_id": e.source_video_id,
        "hashes": e.hashes,
        "created_at": e.created_at.isoformat(),
    }


def trace_json(t: TraceResult) -> Json:
    match = t.fingerprint
    return {
        "video_id": t.video_id,
        "status": t.status,
        "traced_by": t.traced_by,
        "c2pa": t.manifest.to_json(),
        "watermark": {"found": t.watermark.found, "video_id": t.watermark_video, "confidence": t.watermark.confidence},
        "fingerprint": {
            "video_id": match.key if match else None,
            "distance": match.distance if match else None,
            "share": match.share if match else None,
        },
        "evidence": [
            {"source": e.source, "video_id": e.video_id, "status": e.status, "believed": e.believed, "note": e.note}
            for e in t.evidence
        ],
        "disagreement": t.disagreement,
        "manifest_id": t.manifest_id,
        "manifests": [{"video_id": m.video_id, "status": m.status, "manifest_id": m.manifest_id} for m in t.manifests],
        "segments": [
            {
                "video_id": seg.video_id,
                "status": seg.status,
                "start_s": round(seg.start_s, 3),
                "end_s": round(seg.end_s, 3),
                "source": seg.source,
                "distance": seg.distance,
            }
            for seg in t.segments
        ],
    }


def chain_json(r: ChainReport) -> Json:
    return {
        "ok": r.ok,
        "entries": r.entries,
        "first_broken_seq": r.first_broken_seq,
        "problem": r.problem or None,
        "checkpoint": r.checkpoint,
    }


def review_item_json(i: ReviewItemRecord) -> Json:
    return {
        "item": i.id,
        "video_id": i.video_id,
        "source": i.source.value,
        "codes": list(i.reason_codes),
        "severity": i.severity,
        "state": i.state.value,
        "claimed_by": i.claimed_by,
        "needs_senior": i.needs_senior,
        "due_at": i.due_at.isoformat(),
    }


def reviewer_json(r: ReviewerRecord) -> Json:
    return {"name": r.name, "role": r.role, "active": r.active}


def review_outcome_json(o: ReviewOutcome) -> Json:
    return {
        "item": o.item,
        "outcome": o.outcome,
        "code": o.code,
        "status": o.status.value,
        "published_path": str(o.published_path) if o.published_path else None,
    }


def dashboard_json(d: ReviewDashboard) -> Json:
    return {
        "queue_depth": d.queue_depth,
        "oldest_age_hours": d.oldest_age_hours,
        "sla_breaches": d.sla_breaches,
        "decisions_per_reviewer_per_hour": d.decisions_per_reviewer_per_hour,
        "reason_mix": d.reason_mix,
        "quality_pairs": d.quality_pairs,
        "quality_agreement": d.quality_agreement,
        "decisions_per_reviewer_per_day": d.decisions_per_reviewer_per_day,
        "quality_pair_rows": d.quality_pair_rows,
        "reviewers": d.reviewers,
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


def report_json(r: ReportRecord) -> Json:
    return {
        "video_id": r.video_id,
        "reporter": r.reporter,
        "reason": r.reason,
        "at": r.at.isoformat() if r.at else None,
    }


def sweep_json(r: SweepReport) -> Json:
    return {
        "ran": r.ran,
        "purges_finished": r.purges_finished,
        "consent_purges": [receipt_json(p) for p in r.consent_purges],
        "purged": r.purged,
        "held_expired": r.held_expired,
        "orphan_files_removed": r.orphan_files_removed,
        "rows_without_files": r.rows_without_files,
        "stale_settled": r.stale_settled,
        "submissions_requeued": r.submissions_requeued,
        "owner_requests_expired": r.owner_requests_expired,
        "scans_resumed": r.scans_resumed,
        "seconds": round(r.seconds, 3),
    }


_VIEWS: dict[str, Any] = {
    "SweepReport": sweep_json,
    "GateResult": _gate_result,
    "PurgeReceipt": receipt_json,
    "VideoView": video_json,
    "PublishedVideo": published_video_json,
    "CaseFile": case_video_json,
    "EnrollmentResult": enrollment_json,
    "ChallengeRecord": challenge_json,
    "OwnerAppearance": cameo_use_json,
    "CameoDeletion": deletion_json,
    "ProtectionResult": protection_json,
    "ProtectedPersonRecord": protected_person_json,
    "FaceComparison": comparison_json,
    "BankEntryRecord": bank_entry_json,
    "TraceResult": trace_json,
    "ChainReport": chain_json,
    "ReviewItemRecord": review_item_json,
    "ReviewerRecord": reviewer_json,
    "ReportRecord": report_json,
    "TeenControls": controls_json,
    "UseRequestRecord": use_request_json,
    "RetroScanRecord": scan_json,
    "ReviewOutcome": review_outcome_json,
    "ReviewDashboard": dashboard_json,
}


def to_json(value: object) -> Any:
    """The JSON form of a use case's result (lists of results too)."""
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    view = _VIEWS.get(type(value).__name__)
    if view is None:
        raise TypeError(f"no JSON view for {type(value).__name__}")
    return view(value)
