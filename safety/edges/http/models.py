"""What the API answers: the response models of every route, for the OpenAPI document and for checking answers.

Responses whose documented fields are always there may carry more (`_Open`): fields are added without breaking
clients. Request bodies are in `bodies.py`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class SubmissionAccepted(BaseModel):
    """What `POST /v1/submissions` answers (202), and the start of `GET /v1/submissions/{id}`."""

    submission_id: str = Field(examples=["sub_4f1c2a9e0b7d3c5e6a81"])
    video_id: str = Field(examples=["vid_9a8b7c6d5e4f3a2b1c0d"])
    status: str = Field(examples=["queued"], description="queued, running, done or failed")
    decision: dict[str, Any] | None = Field(default=None, description="The decision JSON, once done.")
    error: str | None = Field(default=None, description="Why it failed (input that cannot be decided on).")
    attempts: int = Field(examples=[0])
    created_at: str
    updated_at: str


class CallbackAttempt(BaseModel):
    """One POST of the outcome to the callback URL."""

    attempt: int
    status_code: int | None
    error: str | None
    at: str


class SubmissionStatus(SubmissionAccepted):
    """What `GET /v1/submissions/{id}` answers."""

    callbacks: list[CallbackAttempt] = Field(default_factory=list)


class UserOut(BaseModel):
    """A registered user."""

    handle: str = Field(examples=["maya"])
    age_band: str = Field(examples=["adult"], description="adult or teen")


class FollowOut(BaseModel):
    """A follow, made or ended."""

    follower: str = Field(examples=["maya"])
    followee: str = Field(examples=["theo"])
    created: bool | None = Field(default=None, description="False when the follow existed already.")
    purged: list[dict[str, Any]] = Field(default_factory=list, description="Receipts of what unfollowing purged.")


class CameoUse(BaseModel):
    """One video the owner appears in."""

    video_id: str = Field(examples=["vid_9a8b7c6d5e4f3a2b1c0d"])
    creator: str = Field(examples=["theo"])
    status: str = Field(
        examples=["published"],
        description="checking, published, held, pending_owner (waits for owners who approve each use), blocked, purged",
    )
    declared: bool = Field(description="The creator declared the owner; false when the gate identified them.")
    prompt: str
    remix_of: str | None
    created_at: str


class CameoUses(BaseModel):
    """`GET /v1/users/{handle}/cameo/uses`."""

    owner: str
    uses: list[CameoUse]


class Receipt(BaseModel):
    """What a purge removed, for the owner."""

    receipt_id: str = Field(examples=["pj_0123456789abcdef0123"])
    owner: str
    creator: str | None
    reason: str = Field(examples=["owner_removed"])
    purged: list[str]
    at: str
    files_removed: int


class Receipts(BaseModel):
    """`GET /v1/users/{handle}/receipts`."""

    owner: str
    receipts: list[Receipt]


class _Open(BaseModel):
    """A response whose documented fields are always there; more may be added without breaking clients."""

    model_config = ConfigDict(extra="allow")


class ReasonOut(_Open):
    code: str = Field(examples=["likeness.no_consent"])
    action: str = Field(examples=["block"], description="publish, review or block")
    severity: int
    message: str
    check: str | None = None
    evidence: dict[str, Any] = Field(default_factory=dict)


class DecisionOut(_Open):
    """The gate's decision (`POST /v1/check`, and `decision` of a done submission)."""

    video_id: str
    decision_id: str
    decision: str = Field(examples=["publish"], description="publish, review or block")
    status: str = Field(examples=["published"])
    reasons: list[ReasonOut]
    scores: dict[str, float]
    checks_run: list[str]
    policy: str = Field(examples=["default@3"])
    timings_ms: dict[str, float]


class PublishedVideoOut(_Open):
    """A published video's public facts (`GET /v1/videos/{id}` for a caller who is neither its creator, an owner
    in it nor an operator)."""

    video_id: str
    creator: str
    status: str = Field(examples=["published"])
    created_at: str
    remix_of: str | None = Field(description="The parent, when it is published (or the caller's own).")
    remixes: list[str] = Field(description="Published remixes, and the caller's own.")
    provenance: dict[str, Any] = Field(examples=[{"registry": "live", "c2pa_signed": True}])
    file_url: str


class VideoOut(_Open):
    """A video with its decisions (`GET /v1/videos/{id}` for its creator, an owner in it or an operator)."""

    video_id: str
    creator: str
    prompt: str
    status: str
    remix_of: str | None
    remixes: list[str]
    cameos: list[str]
    decision: str | None
    decisions: list[dict[str, Any]]
    file_url: str | None = Field(description="Where the signed file downloads, once published.")


class ChallengeOut(_Open):
    challenge_id: str
    digits: str = Field(examples=["4 1 9 7"])
    turns: list[str]
    expires_at: str


class EnrollmentOut(_Open):
    cameo_id: str | None
    status: str = Field(examples=["active"], description="active or refused")
    reasons: list[dict[str, Any]]


class CameoDeletionOut(_Open):
    cameo_id: str
    deleted: bool
    kept_protection: bool
    purged: list[str]
    receipts: list[Receipt]


class BankItemOut(_Open):
    id: str
    bank: str = Field(examples=["known_bad"])
    note: str
    hashes: int
    created_at: str


class ProtectedOut(_Open):
    id: str
    name: str = Field(examples=["A Public Figure"])
    kind: str = Field(examples=["public_figure"])
    templates: int
