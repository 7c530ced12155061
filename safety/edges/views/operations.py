"""JSON views of the system's operation: the review queue, its reviewers, outcomes and dashboard, user reports,
and a sweep's report."""

from __future__ import annotations

from typing import TYPE_CHECKING

from safety.edges.views.videos import Json, receipt_json
from safety.records import (
    ReportRecord,
    ReviewerRecord,
    ReviewItemRecord,
)

if TYPE_CHECKING:
    from safety.edges.sweeps import SweepReport
    from safety.usecases.review_values import ReviewDashboard, ReviewOutcome


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
