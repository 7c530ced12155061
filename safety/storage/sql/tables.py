"""Database rows. They live apart from the domain types; the stores of `safety.storage.sql` convert between the two.

Rows are never deleted by normal operation: consent grants keep their history (revoked_at), videos move through
statuses, and the audit log is append-only with each row hash-chained to the one before.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, LargeBinary, UniqueConstraint, false
from sqlmodel import Field, SQLModel

# SQLite reuses the highest integer key once its row is deleted unless the table is AUTOINCREMENT. The in-process
# indexes (face gallery, frame fingerprints, hash banks) are cached under a (count, highest id) stamp, which a delete
# followed by an insert would otherwise leave unchanged, serving a stale index. PostgreSQL sequences never reuse ids.
NEVER_REUSED_IDS: dict[str, Any] = {"sqlite_autoincrement": True}


class UserRow(SQLModel, table=True):
    __tablename__ = "users"

    handle: str = Field(primary_key=True, max_length=64)
    age_band: str = Field(max_length=8)
    created_at: datetime
    deleted_at: datetime | None = None
    policy_pack: str | None = Field(default=None, max_length=64)
    cameo_level_cap: str | None = Field(default=None, max_length=16)


class GuardianshipRow(SQLModel, table=True):
    """A guardian of a teen account (parental controls)."""

    __tablename__ = "guardianships"

    teen: str = Field(primary_key=True, foreign_key="users.handle", max_length=64)
    guardian: str = Field(primary_key=True, foreign_key="users.handle", max_length=64, index=True)
    created_at: datetime


class FollowRow(SQLModel, table=True):
    __tablename__ = "follows"

    follower: str = Field(primary_key=True, foreign_key="users.handle", max_length=64)
    followee: str = Field(primary_key=True, foreign_key="users.handle", max_length=64, index=True)
    created_at: datetime


class CameoRow(SQLModel, table=True):
    __tablename__ = "cameos"

    id: str = Field(primary_key=True, max_length=40)
    owner: str = Field(foreign_key="users.handle", max_length=64, index=True)
    status: str = Field(max_length=16)
    level: str = Field(max_length=16)
    face_model: str = Field(default="", max_length=128)
    restrictions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    reference_paths: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    verification_path: str | None = None
    created_at: datetime
    updated_at: datetime
    approve_each_use: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class UseRequestRow(SQLModel, table=True):
    """An owner's approval asked for one use of their likeness."""

    __tablename__ = "use_requests"
    __table_args__ = (Index("ix_use_requests_owner_state", "owner", "state"),)

    id: str = Field(primary_key=True, max_length=40)
    video_id: str = Field(foreign_key="videos.id", max_length=40, index=True)
    owner: str = Field(foreign_key="users.handle", max_length=64)
    creator: str = Field(max_length=64)
    state: str = Field(max_length=16)
    created_at: datetime
    decided_at: datetime | None = None


class FaceTemplateRow(SQLModel, table=True):
    """One embedding of a cameo owner or a protected person, tagged with the model that made it."""

    __tablename__ = "face_templates"
    __table_args__ = (Index("ix_face_templates_subject", "subject_kind", "subject"), NEVER_REUSED_IDS)

    id: int | None = Field(default=None, primary_key=True)
    subject_kind: str = Field(max_length=16)
    subject: str = Field(max_length=64)
    model_id: str = Field(max_length=64, index=True)
    vector: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime


class TrackEmbeddingRow(SQLModel, table=True):
    """A face track's or speech stretch's embedding from a checked video, for retroactive scans; deleted with the
    video's purge."""

    __tablename__ = "track_embeddings"
    __table_args__ = (Index("ix_track_embeddings_model_video", "model_id", "video_id"),)

    id: int | None = Field(default=None, primary_key=True)
    video_id: str = Field(foreign_key="videos.id", max_length=40)
    kind: str = Field(max_length=8)
    track: int
    t: float
    model_id: str = Field(max_length=64)
    vector: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class RetroScanRow(SQLModel, table=True):
    """A search of published videos for a newly enrolled or protected person; `cursor` makes it resumable."""

    __tablename__ = "retro_scans"

    id: str = Field(primary_key=True, max_length=40)
    subject_kind: str = Field(max_length=16)
    subject: str = Field(max_length=120)
    state: str = Field(max_length=16, index=True)
    cursor: str = Field(default="", max_length=40)
    videos_searched: int = 0
    found: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None


