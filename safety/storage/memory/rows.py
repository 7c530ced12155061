"""The in-memory store's rows: one small mutable dataclass per table, holding what the SQL schema holds.

They mirror `safety.storage.sql.tables` field for field where a store reads the field, so the in-memory stores can
follow the SQL ones line for line. JSON columns hold plain JSON values (lists, dicts) as SQL hands them back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(slots=True)
class UserRow:
    handle: str
    age_band: str
    created_at: datetime
    deleted_at: datetime | None = None
    policy_pack: str | None = None
    cameo_level_cap: str | None = None


@dataclass(slots=True)
class ClientRow:
    name: str
    token_hash: str
    created_at: datetime
    scopes: str
    webhook_secret: str | None
    active: bool = True
    rotated_at: datetime | None = None
    previous_token_hash: str | None = None
    previous_valid_until: datetime | None = None


@dataclass(slots=True)
class CameoRow:
    id: str
    owner: str
    status: str
    level: str
    face_model: str
    reference_paths: list[str]
    verification_path: str | None
    created_at: datetime
    updated_at: datetime
    restrictions: list[str] = field(default_factory=list)
    approve_each_use: bool = False


@dataclass(slots=True)
class UseRequestRow:
    id: str
    video_id: str
    owner: str
    creator: str
    state: str
    created_at: datetime
    decided_at: datetime | None = None


@dataclass(slots=True)
class GrantRow:
    id: int
    owner: str
    grantee: str
    kind: str
    created_at: datetime
    revoked_at: datetime | None = None


@dataclass(slots=True)
class ChallengeRow:
    id: str
    handle: str
    digits: str
    turns: list[str]
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


@dataclass(slots=True)
class TemplateRow:
    id: int
    subject_kind: str
    subject: str
    model_id: str
    vector: bytes
    created_at: datetime


@dataclass(slots=True)
class ProtectedRow:
    id: str
    name: str
    kind: str
    created_at: datetime
    active: bool = True
    removed_at: datetime | None = None
    photo_paths: list[str] = field(default_factory=list)


@dataclass(slots=True)
class VideoRow:
    id: str
    creator: str
    prompt: str
    status: str
    content_sha256: str
    size_bytes: int
    duration_s: float
    width: int
    height: int
    declared_cameos: list[str]
    draft_path: str | None
    policy_ref: str
    created_at: datetime
    updated_at: datetime
    published_path: str | None = None
    quarantine_path: str | None = None


@dataclass(slots=True)
class EdgeRow:
    id: int
    child_video_id: str
    kind: str
    created_at: datetime
    parent_video_id: str | None = None
    cameo_owner: str | None = None


@dataclass(slots=True)
class DecisionRow:
    id: str
    video_id: str
    action: str
    decided_by: str
    policy_ref: str
    reasons: list[dict[str, Any]]
    scores: dict[str, float]
    checks_run: list[str]
    timings_ms: dict[str, float]
    facts: dict[str, Any]
    note: str
    created_at: datetime


@dataclass(slots=True)
class ReviewItemRow:
    id: str
    video_id: str
    source: str
    reason_codes: list[str]
    severity: int
    policy_ref: str
    due_at: datetime
    state: str
    created_at: datetime
    needs_senior: bool = False
    blind_of: str | None = None
    claimed_by: str | None = None
    lease_until: datetime | None = None
    decided_by: str | None = None
    outcome: str | None = None
    outcome_code: str | None = None
    note: str = ""
    decided_at: datetime | None = None
    escalated_by: str | None = None
    escalation_note: str = ""


@dataclass(slots=True)
class ReviewerRow:
    name: str
    role: str
    password_hash: str
    created_at: datetime
    active: bool = True
    grayscale: bool = False
    blur_px: int = 24


@dataclass(slots=True)
class SessionRow:
    token_hash: str
    reviewer: str
    expires_at: datetime


@dataclass(slots=True)
class AppealRow:
    id: str
    video_id: str
    appellant: str
    text: str
    review_item_id: str
    state: str
    created_at: datetime


@dataclass(slots=True)
class ReportRow:
    id: str
    video_id: str
    reporter: str
    reason: str
    review_item_id: str
    created_at: datetime


@dataclass(slots=True)
class PublishedRow:
    video_id: str
    sha256: str
    watermark_token: int
    status: str
    created_at: datetime
    purged_at: datetime | None = None


@dataclass(slots=True)
class ManifestRow:
    """A manifest in the repository."""

    manifest_id: str
    video_id: str
    sha256: str
    store_path: str | None
    created_at: datetime


@dataclass(slots=True)
class BindingRow:
    """A soft binding value a manifest declares."""

    id: int
    alg: str
    value: str
    video_id: str
    manifest_id: str | None


@dataclass(slots=True)
class HashRow:
    """A frame hash: of a published video (`owner` is the video id) or of a bank entry (`owner` is the entry id)."""

    id: int
    owner: str
    t: float
    digest: bytes
    quality: int


@dataclass(slots=True)
class BankEntryRow:
    id: str
    bank: str
    source_video_id: str | None
    note: str
    created_at: datetime


@dataclass(slots=True)
class PurgeJobRow:
    id: str
    owner: str
    creator: str | None
    reason: str
    state: str
    video_ids: list[str]
    files: list[str]
    created_at: datetime
    finished_at: datetime | None = None


@dataclass(slots=True)
class TrackRow:
    id: int
    video_id: str
    kind: str
    track: int
    t: float
    model_id: str
    vector: bytes


@dataclass(slots=True)
class ScanRow:
    id: str
    subject_kind: str
    subject: str
    state: str
    created_at: datetime
    updated_at: datetime
    cursor: str = ""
    videos_searched: int = 0
    found: list[dict[str, Any]] = field(default_factory=list)
    finished_at: datetime | None = None


@dataclass(slots=True)
class LeaseRow:
    name: str
    holder: str
    expires_at: datetime


@dataclass(slots=True)
class SubmissionRow:
    id: str
    client: str
    video_id: str
    state: str
    creator: str
    prompt: str
    cameos: list[str]
    remix_of: str | None
    video_path: str
    input_image_path: str | None
    callback_url: str | None
    created_at: datetime
    updated_at: datetime
    attempts: int = 0
    worker: str | None = None
    claimed_at: datetime | None = None
    result: dict[str, Any] | None = None
    error: str | None = None


@dataclass(slots=True)
class DeliveryRow:
    id: int
    submission_id: str
    attempt: int
    status_code: int | None
    error: str | None
    at: datetime
