"""Rows that operate the system: the review queue, reviewers, their sessions, appeals and reports, the audit log
and its head, the sweeper's lease, and asynchronous submissions with their callback deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, false
from sqlmodel import Field, SQLModel


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


class SweeperLockRow(SQLModel, table=True):
    """Who is sweeping (SQLite; PostgreSQL uses an advisory lock)."""

    __tablename__ = "sweeper_locks"

    name: str = Field(primary_key=True, max_length=32)
    holder: str = Field(max_length=80)
    # A lease, not a flag: a sweeper killed mid-run leaves a row that lapses instead of stopping every later sweep.
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


class WebhookEventRow(SQLModel, table=True):
    """An event not yet handed to the broker (the outbox of callbacks); deleted once sent."""

    __tablename__ = "webhook_events"

    id: str = Field(primary_key=True, max_length=40)
    submission_id: str = Field(foreign_key="submissions.id", max_length=40, index=True)
    message: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(index=True)


class CallbackDeliveryRow(SQLModel, table=True):
    __tablename__ = "callback_deliveries"

    id: int | None = Field(default=None, primary_key=True)
    submission_id: str = Field(foreign_key="submissions.id", max_length=40, index=True)
    attempt: int
    status_code: int | None = None
    error: str | None = None
    at: datetime