class ProtectedPersonRow(SQLModel, table=True):
    """A public figure, an estate or an opt-out: protected without enrolling."""

    __tablename__ = "protected_persons"

    id: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=120, index=True)
    kind: str = Field(max_length=16)
    active: bool = True
    created_at: datetime
    removed_at: datetime | None = None
    photo_paths: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))


class CameoChallengeRow(SQLModel, table=True):
    __tablename__ = "cameo_challenges"

    id: str = Field(primary_key=True, max_length=40)
    handle: str = Field(foreign_key="users.handle", max_length=64, index=True)
    digits: str = Field(max_length=16)
    turns: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


class ConsentGrantRow(SQLModel, table=True):
    """An approval or a block, from an owner about one user; revoked rows stay as history."""

    __tablename__ = "consent_grants"
    __table_args__ = (Index("ix_consent_owner_grantee", "owner", "grantee"),)

    id: int | None = Field(default=None, primary_key=True)
    owner: str = Field(foreign_key="users.handle", max_length=64)
    grantee: str = Field(foreign_key="users.handle", max_length=64)
    kind: str = Field(max_length=16)
    created_at: datetime
    revoked_at: datetime | None = None


class VideoRow(SQLModel, table=True):
    __tablename__ = "videos"

    id: str = Field(primary_key=True, max_length=40)
    creator: str = Field(foreign_key="users.handle", max_length=64, index=True)
    prompt: str
    status: str = Field(max_length=16, index=True)
    content_sha256: str = Field(max_length=64, index=True)
    size_bytes: int
    duration_s: float
    width: int
    height: int
    declared_cameos: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    draft_path: str | None = None
    published_path: str | None = None
    quarantine_path: str | None = None
    policy_ref: str = Field(default="", max_length=80)
    created_at: datetime
    updated_at: datetime


class LineageEdgeRow(SQLModel, table=True):
    """`child` derives from a parent video (remix_of) or contains a person's likeness (contains_cameo_of)."""

    __tablename__ = "lineage_edges"
    __table_args__ = (UniqueConstraint("child_video_id", "kind", "parent_video_id", "cameo_owner"),)

    id: int | None = Field(default=None, primary_key=True)
    child_video_id: str = Field(foreign_key="videos.id", max_length=40, index=True)
    kind: str = Field(max_length=24)
    parent_video_id: str | None = Field(default=None, foreign_key="videos.id", max_length=40, index=True)
    cameo_owner: str | None = Field(default=None, max_length=64, index=True)
    created_at: datetime


class DecisionRow(SQLModel, table=True):
    __tablename__ = "decisions"

    id: str = Field(primary_key=True, max_length=40)
    video_id: str = Field(foreign_key="videos.id", max_length=40, index=True)
    action: str = Field(max_length=16)
    decided_by: str = Field(max_length=64)
    policy_ref: str = Field(max_length=80)
    reasons: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    scores: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    checks_run: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    timings_ms: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    facts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))
    note: str = ""
    created_at: datetime


class ReviewItemRow(SQLModel, table=True):
    __tablename__ = "review_items"

    id: str = Field(primary_key=True, max_length=40)
    video_id: str = Field(foreign_key="videos.id", max_length=40, index=True)
    source: str = Field(max_length=16)
    needs_senior: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    blind_of: str | None = Field(default=None, max_length=40)
    decided_by: str | None = Field(default=None, max_length=64)
    outcome: str | None = Field(default=None, max_length=16)
    outcome_code: str | None = Field(default=None, max_length=80)
    note: str = Field(default="", sa_column_kwargs={"server_default": ""})
    escalated_by: str | None = Field(default=None, max_length=64)
    escalation_note: str = Field(default="", sa_column_kwargs={"server_default": ""})
    decided_at: datetime | None = None
    reason_codes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    severity: int
    policy_ref: str = Field(max_length=80)
    due_at: datetime
    state: str = Field(max_length=16, index=True)
    claimed_by: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = None
    created_at: datetime


