"""Rows about videos: the video and its lineage, decisions, stored track embeddings, retroactive scans, the
provenance registry (publications, manifests, soft bindings, frame hashes), tombstones, purge jobs and the hash
banks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

# SQLite reuses the highest integer key once its row is deleted unless the table is AUTOINCREMENT. The in-process
# indexes (face gallery, frame fingerprints, hash banks) are cached under a (count, highest id) stamp, which a delete
# followed by an insert would otherwise leave unchanged, serving a stale index. PostgreSQL sequences never reuse ids.
NEVER_REUSED_IDS: dict[str, Any] = {"sqlite_autoincrement": True}


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


class TombstoneRow(SQLModel, table=True):
    """What remains of a purged video: its id, when and why. No media, no biometrics."""

    __tablename__ = "tombstones"

    video_id: str = Field(primary_key=True, max_length=40)
    purged_at: datetime
    reason: str


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
