"""JSON views of what the use cases return, for the edges (CLI `--json`, HTTP bodies, the console).

Use cases return typed values; this is the one place that decides their JSON shape, so the CLI and the HTTP API
answer alike. `to_json` dispatches on the value's type name, so this package need not import the use cases at run
time (they sit below the edges, and the views only name their types for the type checker). The views are split by
concept (`videos`, `people`, `operations`); every one is importable from here.
"""

from __future__ import annotations

from typing import Any

from safety.edges.views.operations import (
    dashboard_json,
    report_json,
    review_item_json,
    review_outcome_json,
    reviewer_json,
    sweep_json,
)
from safety.edges.views.people import (
    cameo_status_json,
    cameo_use_json,
    challenge_json,
    comparison_json,
    controls_json,
    deletion_json,
    enrollment_json,
    protected_person_json,
    protection_json,
    restriction_json,
    scan_json,
    use_request_json,
)
from safety.edges.views.videos import (
    Json,
    bank_entry_json,
    case_video_json,
    chain_json,
    gate_result_json,
    published_video_json,
    receipt_json,
    receipts_json,
    trace_json,
    video_json,
)

_VIEWS: dict[str, Any] = {
    "SweepReport": sweep_json,
    "GateResult": gate_result_json,
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


__all__ = [
    "Json",
    "bank_entry_json",
    "cameo_status_json",
    "cameo_use_json",
    "case_video_json",
    "chain_json",
    "challenge_json",
    "comparison_json",
    "controls_json",
    "dashboard_json",
    "deletion_json",
    "enrollment_json",
    "gate_result_json",
    "protected_person_json",
    "protection_json",
    "published_video_json",
    "receipt_json",
    "receipts_json",
    "report_json",
    "restriction_json",
    "review_item_json",
    "review_outcome_json",
    "reviewer_json",
    "scan_json",
    "sweep_json",
    "to_json",
    "trace_json",
    "use_request_json",
    "video_json",
]