class ReportRow(SQLModel, table=True):
    __tablename__ = "reports"

    id: str = Field(primary_key=True, max_length=40)
    video_id: str = Field(foreign_key="videos.id", max_length=40, index=True)
    reporter: str = Field(foreign_key="users.handle", max_length=64, index=True)
    reason: str
    review_item_id: str = Field(foreign_key="review_items.id", max_length=40)
    created_at: datetime


class TombstoneRow(SQLModel, table=True):
    """What remains of a purged video: its id, when and why. No media, no biometrics."""

    __tablename__ = "tombstones"

    video_id: str = Field(primary_key=True, max_length=40)
    purged_at: datetime
    reason: str


class AuditRow(SQLModel, table=True):
    __tablename__ = "audit_log"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: str = Field(max_length=40)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=64, index=True)
    subject: str = Field(max_length=80, index=True)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    prev_hash: str = Field(max_length=64)
    entry_hash: str = Field(max_length=64)


class AuditHeadRow(SQLModel, table=True):
    """One row holding the chain's head; locking it serialises appends on every database. `mac` (HMAC under the
    audit key) keeps the head from being rewritten to match a chain whose newest rows were removed."""

    __tablename__ = "audit_head"

    id: int = Field(primary_key=True)
    seq: int
    entry_hash: str = Field(max_length=64)
    mac: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})


class PublishedRecordRow(SQLModel, table=True):
    """The provenance registry: what was published, how to recognise it, and whether it is still live."""

    __tablename__ = "published_records"

    video_id: str = Field(primary_key=True, foreign_key="videos.id", max_length=40)
    sha256: str = Field(max_length=64, index=True)
    watermark_token: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))
    manifest_signed: bool = True
    status: str = Field(max_length=16, index=True)
    created_at: datetime
    purged_at: datetime | None = None


class ManifestRow(SQLModel, table=True):
    """The manifest repository: the manifest that published a video, its store kept in the media store."""

    __tablename__ = "manifests"

    manifest_id: str = Field(primary_key=True, max_length=80)
    video_id: str = Field(foreign_key="videos.id", max_length=40, index=True)
    sha256: str = Field(max_length=64)
    store_path: str | None = Field(default=None, max_length=300)
    created_at: datetime


class SoftBindingRow(SQLModel, table=True):
    """A soft binding value a published video's manifest declares; resolving one is one lookup on (alg, value)."""

    __tablename__ = "soft_bindings"
    __table_args__ = (Index("ix_soft_bindings_alg_value", "alg", "value"),)

    id: int | None = Field(default=None, primary_key=True)
    alg: str = Field(max_length=64)
    value: str = Field(max_length=128)
    video_id: str = Field(foreign_key="videos.id", max_length=40, index=True)
    manifest_id: str | None = Field(default=None, foreign_key="manifests.manifest_id", max_length=80)


class FrameHashRow(SQLModel, table=True):
    """A PDQ hash of one sampled frame of a published video."""

    __tablename__ = "frame_hashes"
    __table_args__ = (NEVER_REUSED_IDS,)

    id: int | None = Field(default=None, primary_key=True)
    video_id: str = Field(foreign_key="videos.id", max_length=40, index=True)
    t: float
    digest: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    quality: int


class PurgeJobRow(SQLModel, table=True):
    """A durable purge: rows are changed in the transaction that creates it; files are removed after."""

    __tablename__ = "purge_jobs"

    id: str = Field(primary_key=True, max_length=40)
    owner: str = Field(max_length=64, index=True)
    creator: str | None = Field(default=None, max_length=64)
    reason: str = Field(max_length=64)
    state: str = Field(max_length=16, index=True)
    video_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    files: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime
    finished_at: datetime | None = None


