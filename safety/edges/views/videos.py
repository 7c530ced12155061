"""JSON views of videos and their provenance: a video as its viewer may see it, a published file, a purge's
receipt, a trace, the audit chain, a bank entry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from safety.audit import ChainReport
from safety.domain import GateResult
from safety.records import (
    BankEntryRecord,
)
from safety.revocation import PurgeReceipt

if TYPE_CHECKING:
    from safety.usecases.review_values import CaseFile
    from safety.usecases.tracing import TraceResult
    from safety.usecases.videos import PublishedVideo, VideoView


Json = dict[str, Any]
"""A JSON object as the edges send it."""


def gate_result_json(value: GateResult) -> Json:
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