class BankEntryRow(SQLModel, table=True):
    """An item in a hash bank (`known_bad` from operators, `purged` from revocations)."""

    __tablename__ = "bank_entries"

    id: str = Field(primary_key=True, max_length=40)
    bank: str = Field(max_length=16, index=True)
    source_video_id: str | None = Field(default=None, max_length=40, index=True)
    note: str = ""
    created_at: datetime


class BankHashRow(SQLModel, table=True):
    __tablename__ = "bank_hashes"
    __table_args__ = (NEVER_REUSED_IDS,)

    id: int | None = Field(default=None, primary_key=True)
    entry_id: str = Field(foreign_key="bank_entries.id", max_length=40, index=True)
    digest: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    quality: int
    t: float = 0.0


class SweeperLockRow(SQLModel, table=True):
    """Who is sweeping (SQLite; PostgreSQL uses an advisory lock)."""

    __tablename__ = "sweeper_locks"

    name: str = Field(primary_key=True, max_length=32)
    holder: str = Field(max_length=80)
    expires_at: datetime


class ReviewerRow(SQLModel, table=True):
    """A person who works the review queue; the password is stored as an Argon2 hash."""

    __tablename__ = "reviewers"

    name: str = Field(primary_key=True, max_length=64)
    role: str = Field(max_length=16)
    password_hash: str = Field(max_length=255)
    active: bool = True
    created_at: datetime
    grayscale: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    blur_px: int = Field(default=24, sa_column_kwargs={"server_default": "24"})


class ReviewSessionRow(SQLModel, table=True):
    __tablename__ = "review_sessions"

    token_hash: str = Field(primary_key=True, max_length=64)
    reviewer: str = Field(foreign_key="reviewers.name", max_length=64, index=True)
    expires_at: datetime


class AppealRow(SQLModel, table=True):
    __tablename__ = "appeals"

    id: str = Field(primary_key=True, max_length=40)
    video_id: str = Field(foreign_key="videos.id", max_length=40, index=True)
    appellant: str = Field(foreign_key="users.handle", max_length=64)
    text: str
    review_item_id: str = Field(max_length=40)
    state: str = Field(max_length=16)
    created_at: datetime


class HookClientRow(SQLModel, table=True):
    """A caller of the HTTP hook; only the sha256 of its token is stored."""

    __tablename__ = "hook_clients"

    name: str = Field(primary_key=True, max_length=64)
    token_hash: str = Field(max_length=64, unique=True)
    active: bool = True
    created_at: datetime
    rotated_at: datetime | None = None
    scopes: str = Field(default="generate", max_length=64)
    webhook_secret: str | None = Field(default=None, max_length=128)
    previous_token_hash: str | None = Field(default=None, max_length=64)
    """The token a rotation with a grace period replaced; it still works until `previous_valid_until`."""
    previous_valid_until: datetime | None = None


class SubmissionRow(SQLModel, table=True):
    """An asynchronous submission: committed before it is sent to a worker, claimed by a conditional update."""

    __tablename__ = "submissions"

    id: str = Field(primary_key=True, max_length=40)
    client: str = Field(max_length=64, index=True)
    video_id: str = Field(max_length=40, unique=True)
    state: str = Field(max_length=16, index=True)
    creator: str = Field(max_length=64)
    prompt: str
    cameos: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    remix_of: str | None = Field(default=None, max_length=40)
    video_path: str
    input_image_path: str | None = None
    callback_url: str | None = Field(default=None, max_length=2048)
    attempts: int = 0
    worker: str | None = Field(default=None, max_length=128)
    claimed_at: datetime | None = None
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    error: str | None = None
    created_at: datetime
    updated_at: datetime


class CallbackDeliveryRow(SQLModel, table=True):
    __tablename__ = "callback_deliveries"

    id: int | None = Field(default=None, primary_key=True)
    submission_id: str = Field(foreign_key="submissions.id", max_length=40, index=True)
    attempt: int
    status_code: int | None = None
    error: str | None = None
    at: datetime
